"""Grafana macros and dashboard variables in panel queries, replaced by sample values before parsing.

A panel query such as `rate(x{endpoint=~"$endpoint"}[$__rate_interval])` is not PromQL until Grafana has
substituted it. We substitute by kind: built-in durations by a duration, interval variables by their first
interval, custom variables by their first value, query variables by a placeholder that checks recognise.
Offsets in the substituted text map back to the original, so errors point at what the user wrote.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Mapping

import attrs

from monitoring_dsl.model.dashboards import VARIABLE_REFERENCE_RE, referenced_variable

# Placeholder for a value only Prometheus knows (a query variable). Checks skip names that start with it.
PLACEHOLDER_PREFIX = "grafana_var__"

BUILTIN_MACROS: Mapping[str, str] = {
    "__rate_interval": "1m",
    "__interval": "15s",
    "__range": "6h",
    "__interval_ms": "15000",
    "__range_s": "21600",
    "__range_ms": "21600000",
    "__rate_interval_ms": "60000",
}


@attrs.frozen
class Reference:
    """One Grafana macro or variable reference in a query: `$__rate_interval`, `${queue:regex}`, `[[queue]]`."""

    name: str
    text: str  # as written
    start: int
    quoted: bool  # inside a string literal (a label value), rather than in place of a duration or name

    @property
    def macro(self) -> bool:
        """Whether Grafana defines it (`$__rate_interval`), rather than the dashboard."""
        return self.name.startswith("__")


def references(query: str) -> tuple[Reference, ...]:
    """Every Grafana macro and variable reference in `query`, in order."""
    found = []
    quotes = _QuoteScanner(query)  # one pass over the query, however many references it holds
    for match in VARIABLE_REFERENCE_RE.finditer(query):
        name = referenced_variable(match)
        found.append(Reference(name, match.group(), match.start(), quotes.inside(match.start())))
    return tuple(found)


@attrs.frozen
class VariableInfo:
    """What the substitution needs to know of a dashboard variable."""

    kind: str
    sample: str


@attrs.frozen
class Substituted:
    """A query after substitution, the variables it referenced, and the way back to original offsets."""

    original: str
    text: str
    references: tuple[str, ...]
    unknown_macros: tuple[str, ...]
    _segments: tuple[tuple[int, int, int, int], ...] = ()  # (text start, text end, original start, original end)

    def original_offset(self, offset: int) -> int:
        """The offset in `original` of the character at `offset` in `text`; inside a substituted value, the
        matching character of the reference it replaced (its last one when the value is longer)."""
        index = bisect.bisect_right(self._segments, offset, key=lambda segment: segment[0]) - 1
        if index < 0:
            return offset
        start, end, original_start, original_end = self._segments[index]
        if offset < end:
            return min(original_start + (offset - start), original_end - 1)
        return original_end + (offset - end)


class _QuoteScanner:
    """Whether positions of a text lie inside a string literal (comments, which may hold apostrophes, are
    skipped). Positions are asked in increasing order and the scan resumes where it stopped, so all the
    references of a query cost one pass over it, however many there are."""

    def __init__(self, text: str):
        self.text = text
        self.index = 0
        self.quote: str | None = None
        self.comment_end = -1  # while the scan stands in a comment: where it ends

    def inside(self, position: int) -> bool:
        text, index, quote = self.text, self.index, self.quote
        if self.comment_end >= 0:
            if position < self.comment_end:
                return False
            index, self.comment_end = self.comment_end, -1
        while index < position:
            char = text[index]
            if quote:
                if char == "\\":
                    index += 1
                elif char == quote:
                    quote = None
            elif char == "#":
                newline = text.find("\n", index)
                if newline < 0 or newline >= position:
                    self.index, self.quote = index, None
                    self.comment_end = len(text) if newline < 0 else newline
                    return False
                index = newline
            elif char in "\"'`":
                quote = char
            index += 1
        self.index, self.quote = index, quote
        return quote is not None


def substitute(query: str, variables: Mapping[str, VariableInfo]) -> Substituted:
    """Replace Grafana macros and `variables` in `query` by values that keep the query's shape."""
    pieces: list[str] = []
    segments: list[tuple[int, int, int, int]] = []
    references: list[str] = []
    unknown: list[str] = []
    last = 0
    out_length = 0
    quotes = _QuoteScanner(query)
    for match in VARIABLE_REFERENCE_RE.finditer(query):
        name = referenced_variable(match)
        quoted = quotes.inside(match.start())
        if name in BUILTIN_MACROS:
            value = BUILTIN_MACROS[name]
        elif name.startswith("__"):
            unknown.append(name)
            value = "1m"
        else:
            references.append(name)
            info = variables.get(name)
            if info is not None and info.kind in ("interval", "custom", "constant") and info.sample:
                value = info.sample
            elif quoted:
                value = "value"
            else:
                value = PLACEHOLDER_PREFIX + name
        pieces.append(query[last : match.start()])
        out_length += match.start() - last
        pieces.append(value)
        segments.append((out_length, out_length + len(value), match.start(), match.end()))
        out_length += len(value)
        last = match.end()
    pieces.append(query[last:])
    return Substituted(
        original=query,
        text="".join(pieces),
        references=tuple(dict.fromkeys(references)),
        unknown_macros=tuple(dict.fromkeys(unknown)),
        segments=tuple(segments),
    )


def interpolate(query: str, values: Mapping[str, str]) -> tuple[str, tuple[str, ...]]:
    """`query` with every macro and variable reference replaced by its entry in `values` (names without `$`),
    as Grafana sends it to Prometheus; also the referenced names `values` has no entry for (left as written)."""
    missing: list[str] = []

    def replace(match: re.Match[str]) -> str:
        name = referenced_variable(match)
        if name in values:
            return values[name]
        missing.append(name)
        return match.group(0)

    return VARIABLE_REFERENCE_RE.sub(replace, query), tuple(dict.fromkeys(missing))
