"""The one place that uses google-re2: does Prometheus accept this regular expression?

Prometheus compiles the value of every `=~` and `!~` matcher with Go's regexp package, anchored as
`^(?:<value>)$`; a value Go refuses makes the whole query invalid. Go's regexp implements RE2's syntax, which
google-re2 (RE2 itself) checks here. Where the C++ library and Go 1.19/1.20 (what Prometheus 2.42 was built
with) differ, Go's verdict is reproduced below; docs/promql-compatibility.md lists what remains.
"""

from __future__ import annotations

import functools
import re

import re2

_OPTIONS = re2.Options()
_OPTIONS.log_errors = False  # RE2 would log every rejected pattern on stderr

# Differences between C++ RE2 and Go's regexp/syntax (Go 1.20), from Go's parser:
_GO_ONLY = (
    # Go before 1.22 knows only the (?P<name>...) form of a named group
    (re.compile(r"(?<!\\)(?:\\\\)*\(\?<"), "invalid or unsupported Perl syntax: `(?<`"),
    # \C (any byte) is C++-only
    (re.compile(r"(?<!\\)(?:\\\\)*\\C"), "invalid escape sequence: `\\C`"),
)
_REPEAT_RE = re.compile(r"\{(\d+)(?:,(\d*))?\}")
MAX_REPEAT = 1000


def _nested_repeat_too_large(pattern: str) -> bool:
    """Go refuses repetitions whose nested counts multiply beyond 1000 (`(a{500}){3}`); RE2 C++ allows them.

    An approximation over the pattern text: counts of `{n}`/`{n,m}` that close directly after a group which
    itself contains a counted repetition are multiplied.
    """
    depth_products: list[int] = [1]
    stack: list[int] = []  # the largest count inside each open group
    inner = 1
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "\\":
            index += 2
            continue
        if char == "[":
            close = pattern.find("]", index + 2)
            index = len(pattern) if close < 0 else close + 1
            continue
        if char == "(":
            stack.append(inner)
            inner = 1
        elif char == ")" and stack:
            group = inner
            inner = stack.pop()
            match = _REPEAT_RE.match(pattern, index + 1)
            if match:
                count = max(int(match.group(1)), int(match.group(2) or 0))
                if group * count > MAX_REPEAT and group > 1:
                    return True
                inner = max(inner, group * count)
                index = match.end()
                continue
            inner = max(inner, group)
        elif char == "{":
            match = _REPEAT_RE.match(pattern, index)
            if match:
                inner = max(inner, int(match.group(1)), int(match.group(2) or 0))
                index = match.end()
                continue
        index += 1
    del depth_products
    return False


@functools.lru_cache(maxsize=16384)
def regex_problem(value: str) -> str | None:
    """Why Prometheus refuses `value` as the regular expression of a matcher, or None when it accepts it."""
    for pattern, message in _GO_ONLY:
        if pattern.search(value):
            return message
    try:
        re2.compile(f"^(?:{value})$", _OPTIONS)
    except re2.error as error:
        detail = error.args[0] if error.args else str(error)
        return detail.decode("utf-8", "replace") if isinstance(detail, bytes) else str(detail)
    if _nested_repeat_too_large(value):
        return "invalid repeat count: nested repetitions beyond 1000"
    return None
