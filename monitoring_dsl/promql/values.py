"""The value fact of a query: what its numbers measure (a `Quantity`: unit, scale, rate or not, ratio or not),
computed in one bottom-up walk over promql_parser's tree.

The walk knows what operators and functions do to units; what each series measures is the caller's (its
declaration's `unit=`, else its name), handed in as `series`, with `is_counter` for the functions that only make
sense on counters. Anything the walk does not model gives no quantity, so a query it does not understand is
never reported.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import promql_parser as pp

from monitoring_dsl.model.units import COUNT, DATA, FRACTION, NUMBER, TIME, Quantity, merge
from monitoring_dsl.promql.analysis import per_query_lazily
from monitoring_dsl.promql.parser import Parsed, children

# The tree the walk reads: ("number", value), ("string",), ("selector", name, is_range), ("call", name, args),
# ("aggregate", name, args), ("binary", op, lhs, rhs, bool_modifier), ("negate", expr), ("subquery", expr).
_Node = tuple[Any, ...]

_COMPARISONS = {"==", "!=", "<=", "<", ">=", ">"}
_KEEPS_UNIT = {
    "abs",
    "ceil",
    "floor",
    "round",
    "clamp",
    "clamp_min",
    "clamp_max",
    "sort",
    "sort_desc",
    "sort_by_label",
    "sort_by_label_desc",
    "label_replace",
    "label_join",
    "last_over_time",
    "min_over_time",
    "max_over_time",
    "avg_over_time",
    "quantile_over_time",
    "mad_over_time",
    "stddev_over_time",
    "delta",
    "idelta",
    "scalar",
}
_KEEPS_UNIT_AGGREGATIONS = {
    "sum",
    "avg",
    "min",
    "max",
    "topk",
    "bottomk",
    "limitk",
    "limit_ratio",
    "quantile",
    "stddev",
}


class _GiveUp(Exception):
    """The query holds something the walk does not model."""


def _name(selector: Any) -> str | None:
    return str(selector.name) if selector.name else None


def _node(node: Any) -> _Node:
    """promql_parser's `node` as the walk's tree: parentheses, `offset` and `@` change no unit and are dropped."""
    if isinstance(node, pp.ParenExpr):
        return _node(node.expr)
    if isinstance(node, pp.NumberLiteral):
        return ("number", float(node.val))
    if isinstance(node, pp.StringLiteral):
        return ("string",)
    if isinstance(node, pp.UnaryExpr):
        operand = _node(node.expr)
        return ("number", -operand[1]) if operand[0] == "number" else ("negate", operand)
    if isinstance(node, pp.VectorSelector):
        return ("selector", _name(node), False)
    if isinstance(node, pp.MatrixSelector):
        return ("selector", _name(node.vector_selector), True)
    if isinstance(node, pp.SubqueryExpr):
        return ("subquery", _node(node.expr))
    if isinstance(node, pp.Call):
        return ("call", str(node.func.name), tuple(_node(arg) for arg in node.args))
    if isinstance(node, pp.AggregateExpr):
        args = tuple(_node(child) for child in (node.param, node.expr) if child is not None)
        return ("aggregate", str(node.op).lower(), args)
    if isinstance(node, pp.BinaryExpr):
        with_bool = bool(node.modifier is not None and node.modifier.return_bool)
        return ("binary", str(node.op).lower(), _node(node.lhs), _node(node.rhs), with_bool)
    raise _GiveUp


def value_of(
    parsed: Parsed, series: Callable[[str], Quantity | None], is_counter: Callable[[str], bool]
) -> Quantity | None:
    """What the numbers of `parsed` measure, given what each series measures; None when unknown."""
    tree = value_tree(parsed)
    return None if tree is None else _Walk(series, is_counter).of(tree)


@per_query_lazily
def value_tree(parsed: Parsed) -> _Node | None:
    """The query as the walk's tree (tuples, strings and numbers); None when it holds what the walk does not
    model."""
    try:
        return _node(parsed.ast)
    except (_GiveUp, ValueError, RecursionError):
        return None


class _Walk:
    def __init__(self, series: Callable[[str], Quantity | None], is_counter: Callable[[str], bool]):
        self.series = series
        self.is_counter = is_counter

    def of(self, node: _Node) -> Quantity | None:
        kind = node[0]
        if kind == "number":
            return Quantity(NUMBER)
        if kind == "selector":
            return self.series(node[1]) if node[1] else None
        if kind == "subquery" or kind == "negate":
            return self.of(node[1])
        if kind == "call":
            return self.call(node[1], node[2])
        if kind == "aggregate":
            name, args = node[1], node[2]
            if name == "count":
                return Quantity(COUNT)
            if name in _KEEPS_UNIT_AGGREGATIONS and args:
                inner = self.of(args[-1])
                return inner if inner is not None and inner.dimension != NUMBER else None
            return None
        if kind == "binary":
            return _binary(node[1], self.of(node[2]), self.of(node[3]), node[4], node[2], node[3])
        return None

    def call(self, name: str, args: tuple[_Node, ...]) -> Quantity | None:
        if name == "time":
            return Quantity(TIME)
        if name == "vector":
            return Quantity(NUMBER)
        if name == "histogram_quantile" and len(args) == 2:
            inner = self.of(args[1])
            return inner.bounds if inner is not None else None
        if not args:
            return None
        first = next((arg for arg in args if arg[0] not in ("number", "string")), None)
        if first is None:
            return None
        inner = self.of(first)
        if inner is None or inner.dimension == NUMBER:
            return None
        if name in ("rate", "irate", "increase"):
            if first[0] != "selector" or not first[1] or inner.per_second or inner.dimension == FRACTION:
                return None
            if not self.is_counter(first[1]):
                return None
            return inner.with_(per_second=True) if name != "increase" else inner
        if name == "deriv":
            return None if inner.per_second else inner.with_(per_second=True)
        if name == "sum_over_time":
            return inner if inner.dimension != FRACTION else None
        if name in _KEEPS_UNIT:
            return inner
        return None


def _binary(
    op: str, lhs: Quantity | None, rhs: Quantity | None, with_bool: bool, lhs_node: _Node, rhs_node: _Node
) -> Quantity | None:
    if op in _COMPARISONS:
        if with_bool:
            return None
        return rhs if lhs is not None and lhs.dimension == NUMBER else lhs
    if op in ("and", "unless"):
        return lhs
    if lhs is None or rhs is None:
        return None
    if op == "or":
        if lhs.dimension == NUMBER:
            return rhs
        if rhs.dimension == NUMBER or lhs.same(rhs):
            return lhs
        return None
    if op in ("+", "-"):
        if lhs.dimension == NUMBER:
            return rhs
        if rhs.dimension == NUMBER or lhs.same(rhs):
            return merge(lhs, rhs)
        return None
    if op == "*":
        if lhs.dimension == NUMBER and rhs.dimension == NUMBER:
            return Quantity(NUMBER)
        # a factor changes the scale (`* 1000`: seconds to milliseconds); its sign changes nothing
        if lhs.dimension == NUMBER and lhs_node[0] == "number" and lhs_node[1]:
            return rhs.with_(scale=rhs.scale / abs(lhs_node[1]))
        if rhs.dimension == NUMBER and rhs_node[0] == "number" and rhs_node[1]:
            return lhs.with_(scale=lhs.scale / abs(rhs_node[1]))
        return None
    if op == "/":
        if rhs.dimension == NUMBER:
            if lhs.dimension == NUMBER:
                return Quantity(NUMBER)
            if rhs_node[0] == "number" and rhs_node[1]:
                return lhs.with_(scale=lhs.scale * abs(rhs_node[1]))
            return None
        if lhs.dimension == NUMBER:
            return None
        if lhs.dimension == rhs.dimension and lhs.per_second == rhs.per_second:
            return merge(Quantity(FRACTION, lhs.scale / rhs.scale), lhs, rhs)
        if rhs.dimension == COUNT and lhs.per_second == rhs.per_second and lhs.dimension in (TIME, DATA):
            return merge(lhs.with_(scale=lhs.scale / rhs.scale, per_second=False), lhs, rhs)
        return None
    return None


def _literal(node: Any, parentheses: int) -> float | None:
    """The number `node` starts with (`5` of `5 * 2`, `-5`), through at most `parentheses` opening ones."""
    while True:
        if isinstance(node, pp.ParenExpr):
            if parentheses == 0:
                return None
            parentheses -= 1
            node = node.expr
        elif isinstance(node, pp.BinaryExpr):
            node = node.lhs
        elif isinstance(node, pp.UnaryExpr) and isinstance(node.expr, pp.NumberLiteral):
            return -float(node.expr.val)
        elif isinstance(node, pp.NumberLiteral):
            return float(node.val)
        else:
            return None


def _binaries(parsed: Parsed) -> list[Any]:
    found: list[Any] = []
    stack = [parsed.ast]
    while stack:
        node = stack.pop()
        if isinstance(node, pp.BinaryExpr):
            found.append(node)
        stack.extend(reversed(children(node)))
    return found


@per_query_lazily
def thresholds(parsed: Parsed) -> tuple[float, ...]:
    """The numbers `parsed` compares with: the number each comparison's right side starts with."""
    found = []
    for node in _binaries(parsed):
        if str(node.op) in _COMPARISONS:
            number = _literal(node.rhs, 1)
            if number is not None and math.isfinite(number):
                found.append(number)
    return tuple(found)


@per_query_lazily
def times_100(parsed: Parsed) -> bool:
    """Whether `parsed` multiplies by the literal 100 somewhere (a ratio turned into percent)."""
    return any(
        str(node.op) == "*" and 100.0 in (_bare(node.lhs, last=True), _bare(node.rhs, last=False))
        for node in _binaries(parsed)
    )


def _bare(node: Any, last: bool) -> float | None:
    """The unsigned literal next to a `*`: the end of the left side (`x * 100`'s left is `x`, `100 * x`'s is
    100) or the start of the right side."""
    while isinstance(node, pp.BinaryExpr):
        node = node.rhs if last else node.lhs
    return float(node.val) if isinstance(node, pp.NumberLiteral) else None
