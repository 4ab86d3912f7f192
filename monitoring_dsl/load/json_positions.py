"""A JSON parser that remembers where things were: every object carries the line and column of its `{`.

`json.loads` forgets positions. This parser keeps the nesting on an explicit stack, never the call stack, so no
file can exhaust the interpreter's recursion limit, and it leaves strings to `json`'s own C scanner, so it
stays fast. It knows nothing of Grafana (`grafana_json.py` maps dashboards).
"""

from __future__ import annotations

import json
import re
from typing import Any

_WHITESPACE = re.compile(r"[ \t\n\r]*")
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?")
_LITERALS: dict[str, object] = {"true": True, "false": False, "null": None}


class JsonObject(dict[str, Any]):
    """A JSON object that remembers the 1-based line and column of its opening brace, and the line of each key."""

    __slots__ = ("column", "key_lines", "line")

    def __init__(self, line: int, column: int = 0):
        super().__init__()
        self.line = line
        self.column = column
        self.key_lines: dict[str, int] = {}  # key -> 1-based line of its opening quote (the first, if repeated)

    @property
    def where(self) -> tuple[int, int]:
        """(line, column) of the opening brace: in minified JSON the column is what tells objects apart."""
        return self.line, self.column


class JsonSyntaxError(ValueError):
    """Text that is not JSON, with the 1-based line and column where the parser gave up."""

    def __init__(self, message: str, line: int, column: int):
        super().__init__(f"{message} (line {line}, column {column})")
        self.message = message
        self.line = line
        self.column = column


def parse_json(text: str) -> Any:
    """`text` as Python data, like `json.loads`, except that objects are `JsonObject`s that know their line."""
    return _Parser(text).parse()


class _Parser:
    def __init__(self, text: str):
        self.text = text
        self._line = 1
        self._counted = 0  # lines are counted incrementally: objects open in increasing order
        self._line_start = 0  # offset of the first character of line `_line`

    def parse(self) -> Any:
        containers: list[Any] = []  # the open arrays and objects, innermost last
        keys: list[str] = []  # the key each open object is waiting to fill ("" for an array)
        pos = self._skip(0)
        while True:
            value, pos, opened = self._value(pos)
            if opened:
                containers.append(value)
                if isinstance(value, JsonObject):
                    key, pos = self._key(pos, value)
                    keys.append(key)
                else:
                    keys.append("")
                continue
            while True:  # `value` is complete: store it, and close every container it completes
                pos = self._skip(pos)
                if not containers:
                    if pos != len(self.text):
                        raise self.error("extra data after the JSON value", pos)
                    return value
                parent = containers[-1]
                if isinstance(parent, dict):
                    parent[keys[-1]] = value
                else:
                    parent.append(value)
                if self.text.startswith(",", pos):
                    pos = self._skip(pos + 1)
                    if isinstance(parent, JsonObject):
                        keys[-1], pos = self._key(pos, parent)
                    break
                closer = "}" if isinstance(parent, dict) else "]"
                if not self.text.startswith(closer, pos):
                    raise self.error(f"expected ',' or '{closer}'", pos)
                value = containers.pop()
                keys.pop()
                pos += 1

    def _value(self, pos: int) -> tuple[Any, int, bool]:
        """The value at `pos`, the position after it, and whether it is a container left open."""
        char = self.text[pos : pos + 1]
        if char in ("{", "["):
            container: Any = JsonObject(*self._position(pos)) if char == "{" else []
            after = self._skip(pos + 1)
            closer = "}" if char == "{" else "]"
            if self.text.startswith(closer, after):
                return container, after + 1, False
            return container, after, True
        if char == '"':
            return (*self._string(pos), False)
        match = _NUMBER.match(self.text, pos)
        if match:
            return self._number(match), match.end(), False
        for word, literal in _LITERALS.items():
            if self.text.startswith(word, pos):
                return literal, pos + len(word), False
        raise self.error("expected a value" if char else "unexpected end of the file", pos)

    def _number(self, match: re.Match[str]) -> int | float:
        if match.group(1) or match.group(2):
            return float(match.group())
        try:
            return int(match.group())
        except ValueError:  # more digits than Python converts
            raise self.error("number too long", match.start()) from None

    def _key(self, pos: int, owner: JsonObject) -> tuple[str, int]:
        """An object's key at `pos`, recorded with its line in `owner`, and the position of its value after the
        colon."""
        if not self.text.startswith('"', pos):
            raise self.error("expected a property name in double quotes", pos)
        line = self._position(pos)[0]
        key, pos = self._string(pos)
        owner.key_lines.setdefault(key, line)
        pos = self._skip(pos)
        if not self.text.startswith(":", pos):
            raise self.error("expected ':' after the property name", pos)
        return key, self._skip(pos + 1)

    def _string(self, pos: int) -> tuple[str, int]:
        try:
            return json.decoder.scanstring(self.text, pos + 1, True)  # type: ignore[attr-defined,no-any-return]
        except json.JSONDecodeError as error:
            raise self.error(error.msg, error.pos) from None

    def _skip(self, pos: int) -> int:
        match = _WHITESPACE.match(self.text, pos)
        return match.end() if match else pos

    def _position(self, pos: int) -> tuple[int, int]:
        """1-based line and column of `pos`, in one pass over the text for all positions (they increase)."""
        newlines = self.text.count("\n", self._counted, pos)
        if newlines:
            self._line += newlines
            self._line_start = self.text.rfind("\n", self._counted, pos) + 1
        self._counted = pos
        return self._line, pos - self._line_start + 1

    def error(self, message: str, pos: int) -> JsonSyntaxError:
        line = self.text.count("\n", 0, pos) + 1
        return JsonSyntaxError(message, line, pos - (self.text.rfind("\n", 0, pos) + 1) + 1)
