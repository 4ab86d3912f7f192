"""Reads spec sources, once each, to point diagnostics at the exact line and column of what is wrong.

An object remembers the line of the call that built it; the text a diagnostic is about (a metric name in a
query, say) may sit a few lines further down in the same statement. `locate` finds it there.
"""

from __future__ import annotations

import ast
import bisect
import io
import os
import re
import stat
import tokenize
from collections.abc import Iterator

import attrs

from monitoring_dsl.collector import collector_paused
from monitoring_dsl.model.base import SourceLocation

_IDENTIFIER = re.compile(r"^[A-Za-z_:][\w:]*$")
WINDOW = 4096  # characters of a line searched for a needle, from where the search starts


@attrs.define
class _File:
    """A file's lines, and its syntax tree and statement extents once something asks for them: a run whose
    findings were kept (checks/kept.py) only prints source lines, and parsing 51 spec modules of workload L
    for that cost half a second."""

    text: str
    lines: list[str]
    _syntax: tuple[ast.Module | None, list[int], list[int]] | None = None

    def _parsed(self) -> tuple[ast.Module | None, list[int], list[int]]:
        if self._syntax is None:
            self._syntax = _syntax(self.text)
            self.text = ""  # the lines are all a run needs of it now
        return self._syntax

    @property
    def tree(self) -> ast.Module | None:
        return self._parsed()[0]

    @property
    def statement_starts(self) -> list[int]:
        return self._parsed()[1]

    @property
    def statement_ends(self) -> list[int]:
        return self._parsed()[2]


def _syntax(text: str) -> tuple[ast.Module | None, list[int], list[int]]:
    """The syntax tree of `text` (None when it does not parse) and the first and last lines of its statements,
    in order of their first lines."""
    starts: list[int] = []
    ends: list[int] = []
    try:
        with collector_paused():  # kept for the whole run; collections set off by its nodes were 2/3 of the parse
            tree = ast.parse(text)
    except (SyntaxError, ValueError):
        tree = None
    if tree is not None:
        for node in _statements(tree):
            if node.end_lineno is not None:
                starts.append(node.lineno)
                ends.append(node.end_lineno)
    order = sorted(zip(starts, ends, strict=True))
    return tree, [start for start, _ in order], [end for _, end in order]


class Sources:
    """A cache of spec files' lines and statement extents, keyed by the path a location carries."""

    def __init__(self) -> None:
        self._files: dict[str, _File | None] = {}

    def _file(self, path: str) -> _File | None:
        if path not in self._files:
            self._files[path] = self._read(path)
        return self._files[path]

    @staticmethod
    def _read(path: str) -> _File | None:
        try:
            if not stat.S_ISREG(os.stat(path).st_mode):
                return None  # a FIFO or device: reading it for a snippet could block forever
            with open(path, "rb") as handle:
                data = handle.read()
            encoding, _lines = tokenize.detect_encoding(io.BytesIO(data).readline)  # BOM, `coding:` line
            text = data.decode(encoding)
        except (OSError, UnicodeDecodeError, SyntaxError, LookupError, ValueError):
            return None
        return _File(text, text.splitlines())

    def line(self, path: str, number: int) -> str | None:
        file = self._file(path)
        if file is None or not 1 <= number <= len(file.lines):
            return None
        return file.lines[number - 1]

    @staticmethod
    def _statement_end(file: _File, line: int) -> int:
        """The last line of the innermost statement covering `line` (the latest-starting one)."""
        end = line
        stop = bisect.bisect_right(file.statement_starts, line)
        for index in range(stop - 1, -1, -1):
            if file.statement_ends[index] >= line:
                return max(end, file.statement_ends[index])
        return end

    def locate(
        self,
        location: SourceLocation | None,
        needle: str,
        *,
        start_column: int = 1,
        max_lines: int | None = None,
        window: int = WINDOW,
    ) -> tuple[SourceLocation | None, str | None]:
        """Where `needle` first appears from `location` (its line, from `start_column` or the location's own
        column, whichever is later) to the end of its statement, or within `max_lines` lines. At most `window`
        characters of each line are searched, so that a finding in a minified one-line JSON file costs the
        same as one in a spec, not a scan of the whole file.

        Returns the refined location and the span to underline; the original location and no span when the
        text cannot be found (a query built by a helper function, say).
        """
        if location is None or not needle:
            return location, None
        file = self._file(location.path)
        if file is None:
            return location, None
        last = min(self._statement_end(file, location.line), location.line + 400, len(file.lines))
        if max_lines is not None:
            last = min(last, location.line + max_lines)
        # an identifier must match whole: `queue_dept` is not found inside `queue_depth`
        whole = _IDENTIFIER.match(needle) is not None
        first_column = max(start_column, location.column)
        for number in range(location.line, last + 1):
            offset = first_column - 1 if number == location.line else 0
            found = find_text(file.lines[number - 1], needle, offset, offset + window + len(needle), whole)
            if found >= 0:
                return SourceLocation(location.path, number, found + 1), needle
        return location, None

    def find(self, location: SourceLocation, needle: str, last_line: int) -> SourceLocation | None:
        """Where `needle` first appears, as written, on the lines from `location`'s to `last_line`; None when it
        does not (or the file cannot be read)."""
        file = self._file(location.path)
        if file is None:
            return None
        for number in range(location.line, min(last_line, len(file.lines)) + 1):
            column = file.lines[number - 1].find(needle)
            if column >= 0:
                return SourceLocation(location.path, number, column + 1)
        return None

    def keyword(self, location: SourceLocation | None, keyword: str) -> SourceLocation | None:
        """The position of `keyword=` in the call that starts at `location`'s line, read from the syntax tree,
        so that `legend=` of an inner call is never mistaken for the outer call's."""
        if location is None:
            return None
        file = self._file(location.path)
        if file is None or file.tree is None:
            return None
        for node in ast.walk(file.tree):
            if isinstance(node, ast.Call) and node.lineno == location.line:
                for item in node.keywords:
                    if item.arg == keyword:
                        return SourceLocation(location.path, item.lineno, item.col_offset + 1)
        return None


_BODIES = ("body", "orelse", "finalbody", "handlers", "cases")  # the fields that hold statements


def _statements(tree: ast.Module) -> Iterator[ast.stmt]:
    """Every statement of `tree`, nested ones included, without visiting expressions: a spec of thousands of
    calls has a hundred expression nodes per statement (ast.walk over them all took a second on workload L).
    Statements sit only in the bodies of compound statements, `except` handlers and `match` cases."""
    stack: list[ast.AST] = list(reversed(tree.body))
    while stack:
        node = stack.pop()
        if isinstance(node, ast.stmt):
            yield node
        for field in reversed(_BODIES):
            inner = getattr(node, field, None)
            if isinstance(inner, list):
                stack.extend(reversed(inner))


def _is_word(char: str) -> bool:
    """What `[\\w:]` matches in a str pattern: a Unicode letter or digit, `_` or `:` (a metric name's parts)."""
    return char.isalnum() or char in "_:"


def find_text(line: str, needle: str, start: int, end: int, whole: bool) -> int:
    """The first index from `start` where `needle` fits before `end`, or -1; with `whole`, only where neither
    the character before it nor the one after (before `end`) continues a name. The same as searching
    `(?<![\\w:])needle(?![\\w:])` with `pattern.search(line, start, end)`, without compiling a pattern per
    needle (a big project locates tens of thousands of distinct names)."""
    stop = min(end, len(line))
    index = line.find(needle, start, stop)
    while index >= 0:
        after = index + len(needle)
        if not whole or (
            (index == 0 or not _is_word(line[index - 1])) and (after >= stop or not _is_word(line[after]))
        ):
            return index
        index = line.find(needle, index + 1, stop)
    return -1
