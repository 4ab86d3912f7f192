"""The one place that calls promql_parser.parse: a parse that never raises, and a locator for syntax errors.

promql-parser reports syntax errors without a position. We find what we can: an unbalanced bracket or quote,
or the first token after which the prefix stops being a plausible query, and otherwise report no offset.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from typing import Any

import attrs
import promql_parser

from monitoring_dsl.promql import prometheus
from monitoring_dsl.promql.prometheus import QUERY_CACHE_SIZE

_OPENERS = {"(": ")", "{": "}", "[": "]"}
_CLOSERS = {v: k for k, v in _OPENERS.items()}


@attrs.frozen
class SyntaxProblem:
    """Why a query does not parse, and where (an offset into the query) when we could tell."""

    message: str
    offset: int | None


@attrs.frozen
class Parsed:
    """A query that parsed. `ast` is promql_parser's tree; only code in this package looks inside it.

    A text an earlier run admitted (RECALLED) is parsed only when something asks for its tree: with every fact
    of it kept, nothing does, and a run after an edit parses only the queries whose text is new."""

    text: str
    _tree: Any = attrs.field(default=None, eq=False, repr=False, alias="ast")

    @property
    def ast(self) -> Any:
        tree = self._tree
        if tree is None:
            tree = _native_parse(self.text)  # admitted by an earlier run of this code, so it parses
            object.__setattr__(self, "_tree", tree)
        return tree


def _bracket_problem(text: str) -> SyntaxProblem | None:
    """An unmatched bracket or unterminated string, with its offset."""
    stack: list[tuple[str, int]] = []
    quote: tuple[str, int] | None = None
    index = 0
    while index < len(text):
        char = text[index]
        if quote is not None:
            if char == "\\" and quote[0] != "`":
                index += 1
            elif char == quote[0]:
                quote = None
        elif char in "\"'`":
            quote = (char, index)
        elif char == "#":
            newline = text.find("\n", index)
            index = len(text) if newline < 0 else newline
        elif char in _OPENERS:
            stack.append((char, index))
        elif char in _CLOSERS:
            if not stack:
                return SyntaxProblem(f"unexpected {char!r} with no matching {_CLOSERS[char]!r}", index)
            opener, position = stack.pop()
            if _OPENERS[opener] != char:
                return SyntaxProblem(
                    f"{char!r} closes {opener!r} opened at offset {position}; expected {_OPENERS[opener]!r}",
                    index,
                )
        index += 1
    if quote is not None:
        return SyntaxProblem(f"unterminated string starting with {quote[0]}", quote[1])
    if stack:
        opener, position = stack[-1]
        return SyntaxProblem(f"{opener!r} is never closed (missing {_OPENERS[opener]!r})", position)
    return None


# promql-parser recurses once per nesting level and per binary operator, on the native stack: a generated
# query of ~5000 chained `or`s overflows it and kills the process (SIGSEGV, which no `except` can catch), and
# the time grows quadratically before that. Real queries stay far below these limits (the realworld corpus
# peaks at 1.5 KB and nesting depth 8), so beyond them a query is reported instead of parsed.
#
# Every walk over the parsed tree (promql/analysis.py) uses an explicit stack, never Python recursion; the
# tree's depth is bounded all the same (MAX_TREE_DEPTH), so that no admitted query can exhaust anything.
# PromQL keywords are case-insensitive (`OR`, `Or`), so the operator count is too.
MAX_DEPTH = 256
MAX_OPERATORS = 1000
MAX_TREE_DEPTH = 2500
MAX_LENGTH = 64 * 1024
_OPERATOR_RE = re.compile(r"==|!=|>=|<=|[-+*/%^<>]|\b(?:and|or|unless|atan2)\b", re.IGNORECASE)
_STRING_RE = re.compile(r'"(?:[^"\\]|\\.)*"|' "'" r"(?:[^'\\]|\\.)*'|`[^`]*`|#[^\n]*")


def _screen(text: str) -> SyntaxProblem | int:
    """Why `text` is too large or too deep to hand to the parser, else a bound on its tree's depth.

    Every node of the tree below a leaf stands on a token of its own: an operator (binary, or a unary sign),
    or the opening `(` or `[` of a call, aggregation, parenthesis, range or subquery. A path from the root is
    therefore at most that many tokens plus its leaf deep, and only a query whose bound exceeds
    MAX_TREE_DEPTH needs its tree walked to find out."""
    if len(text) > MAX_LENGTH:
        return SyntaxProblem(f"query is {len(text)} characters long; the limit is {MAX_LENGTH}", None)
    bare = _STRING_RE.sub('""', text)
    operators = len(_OPERATOR_RE.findall(bare))
    if operators > MAX_OPERATORS:
        return SyntaxProblem(
            f"query has {operators} operators; the limit is {MAX_OPERATORS} (split it into recording rules)", None
        )
    depth = deepest = 0
    for char in bare:
        if char in "([{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in ")]}":
            depth -= 1
    if deepest > MAX_DEPTH:
        return SyntaxProblem(f"query nests {deepest} brackets deep; the limit is {MAX_DEPTH}", None)
    return operators + bare.count("(") + bare.count("[") + 1


def _native_parse(text: str) -> Any:
    """promql_parser's tree for `text`, read as Prometheus reads it; raises ValueError when it does not parse.

    Backtick strings are raw in Prometheus; regexes that only Rust's engine refuses, the names
    `anchored`/`smoothed` and `@` before a range are retried in a form promql_parser accepts (the regexes are
    judged by RE2 after).
    """
    prepared = prometheus.raw_strings_quoted(text)
    try:
        return promql_parser.parse(prepared)
    except ValueError as error:
        retry = prepared
        if "illegal regex" in str(error):
            retry = prometheus.regex_placeholders(retry)
        retry = prometheus.newer_keywords_as_names(retry) or retry
        retry = prometheus.at_before_range(retry) or retry
        if retry == prepared:
            raise
        try:
            return promql_parser.parse(retry)
        except ValueError:
            raise error from None


def _nodes(node: Any) -> Iterator[Any]:
    yield node
    for name in ("expr", "lhs", "rhs", "param", "vector_selector"):
        child = getattr(node, name, None)
        if child is not None and not isinstance(child, (str, int, float)):
            yield from _nodes(child)
    if isinstance(node, promql_parser.Call):
        for arg in node.args:
            yield from _nodes(arg)


def _durations_readable(ast: Any) -> bool:
    """Whether every range, step and offset of the tree fits Python's timedelta (promql_parser's can overflow)."""
    try:
        for node in _nodes(ast):
            for name in ("range", "step", "offset"):
                value = getattr(node, name, None)
                if value is not None:
                    value.total_seconds()
    except (ValueError, OverflowError):
        return False
    return True


# What an earlier run's parse made of each text (promql/remembered.py keeps them): None when the text was
# admitted, else its SyntaxProblem's message and offset. An admitted text gets its tree from the native parser
# only when something asks for it (Parsed.ast); a refused one is not parsed again.
Verdict = tuple[str, int | None] | None
RECALLED: dict[str, Verdict] = {}


@functools.lru_cache(maxsize=QUERY_CACHE_SIZE)
def parse(text: str) -> Parsed | SyntaxProblem:
    """Parse `text` as PromQL. Never raises, and never hands the native parser a query that could crash it."""
    return _recalled(text) if text in RECALLED else _judge(text)


def verdict(result: Parsed | SyntaxProblem) -> Verdict:
    """What of a parse's result is kept between runs."""
    return None if isinstance(result, Parsed) else (result.message, result.offset)


def _recalled(text: str) -> Parsed | SyntaxProblem:
    """What an earlier run's verdict on `text` makes of it: its tree is parsed when it is asked for."""
    verdict = RECALLED[text]
    return Parsed(text) if verdict is None else SyntaxProblem(*verdict)


def _judge(text: str) -> Parsed | SyntaxProblem:
    screened = _screen(text)
    if isinstance(screened, SyntaxProblem):
        return screened
    try:
        ast = _native_parse(text)
    except (ValueError, TypeError, OverflowError) as error:  # the Rust parser's errors arrive as ValueError
        located = _bracket_problem(text)
        message = str(error) or "invalid PromQL"
        if located is not None:
            return SyntaxProblem(f"{message}: {located.message}", located.offset)
        return SyntaxProblem(message, None)
    except BaseException as error:
        if isinstance(error, (KeyboardInterrupt, SystemExit)):
            raise
        return SyntaxProblem(f"the PromQL parser failed on this query ({type(error).__name__})", None)
    if screened > MAX_TREE_DEPTH:  # only then can the tree be too deep (see _screen)
        depth = tree_depth(ast)
        if depth > MAX_TREE_DEPTH:
            return SyntaxProblem(
                f"query nests {depth} operations deep; the limit is {MAX_TREE_DEPTH} (split it into recording rules)",
                None,
            )
    problem = prometheus.refusal(text)
    if problem is not None:
        return SyntaxProblem(problem.message, problem.offset)
    if prometheus.has_long_durations(text) and not _durations_readable(ast):
        return SyntaxProblem("a duration is out of range", None)
    return Parsed(text, ast)


def children(node: Any) -> list[Any]:
    """The sub-expressions of a promql_parser node, left to right."""
    if isinstance(node, promql_parser.AggregateExpr):
        return [c for c in (node.param, node.expr) if c is not None]
    if isinstance(node, promql_parser.BinaryExpr):
        return [node.lhs, node.rhs]
    if isinstance(node, promql_parser.Call):
        return list(node.args)
    if isinstance(node, promql_parser.MatrixSelector):
        return [node.vector_selector]
    if isinstance(node, (promql_parser.ParenExpr, promql_parser.UnaryExpr, promql_parser.SubqueryExpr)):
        return [node.expr]
    return []


def tree_depth(ast: Any) -> int:
    """How many nodes deep the tree goes, found without recursion."""
    deepest = 0
    stack = [(ast, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in children(node))
    return deepest
