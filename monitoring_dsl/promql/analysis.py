"""Facts about a parsed query, as plain data: the series it selects and the labels it groups by.

Checks ask questions of these facts; no check touches promql_parser's tree directly. Label sets are computed
bottom-up through the tree, given a function that knows each series' labels (None where nobody can know).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import attrs
import promql_parser as pp

from monitoring_dsl.promql.parser import Parsed

LabelSet = frozenset[str] | None
LabelsOf = Callable[[str], LabelSet]

# promql_parser's enums are not hashable, so the operator is found by comparison.
_MATCH_OPS = (
    (pp.MatchOp.Equal, "="),
    (pp.MatchOp.NotEqual, "!="),
    (pp.MatchOp.Re, "=~"),
    (pp.MatchOp.NotRe, "!~"),
)


def _match_op(op: Any) -> str:
    return next(text for candidate, text in _MATCH_OPS if op == candidate)


# Functions whose result keeps the labels of their first instant-vector argument.
_ADDS_LABEL = {"label_replace", "label_join"}
_SCALAR_RESULT = {
    "scalar",
    "time",
    "pi",
    "vector",
    "minute",
    "hour",
    "day_of_month",
    "day_of_week",
    "day_of_year",
    "days_in_month",
    "month",
    "year",
}


@attrs.frozen
class Matcher:
    label: str
    op: str
    value: str


@attrs.frozen
class Selector:
    """A series selector: `name{matchers}`, with its range when it is `name[5m]`."""

    name: str | None
    matchers: tuple[Matcher, ...]
    range_seconds: float | None
    function: str | None  # the function this selector is a direct argument of, if any


@attrs.frozen
class Grouping:
    """A `by` or `without` clause, the labels it names, and the labels its operand can carry."""

    clause: str
    labels: tuple[str, ...]
    available: LabelSet
    series: tuple[str, ...]  # names of the series under the clause, for messages


def _selector_name(node: Any) -> str | None:
    if node.name:
        return str(node.name)
    for matcher in node.matchers.matchers:
        if matcher.name == "__name__" and matcher.op == pp.MatchOp.Equal:
            return str(matcher.value)
    return None


def _children(node: Any) -> list[Any]:
    if isinstance(node, pp.AggregateExpr):
        return [c for c in (node.param, node.expr) if c is not None]
    if isinstance(node, pp.BinaryExpr):
        return [node.lhs, node.rhs]
    if isinstance(node, pp.Call):
        return list(node.args)
    if isinstance(node, pp.MatrixSelector):
        return [node.vector_selector]
    if isinstance(node, (pp.ParenExpr, pp.UnaryExpr, pp.SubqueryExpr)):
        return [node.expr]
    return []


def _walk(node: Any, parent: Any = None) -> Iterator[tuple[Any, Any]]:
    yield node, parent
    for child in _children(node):
        yield from _walk(child, node)


def _selector(node: Any, range_seconds: float | None, function: str | None) -> Selector:
    matchers = tuple(Matcher(str(m.name), _match_op(m.op), str(m.value)) for m in node.matchers.matchers)
    return Selector(_selector_name(node), matchers, range_seconds, function)


def _collect_selectors(node: Any, function: str | None, found: list[Selector]) -> None:
    if isinstance(node, pp.VectorSelector):
        found.append(_selector(node, None, function))
    elif isinstance(node, pp.MatrixSelector):
        found.append(_selector(node.vector_selector, node.range.total_seconds(), function))
    elif isinstance(node, pp.ParenExpr):
        _collect_selectors(node.expr, function, found)
    elif isinstance(node, pp.SubqueryExpr) and isinstance(node.expr, pp.VectorSelector):
        # rate(x[5m:1m]) sees x over the subquery's range, as rate(x[5m]) would
        window = node.range.total_seconds() if node.range is not None else None
        found.append(_selector(node.expr, window, function))
    else:
        name = str(node.func.name) if isinstance(node, pp.Call) else None
        for child in _children(node):
            _collect_selectors(child, name, found)


def selectors(parsed: Parsed) -> list[Selector]:
    """Every series selector in the query, in order of appearance, with the function it is an argument of."""
    found: list[Selector] = []
    _collect_selectors(parsed.ast, None, found)
    return found


def function_names(parsed: Parsed) -> list[str]:
    return [str(node.func.name) for node, _ in _walk(parsed.ast) if isinstance(node, pp.Call)]


def _series_names(node: Any) -> tuple[str, ...]:
    names = []
    for child, _ in _walk(node):
        if isinstance(child, pp.VectorSelector):
            name = _selector_name(child)
            if name:
                names.append(name)
    return tuple(dict.fromkeys(names))


def _labels(node: Any, labels_of: LabelsOf) -> LabelSet:
    """The labels the series of `node`'s result can carry; None when that cannot be known."""
    if isinstance(node, pp.VectorSelector):
        name = _selector_name(node)
        return labels_of(name) if name else None
    if isinstance(node, pp.MatrixSelector):
        return _labels(node.vector_selector, labels_of)
    if isinstance(node, (pp.ParenExpr, pp.UnaryExpr, pp.SubqueryExpr)):
        return _labels(node.expr, labels_of)
    if isinstance(node, (pp.NumberLiteral, pp.StringLiteral)):
        return frozenset()
    if isinstance(node, pp.Call):
        name = str(node.func.name)
        if name in _SCALAR_RESULT:
            return frozenset()
        if name == "absent" or name == "absent_over_time":
            return None
        vector_args = [a for a in node.args if not isinstance(a, (pp.NumberLiteral, pp.StringLiteral))]
        if not vector_args:
            return frozenset()
        inner = _labels(vector_args[0], labels_of)
        if inner is None:
            return None
        if name in _ADDS_LABEL and len(node.args) > 1 and isinstance(node.args[1], pp.StringLiteral):
            return inner | {str(node.args[1].val)}
        if name == "histogram_quantile":
            return inner - {"le"}
        return inner
    if isinstance(node, pp.AggregateExpr):
        op = str(node.op)
        inner = _labels(node.expr, labels_of)
        aggregation = node.modifier
        if op in ("topk", "bottomk", "limitk", "limit_ratio"):
            return inner
        extra: frozenset[str] = frozenset()
        if op == "count_values" and isinstance(node.param, pp.StringLiteral):
            extra = frozenset({str(node.param.val)})
        if aggregation is None:
            return extra
        labels = frozenset(str(label) for label in aggregation.labels)
        if aggregation.type == pp.AggModifierType.By:
            return labels | extra if inner is None else (labels & inner) | extra
        return None if inner is None else (inner - labels) | extra
    if isinstance(node, pp.BinaryExpr):
        lhs, rhs = _labels(node.lhs, labels_of), _labels(node.rhs, labels_of)
        op = str(node.op)
        matching = node.modifier
        card = matching.card if matching is not None else None
        if op == "or":
            return None if lhs is None or rhs is None else lhs | rhs
        if card == pp.VectorMatchCardinality.OneToMany:
            base, other = rhs, lhs
        else:
            base, other = lhs, rhs
        if not base and other:  # scalar op vector
            return other
        if base is None:
            return None
        if matching is not None and card in (pp.VectorMatchCardinality.ManyToOne, pp.VectorMatchCardinality.OneToMany):
            return base | frozenset(str(label) for label in matching.group_labels or ())
        if op in ("and", "unless") or matching is None or matching.matching is None:
            return base
        # one-to-one matching: `on (...)` keeps only those labels, `ignoring (...)` drops them
        named = frozenset(str(label) for label in matching.matching.labels)
        if matching.matching.type == pp.LabelModifierType.Include:
            return base & named
        return base - named
    return None


def output_labels(parsed: Parsed, labels_of: LabelsOf) -> LabelSet:
    """The labels the query's result series can carry (None when unknown)."""
    return _labels(parsed.ast, labels_of)


def groupings(parsed: Parsed, labels_of: LabelsOf) -> list[Grouping]:
    """Every `by`/`without` clause of an aggregation, with the labels available beneath it."""
    found = []
    for node, _ in _walk(parsed.ast):
        if isinstance(node, pp.AggregateExpr) and node.modifier is not None and node.modifier.labels:
            clause = "by" if node.modifier.type == pp.AggModifierType.By else "without"
            found.append(
                Grouping(
                    clause,
                    tuple(str(label) for label in node.modifier.labels),
                    _labels(node.expr, labels_of),
                    _series_names(node.expr),
                )
            )
    return found
