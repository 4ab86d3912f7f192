"""Python source for spec objects: the constructor call a person would write (defaults left out, required
arguments by position, the rest by keyword), wrapped one argument a line when it does not fit."""

from __future__ import annotations

import inspect
import math
from collections.abc import Mapping
from typing import Any

import attrs

WIDTH = 120
INDENT = "    "


def _quote(text: str) -> str:
    """A string literal as ruff's formatter writes it: double quotes unless single ones need fewer escapes."""
    if any(ord(char) < 32 and char not in "\n\t\r" for char in text):
        return repr(text)
    quote = "'" if text.count('"') > text.count("'") else '"'
    body = text.replace("\\", "\\\\").replace(quote, "\\" + quote)
    body = body.replace("\n", "\\n").replace("\t", "\\t").replace("\r", "\\r")
    return f"{quote}{body}{quote}"


def _arguments(obj: Any) -> tuple[list[Any], list[tuple[str, Any]]]:
    """The positional and keyword arguments that rebuild `obj`."""
    cls = type(obj)
    signature = inspect.signature(cls.__init__)
    fields = {f.alias or f.name: f for f in attrs.fields(cls) if f.init}
    positional: list[Any] = []
    keywords: list[tuple[str, Any]] = []
    for name, parameter in signature.parameters.items():
        if name == "self" or name not in fields:
            continue
        field = fields[name]
        value = getattr(obj, field.name)
        default = field.default
        if default is not attrs.NOTHING and _same(value, default):
            continue
        if parameter.kind == parameter.POSITIONAL_OR_KEYWORD and not keywords and len(positional) < 2:
            positional.append(value)
        else:
            keywords.append((name, value))
    return positional, keywords


def _same(value: object, default: object) -> bool:
    if isinstance(default, attrs.Factory):  # type: ignore[arg-type]
        default = default.factory()  # type: ignore[attr-defined]
    if isinstance(value, Mapping) and isinstance(default, Mapping):
        return dict(value) == dict(default)
    if isinstance(value, (tuple, list)) and isinstance(default, (tuple, list)):
        return tuple(value) == tuple(default)
    return (bool(value == default) and type(value) is type(default)) or (value is None and default is None)


def source(value: Any, indent: int = 0, names: Mapping[int, str] | None = None, offset: int = 0) -> str:
    """`value` as Python source, starting at column `indent * 4 + offset` (`name = ` before it, say); objects
    in `names` are referred to by name."""
    names = names or {}
    if id(value) in names:
        return names[id(value)]
    if value is None or isinstance(value, bool):
        return repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isinf(value):
            return "float('inf')" if value > 0 else "float('-inf')"
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, str):
        return _quote(value)
    if isinstance(value, Mapping):
        items = []
        for k, v in value.items():
            key = source(k, indent + 1, names)
            items.append(f"{key}: {source(v, indent + 1, names, len(key) + 3)}")
        return _wrap("{", items, "}", indent, offset)
    if isinstance(value, (list, tuple)):
        return _wrap("[", [source(v, indent + 1, names, 1) for v in value], "]", indent, offset)
    if attrs.has(type(value)):
        positional, keywords = _arguments(value)
        items = [source(v, indent + 1, names, 1) for v in positional]  # 1: the comma after an item on its line
        items += [f"{k}={source(v, indent + 1, names, len(k) + 2)}" for k, v in keywords]
        return _wrap(f"{type(value).__name__}(", items, ")", indent, offset)
    return repr(value)


def _wrap(opening: str, items: list[str], closing: str, indent: int, offset: int = 0) -> str:
    flat = opening + ", ".join(items) + closing
    if "\n" not in flat and len(flat) + indent * len(INDENT) + offset <= WIDTH:
        return flat
    inner = INDENT * (indent + 1)
    body = "".join(f"{inner}{item},\n" for item in items)
    return f"{opening}\n{body}{INDENT * indent}{closing}"
