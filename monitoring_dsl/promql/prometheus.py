"""Where Prometheus's own PromQL parser and promql_parser disagree, Prometheus's verdict, from the query text.

promql_parser follows the newest PromQL and its own lexer; Prometheus (2.42 and later) differs on a few points
that decide whether a rule file loads at all: backtick strings are raw (no escapes), regex matchers are Go
RE2 syntax, numbers beyond float64 and durations beyond int64 nanoseconds are errors, `@` takes only
timestamps that fit in int64 milliseconds, and `anchored`/`smoothed` are plain names. This module lexes the
query text (strings and comments aside) to rewrite what promql_parser would misread and to report what
Prometheus refuses. Version-dependent syntax (numbers used as durations) is reported as a feature use, for
the version check to judge.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Iterator

import attrs

from monitoring_dsl.promql.regex import regex_problem

# How many distinct query texts each per-text cache of promql/ holds (here, in parser.py and analysis.py): every
# query of a project of 250,000 rules (the benchmark's 4x L has 90,000), so no fact is computed twice in a run.
QUERY_CACHE_SIZE = 1 << 18


@attrs.frozen
class Literal:
    """A string literal in a query: its span in the text, the quote character and the raw body."""

    start: int
    end: int  # one past the closing quote (or the end of the text when unterminated)
    quote: str
    body: str


_TOKEN_RE = re.compile(r"""#[^\n]*|"(?:[^"\\]|\\.)*(?:"|\\?$)|'(?:[^'\\]|\\.)*(?:'|\\?$)|`[^`]*`?""", re.S)


@functools.lru_cache(maxsize=QUERY_CACHE_SIZE)
def _literals(text: str) -> tuple[Literal, ...]:
    found = []
    for match in _TOKEN_RE.finditer(text):
        token = match.group()
        if token[0] == "#":
            continue
        body = token[1:-1] if _closed(token) else token[1:]
        found.append(Literal(match.start(), match.end(), token[0], body))
    return tuple(found)


def _closed(token: str) -> bool:
    """Whether a string token ends with its closing quote (not an escaped one, nor only the opening one)."""
    if len(token) < 2 or token[-1] != token[0]:
        return False
    if token[0] == "`":
        return True
    run = len(token) - 1 - len(token[:-1].rstrip("\\"))  # backslashes right before the last quote
    return run % 2 == 0


def string_literals(text: str) -> Iterator[Literal]:
    """Every string literal in `text`, in order, skipping `#` comments."""
    yield from _literals(text)


def string_ends(text: str) -> dict[int, int]:
    """For each string literal in `text`, the offset of its opening quote -> one past its closing quote (the end
    of the text when unterminated): how a scanner of query text steps over strings, `#` comments respected."""
    return {literal.start: literal.end for literal in _literals(text)}


@functools.lru_cache(maxsize=QUERY_CACHE_SIZE)
def blank_strings(text: str) -> str:
    """`text` with every string literal's body and every comment replaced by spaces (same length)."""

    def blank(match: re.Match[str]) -> str:
        token = match.group()
        if token[0] == "#":
            return " " * len(token)
        closed = _closed(token)
        return token[0] + " " * (len(token) - (2 if closed else 1)) + (token[-1] if closed else "")

    return _TOKEN_RE.sub(blank, text)


_SIMPLE_ESCAPES = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v", "\\": "\\"}


def unquote(literal: Literal) -> str | None:
    """The value of a string literal as Go's strconv.Unquote gives it (PromQL's rule); None if invalid."""
    if literal.quote == "`":
        return literal.body
    out = []
    body = literal.body
    index = 0
    while index < len(body):
        char = body[index]
        if char != "\\":
            out.append(char)
            index += 1
            continue
        escape = body[index + 1 : index + 2]
        if escape in _SIMPLE_ESCAPES:
            out.append(_SIMPLE_ESCAPES[escape])
            index += 2
        elif escape == literal.quote:
            out.append(escape)
            index += 2
        elif escape in ("x", "u", "U"):
            width = {"x": 2, "u": 4, "U": 8}[escape]
            digits = body[index + 2 : index + 2 + width]
            if len(digits) != width or not all(c in "0123456789abcdefABCDEF" for c in digits):
                return None
            code = int(digits, 16)
            if escape != "x" and (code > 0x10FFFF or 0xD800 <= code < 0xE000):
                return None
            out.append(chr(code))
            index += 2 + width
        elif escape and escape in "01234567":
            digits = body[index + 1 : index + 4]
            if len(digits) != 3 or not all(c in "01234567" for c in digits) or int(digits, 8) > 255:
                return None
            out.append(chr(int(digits, 8)))
            index += 4
        else:
            return None
    return "".join(out)


def _double_quoted(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    return '"' + escaped.replace("\t", "\\t") + '"'


def raw_strings_quoted(text: str) -> str:
    """`text` with each backtick string written as the double-quoted string of the same value.

    promql_parser processes escapes inside backticks (`\\d` is an error there); Prometheus does not.
    """
    if "`" not in text:
        return text
    pieces = []
    last = 0
    for literal in string_literals(text):
        if literal.quote == "`" and literal.end <= len(text) and text[literal.end - 1] == "`":
            pieces.append(text[last : literal.start])
            pieces.append(_double_quoted(literal.body))
            last = literal.end
    pieces.append(text[last:])
    return "".join(pieces)


_REGEX_OP_RE = re.compile(r"(=~|!~)\s*$")
REGEX_PLACEHOLDER = '"(?:re2)+"'


def _regex_literals(text: str) -> Iterator[Literal]:
    """The string literals that are the value of a regex matcher (`=~`, `!~`)."""
    blanked = blank_strings(text)
    for literal in string_literals(text):
        if _REGEX_OP_RE.search(blanked, max(0, literal.start - 64), literal.start):
            yield literal


def regex_values(text: str) -> list[str | None]:
    """The value of every regex matcher (`=~`, `!~`) in `text`; None for a string that does not unquote."""
    return [unquote(literal) for literal in _regex_literals(text)]


def regex_placeholders(text: str) -> str:
    """`text` with each regex matcher's string replaced by a regex every engine accepts.

    Used when promql_parser's Rust regex engine refuses a regex that Go accepts (`\\Q...\\E`, repeated group
    names); the regexes themselves are then judged by RE2 alone.
    """
    pieces = []
    last = 0
    for literal in _regex_literals(text):
        pieces.append(text[last : literal.start])
        pieces.append(REGEX_PLACEHOLDER)
        last = literal.end
    pieces.append(text[last:])
    return "".join(pieces)


# Words that promql_parser lexes as keywords but Prometheus 2.x reads as plain metric names.
NEWER_KEYWORDS = ("anchored", "smoothed")
_NEWER_KEYWORD_RE = re.compile(r"(?<![\w:.])(" + "|".join(NEWER_KEYWORDS) + r")(?![\w:])(\s*\{)?")


_GROUPING_OPEN_RE = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^()]*$", re.IGNORECASE)


def _as_names(blanked: str) -> Iterator[re.Match[str]]:
    """Matches of `anchored`/`smoothed` in metric-name position (not a label in a grouping clause)."""
    for match in _NEWER_KEYWORD_RE.finditer(blanked):
        if not _GROUPING_OPEN_RE.search(blanked[: match.start()]):
            yield match


def newer_keywords_as_names(text: str) -> str | None:
    """`text` with `anchored`/`smoothed` written so that promql_parser reads them as names: `{__name__="..."}`
    as a metric, quoted in a grouping clause (`by ("anchored")`); None if there is none."""
    blanked = blank_strings(text)
    pieces = []
    last = 0
    for match in _NEWER_KEYWORD_RE.finditer(blanked):
        pieces.append(text[last : match.start()])
        name = match.group(1)
        if _GROUPING_OPEN_RE.search(blanked[: match.start()]):
            pieces.append(f'"{name}"' + (match.group(2) or ""))
        else:
            pieces.append(f'{{__name__="{name}",' if match.group(2) else f'{{__name__="{name}"}}')
        last = match.end()
    if not pieces:
        return None
    pieces.append(text[last:])
    return "".join(pieces)


_AT_BEFORE_RANGE_RE = re.compile(r"(@\s*(?:start|end)\s*\(\s*\))\s*(\[[^\[\]]*\])")


def at_before_range(text: str) -> str | None:
    """`text` with `x @ start() [5m]` written `x[5m] @ start()`, the order promql_parser wants; None if none.

    Prometheus 2.42 accepts `@ start()` and `@ end()` before a range (not a numeric `@`, oddly).
    """
    blanked = blank_strings(text)
    pieces = []
    last = 0
    for match in _AT_BEFORE_RANGE_RE.finditer(blanked):
        pieces.append(text[last : match.start()])
        pieces.append(f"{text[match.start(2) : match.end(2)]} {text[match.start(1) : match.end(1)]}")
        last = match.end()
    if not pieces:
        return None
    pieces.append(text[last:])
    return "".join(pieces)


def newer_keywords(text: str) -> list[str]:
    """`anchored` or `smoothed` used as a name in `text` (a keyword in newer Prometheus)."""
    return [match.group(1) for match in _as_names(blank_strings(text))]


_GROUPING_RE = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\(([^()]*)\)", re.IGNORECASE)


def quoted_grouping_labels(text: str) -> list[str]:
    """Quoted label names in `by (...)`, `on (...)` and the like: UTF-8 name syntax, Prometheus 3.0."""
    blanked = blank_strings(text)
    found = []
    for match in _GROUPING_RE.finditer(blanked):
        if any(quote in match.group(1) for quote in "\"'`"):
            found.append(text[match.start(1) : match.end(1)].strip())
    return found


_UNIT = r"(?:ms|[smhdwy])"
_NUMBER_RE = re.compile(
    r"(?<![\w.])(?P<number>0[xX][0-9a-fA-F]+|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)"
    rf"(?P<unit>{_UNIT}(?:\d+{_UNIT})*)?(?![\w.])"
)
_KEYWORD_BEFORE_RE = re.compile(r"(?:offset\s*-?|@\s*[-+]?|[\[:])\s*$", re.IGNORECASE)
MAX_SECONDS = (2**63 - 1) / 1e9  # Go's time.Duration is int64 nanoseconds
_MAX_AT = float(2**63 - 1) / 1000  # @ takes int64 milliseconds


@attrs.frozen
class NumberToken:
    """A number or duration in the query text, with what precedes it (`[`, `:`, `offset`, `@` or other)."""

    text: str
    offset: int
    value: float  # seconds for a duration
    duration: bool
    context: str  # "range", "offset", "at" or "expr"


def _duration_seconds(token: str) -> float:
    total = 0.0
    for amount, unit in re.findall(r"(\d+)(ms|[smhdwy])", token):
        total += int(amount) * {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}[unit]
    return total


@functools.lru_cache(maxsize=QUERY_CACHE_SIZE)
def number_tokens(text: str) -> tuple[NumberToken, ...]:
    """Every number and duration literal outside strings and comments, with the syntax it stands in."""
    blanked = blank_strings(text)
    tokens = []
    depth = 0  # inside [...] of a range or subquery
    last = 0
    for match in _NUMBER_RE.finditer(blanked):
        start = match.start()
        depth += blanked.count("[", last, start) - blanked.count("]", last, start)
        last = start
        if start > 0 and blanked[start - 1] == ":" and depth <= 0:
            continue  # part of a metric name such as `job:5m`
        before = _KEYWORD_BEFORE_RE.search(blanked, max(0, start - 16), start)
        context = "expr"
        if before is not None:
            word = before.group()
            context = "offset" if word.lower().startswith("offset") else "at" if word.startswith("@") else "range"
        elif depth > 0:
            context = "range"
        number, unit = match.group("number"), match.group("unit")
        if unit:
            value = _duration_seconds(number + unit) if re.fullmatch(r"\d+", number) else math.nan
        else:
            value = float(int(number, 16)) if number[:2].lower() == "0x" else float(number)
        tokens.append(NumberToken(match.group(), start, value, bool(unit), context))
    return tuple(tokens)


@attrs.frozen
class Refusal:
    """Why Prometheus refuses a query that promql_parser accepted, and where."""

    message: str
    offset: int | None


def refusal(text: str) -> Refusal | None:
    """What in `text` Prometheus's parser refuses although promql_parser does not: None when nothing is."""
    for token in number_tokens(text):
        if not token.duration and math.isinf(token.value):
            return Refusal(f"number {token.text} is out of range (beyond float64)", token.offset)
        if token.duration and token.value > MAX_SECONDS:
            return Refusal(f"duration {token.text} is out of range (more than about 292 years)", token.offset)
        if token.context == "at" and not token.duration and abs(token.value) > _MAX_AT:
            return Refusal(f"timestamp {token.text} is out of bounds for the @ modifier", token.offset)
    at_literal = re.search(r"@\s*[-+]?\s*(?i:inf|nan)\b", blank_strings(text))
    if at_literal:
        return Refusal("timestamp is out of bounds for the @ modifier (Inf or NaN)", at_literal.start())
    for value in regex_values(text):
        problem = None if value is None else regex_problem(value)
        if value is not None and problem is not None:
            return Refusal(f"invalid regular expression {value!r}: {problem}", _find(text, value))
    return None


def _find(text: str, value: str) -> int | None:
    offset = text.find(value)
    return offset if offset >= 0 else None


def has_long_durations(text: str) -> bool:
    """Whether a duration in `text` is long enough (over about three years) to overflow promql_parser."""
    return any(token.value > 1e8 for token in number_tokens(text) if token.duration or token.context != "expr")


def numbers_as_durations(text: str) -> list[str]:
    """Numbers written where a duration goes (`x[5]`, `offset 5`) and durations written as numbers (`> 5m`).

    Both became legal when Prometheus made durations and numbers interchangeable; older versions refuse them.
    """
    found = []
    for token in number_tokens(text):
        where_duration = token.context in ("range", "offset")
        if where_duration != token.duration:
            found.append(token.text)
    return found
