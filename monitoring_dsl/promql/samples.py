"""Label values that a selector's matchers accept or refuse: what generated rule tests feed their input series.

Only simple patterns are handled (literals, `.`, classes, `?`, `*`, `+`, top-level alternatives: `5..`,
`5xx|503`, `[45]..`); a candidate is kept only when the pattern matches it whole. Python's `re` agrees with
RE2 on that subset; anything with groups, anchors or counted repeats gets no value (None).
"""

from __future__ import annotations

import re

from monitoring_dsl.promql.analysis import Matcher, selectors
from monitoring_dsl.promql.parser import Parsed, parse

_OTHER_VALUES = ("ok", "200", "other", "x", "")
_LITERALS_RE = re.compile(r"[A-Za-z0-9_/-]*(\|[A-Za-z0-9_/-]*)*")


def first_match(pattern: str) -> str | None:
    """A string the pattern matches whole, or None when the pattern is outside the simple subset."""
    alternative = pattern.split("|", 1)[0]
    out: list[str] = []
    i = 0
    while i < len(alternative):
        char = alternative[i]
        if char in "(){}^$":
            return None
        if char == "\\" and i + 1 < len(alternative):
            nxt = alternative[i + 1]
            out.append({"d": "0", "w": "a", "s": " "}.get(nxt, nxt))
            i += 2
            continue
        if char == "[":
            end = alternative.find("]", i + 2)
            if end < 0 or alternative[i + 1] == "^":
                return None
            out.append(alternative[i + 1])
            i = end + 1
            continue
        if char in "*?":
            if out:
                out.pop()
        elif char == ".":
            out.append("0")
        elif char != "+":
            out.append(char)
        i += 1
    candidate = "".join(out)
    return candidate if _fullmatch(pattern, candidate) else None


def _fullmatch(pattern: str, value: str) -> bool | None:
    try:
        return re.fullmatch(pattern, value) is not None
    except re.error:
        return None


def matching_value(matcher: Matcher) -> str | None:
    """A label value `matcher` accepts, or None when none can be found."""
    if matcher.op == "=":
        return matcher.value
    if matcher.op == "!=":
        return next(v for v in ("other", "x") if v != matcher.value)
    if matcher.op == "=~":
        if _LITERALS_RE.fullmatch(matcher.value):
            return matcher.value.split("|")[0]
        return first_match(matcher.value)
    return refused_value(Matcher(matcher.label, "=~", matcher.value))


def refused_value(matcher: Matcher) -> str | None:
    """A label value `matcher` refuses, or None when none can be found."""
    if matcher.op == "=":
        return next(v for v in _OTHER_VALUES if v != matcher.value)
    if matcher.op == "!=":
        return matcher.value
    if matcher.op == "=~":
        return next((v for v in _OTHER_VALUES if _fullmatch(matcher.value, v) is False), None)
    return matching_value(Matcher(matcher.label, "=~", matcher.value))


def single_selector(text: str) -> tuple[str, tuple[Matcher, ...]] | None:
    """The metric name and matchers (without `__name__`) of a query that is one named selector, else None."""
    parsed = parse(text)
    if not isinstance(parsed, Parsed):
        return None
    found = selectors(parsed)
    if len(found) != 1 or found[0].name is None:
        return None
    return found[0].name, tuple(m for m in found[0].matchers if m.label != "__name__")


def ratio_series(errors: str, total: str) -> tuple[str, dict[str, str], dict[str, str]] | None:
    """For errors and total selectors of one metric, the metric and two label sets: one both select (a bad
    event), one only the total selects (a good event). None when the selectors or their patterns do not allow
    it (another metric, no matcher of its own, a pattern outside the simple subset)."""
    errors_selector, total_selector = single_selector(errors), single_selector(total)
    if errors_selector is None or total_selector is None or errors_selector[0] != total_selector[0]:
        return None
    name, total_matchers = total_selector
    extra = [m for m in errors_selector[1] if m not in total_matchers]
    if not extra:
        return None
    bad: dict[str, str] = {}
    for matcher in (*total_matchers, *extra):
        value = matching_value(matcher)
        if value is None:
            return None
        bad[matcher.label] = value
    refused = refused_value(extra[0])
    if refused is None:
        return None
    return name, bad, {**bad, extra[0].label: refused}
