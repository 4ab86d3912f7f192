"""Facts about a query as its author wrote it, Grafana macros and variables still in.

The parser sees the query after `macros.substitute` has replaced `$__rate_interval`, `$var` and friends, so
what the author wrote there (a literal `[5m]`, a variable inside a matcher's string) is read from the written
text. These scanners are the only reading of that text outside the parser; they step over string literals
the way Prometheus's lexer does (`prometheus.string_ends`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import attrs

from monitoring_dsl.model.rules import parse_duration
from monitoring_dsl.promql.prometheus import string_ends

_RATE_CALL_RE = re.compile(r"(?<![\w:])rate\s*\(")
_LITERAL_WINDOW_RE = re.compile(r"\s*(?:\d+(?:ms|[smhdwy]))+\s*")
_LITERAL_RANGE_RE = re.compile(r"\[\s*([0-9][0-9a-z]*)\s*[\]:]")
_EXACT_MATCHER_RE = re.compile(
    r"""(?P<label>[a-zA-Z_][a-zA-Z0-9_]*)\s*(?P<op>!=|=)(?!~)\s*(?:"(?P<d>(?:[^"\\]|\\.)*)"|'(?P<s>(?:[^'\\]|\\.)*)')"""
)
_TRAILING_COMPARISON_RE = re.compile(r"^(?P<body>.*?)\s*(?P<op>>=|<=|==|!=|>|<)\s*(?P<value>[-+]?[0-9.eE+]+)$", re.S)
_NAME_RE = re.compile(r"[A-Za-z_:][A-Za-z0-9_:]*")
_REGEX_MATCHER_RE = re.compile(
    r"""([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~)\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)'|`([^`]*)`)"""
)


@attrs.frozen
class WrittenMatcher:
    """A label matcher as written: `label`, `op`, the string's body (escapes kept) and the matcher's text."""

    label: str
    op: str
    value: str
    text: str


def fixed_rate_windows(written: str) -> Iterator[str]:
    """The range (`[5m]`) of each `rate()` over a literal range (not a subquery, not a variable)."""
    index = 0
    strings = string_ends(written)
    while True:
        match = _RATE_CALL_RE.search(written, index)
        if match is None:
            return
        index = match.end()
        if any(start < match.start() < end for start, end in strings.items()):
            continue
        depth, position = 1, match.end()
        while position < len(written) and depth > 0:
            char = written[position]
            if position in strings:
                position = strings[position]
                continue
            if char in "({":
                depth += 1
            elif char in ")}":
                depth -= 1
            elif char == "[" and depth == 1:
                end = written.find("]", position)
                if end < 0:
                    return
                if _LITERAL_WINDOW_RE.fullmatch(written[position + 1 : end]):
                    yield written[position : end + 1]
                position = end
            position += 1


def literal_ranges(written: str) -> dict[float, str]:
    """Ranges and subquery ranges written as durations (not Grafana macros), by seconds: `{300.0: "[5m"}`."""
    found: dict[float, str] = {}
    for match in _LITERAL_RANGE_RE.finditer(written):
        seconds = parse_duration(match.group(1))
        if seconds is not None:
            found.setdefault(seconds, match.group(0).rstrip(":]").strip())
    return found


def exact_matchers(written: str) -> Iterator[WrittenMatcher]:
    """Every `=` and `!=` matcher with a quoted value."""
    for match in _EXACT_MATCHER_RE.finditer(written):
        value = match.group("d") if match.group("d") is not None else match.group("s") or ""
        yield WrittenMatcher(match.group("label"), match.group("op"), value, match.group())


def regex_matchers(written: str) -> Iterator[WrittenMatcher]:
    """Every `=~` and `!~` matcher with a quoted value (double, single or backtick quotes)."""
    for match in _REGEX_MATCHER_RE.finditer(written):
        value = match.group(3) or match.group(4) or match.group(5) or ""
        yield WrittenMatcher(match.group(1), match.group(2), value, match.group())


def trailing_comparison(written: str) -> tuple[str, str, str] | None:
    """`(body, op, number)` of a query written as `body OP number` (`up == 0`, `x > 0.5`), the number as
    written; None for any other shape. For showing a changed threshold as one, not for deciding anything."""
    match = _TRAILING_COMPARISON_RE.match(written)
    return None if match is None else (match["body"], match["op"], match["value"])


def names_in(written: str) -> list[str]:
    """Every word that could be a metric or label name, strings and all: what a query that does not parse
    might refer to."""
    return _NAME_RE.findall(written)
