"""Facts about a parsed query, as plain data: the series it selects and the labels it groups by, the path of
operations down to each series, the ranges handed to functions, its binary operators and the functions and
syntax it uses.

Checks ask questions of these facts; no check touches promql_parser's tree directly. Label sets are computed
bottom-up through the tree, given a function that knows each series' labels (None where nobody can know).
Facts that depend only on the query are computed once per query text, however many checks ask.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import attrs
import promql_parser as pp

from monitoring_dsl.promql import codec, prometheus
from monitoring_dsl.promql import functions as _functions  # noqa: F401 - registers holt_winters with the parser
from monitoring_dsl.promql.parser import Parsed
from monitoring_dsl.promql.parser import children as _children
from monitoring_dsl.promql.prometheus import QUERY_CACHE_SIZE

LabelSet = frozenset[str] | None
LabelsOf = Callable[[str], LabelSet]
T = TypeVar("T")


# The facts of each query text computed in this process, by fact (the function's name), and the facts an
# earlier run computed, still encoded as references into RECALLED_OBJECTS (promql/codec.py) until a check asks
# for one: promql/remembered.py keeps them between runs. ANALYSED and ANALYSED_BEFORE are the texts whose facts
# `analyse` computed without an error, in this process and in the recalled run. ANALYSERS are the functions
# computing them (values.py adds its own), which `analyse` runs.
FACTS: dict[str, dict[str, Any]] = {}
RECALLED: dict[str, dict[str, Any]] = {}
RECALLED_OBJECTS: list[Any] = []
ANALYSED: set[str] = set()
ANALYSED_BEFORE: set[str] = set()
ANALYSERS: list[Callable[[Parsed], object]] = []
U = TypeVar("U")


def _register(function: Callable[..., object]) -> str:
    """The name a fact is kept under: its function's, which no other fact may have."""
    name = function.__name__
    if name in FACTS or name in LABELLED:
        raise ValueError(f"two query facts are called {name}")
    return name


def _per_query(function: Callable[[Parsed], list[T]]) -> Callable[[Parsed], list[T]]:
    """Compute a fact of a query once: every check asks for it, and a query's text fixes its tree. The list is
    kept as a tuple and handed out as a new list, so that no caller changes what the next one gets. `analyse`
    computes it for every query before the checks run."""
    return _eager(function, listed=True)


def _eager(function: Callable[[Parsed], U], listed: bool = False) -> Callable[[Parsed], U]:
    """A fact of each query that `analyse` computes, kept in FACTS; its value must be immutable (a tuple, not a
    list, unless `listed`)."""
    name = _register(function)
    cache: dict[str, Any] = FACTS.setdefault(name, {})
    recalled: dict[str, Any] = RECALLED.setdefault(name, {})

    @functools.wraps(function)
    def cached(parsed: Parsed) -> Any:
        text = parsed.text
        if text in cache:
            found = cache[text]
        else:
            if len(cache) >= QUERY_CACHE_SIZE:
                cache.clear()
            found = _recall(recalled, text, listed)
            if found is _MISSING:
                computed: Any = function(parsed)
                found = tuple(computed) if listed else computed
            cache[text] = found
        return list(found) if listed else found

    ANALYSERS.append(cached)
    return cached


# Facts the checks compute as they run, in whichever process runs them: those that depend on the labels each
# series can carry as well as on the text (computed once per text and those labels, `_labels_key`), and those
# of the text alone that only some queries are asked (`per_query_lazily`, under the key (text, ())). A forked
# child hands what it learnt to its parent (remembered.py), which keeps it with the rest.
LabelsKey = tuple[str, tuple[LabelSet, ...]]
LABELLED: dict[str, dict[LabelsKey, Any]] = {}
RECALLED_LABELLED: dict[str, dict[LabelsKey, Any]] = {}
RECALLED_LABEL_OBJECTS: list[Any] = []


def _labels_key(parsed: Parsed, labels_of: LabelsOf) -> LabelsKey:
    """The query's text and the labels `labels_of` gives each series name in it: all that `_labels` asks, as
    it asks `labels_of` only of the names of selectors."""
    names = dict.fromkeys(selector.name for selector in selectors(parsed) if selector.name is not None)
    return parsed.text, tuple(labels_of(name) for name in names)


def _learnt(name: str, key: LabelsKey, compute: Callable[[], Any], listed: bool) -> Any:
    """The fact `name` under `key`: computed in this process, recalled, or computed now."""
    cache = LABELLED[name]
    if key in cache:
        found = cache[key]
    else:
        if len(cache) >= QUERY_CACHE_SIZE:
            cache.clear()
        found = _recall_value(RECALLED_LABELLED[name], key)
        if found is _MISSING or (listed and not isinstance(found, tuple)):
            computed = compute()
            found = tuple(computed) if listed else computed
        cache[key] = found
    return list(found) if listed else found


def _per_query_and_labels(
    function: Callable[[Parsed, LabelsOf], U], listed: bool = False
) -> Callable[[Parsed, LabelsOf], U]:
    """Compute a labels-dependent fact once per query text and labels of its series."""
    name = _register(function)
    LABELLED.setdefault(name, {})
    RECALLED_LABELLED.setdefault(name, {})

    @functools.wraps(function)
    def cached(parsed: Parsed, labels_of: LabelsOf) -> Any:
        return _learnt(name, _labels_key(parsed, labels_of), lambda: function(parsed, labels_of), listed)

    return cached


def _listed_and_labels(function: Callable[[Parsed, LabelsOf], list[T]]) -> Callable[[Parsed, LabelsOf], list[T]]:
    return _per_query_and_labels(function, listed=True)


def per_query_lazily(function: Callable[[Parsed], U], listed: bool = False) -> Callable[[Parsed], U]:
    """Compute a fact of a query's text once, when a check first asks for it (only some queries are asked):
    kept like the labelled facts, under (text, ())."""
    name = _register(function)
    LABELLED.setdefault(name, {})
    RECALLED_LABELLED.setdefault(name, {})

    @functools.wraps(function)
    def cached(parsed: Parsed) -> Any:
        return _learnt(name, (parsed.text, ()), lambda: function(parsed), listed)

    return cached


def _listed_lazily(function: Callable[[Parsed], list[T]]) -> Callable[[Parsed], list[T]]:
    return per_query_lazily(function, listed=True)


_MISSING = object()


def _recall_value(recalled: dict[LabelsKey, Any], key: LabelsKey) -> Any:
    """A labels-dependent fact kept by an earlier run, _MISSING when there is none or it cannot be read."""
    if key not in recalled:
        return _MISSING
    try:
        return codec.decode(recalled[key], RECALLED_LABEL_OBJECTS)
    except (IndexError, TypeError, ValueError):
        return _MISSING


def _recall(recalled: dict[str, Any], text: str, listed: bool) -> Any:
    """A fact kept by an earlier run, _MISSING when there is none or it cannot be read (then it is computed)."""
    if text not in recalled:
        return _MISSING
    try:
        found = codec.decode(recalled[text], RECALLED_OBJECTS)
    except (IndexError, TypeError, ValueError):
        return _MISSING
    return found if isinstance(found, tuple) or not listed else _MISSING


# promql_parser's enums are not hashable: the operator is found by its name, or failing that by comparison.
_MATCH_OPS = (
    (pp.MatchOp.Equal, "="),
    (pp.MatchOp.NotEqual, "!="),
    (pp.MatchOp.Re, "=~"),
    (pp.MatchOp.NotRe, "!~"),
)
_MATCH_OP_NAMES = {str(candidate): text for candidate, text in _MATCH_OPS}


def _match_op(op: Any) -> str:
    return _MATCH_OP_NAMES.get(str(op)) or next(text for candidate, text in _MATCH_OPS if op == candidate)


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


def _walk(node: Any, parent: Any = None) -> Iterator[tuple[Any, Any]]:
    """Every node below `node` (itself included) with its parent, in pre-order, without recursion."""
    stack = [(node, parent)]
    while stack:
        current, above = stack.pop()
        yield current, above
        stack.extend((child, current) for child in reversed(_children(current)))


def _selector(node: Any, range_seconds: float | None, function: str | None) -> Selector:
    matchers = tuple(Matcher(str(m.name), _match_op(m.op), str(m.value)) for m in node.matchers.matchers)
    return Selector(_selector_name(node), matchers, range_seconds, function)


def _collect_selectors(root: Any, found: list[Selector]) -> None:
    """The selectors below `root` in order of appearance, each with the function it is a direct argument of."""
    stack: list[tuple[Any, str | None]] = [(root, None)]
    while stack:
        node, function = stack.pop()
        if isinstance(node, pp.VectorSelector):
            found.append(_selector(node, None, function))
        elif isinstance(node, pp.MatrixSelector):
            found.append(_selector(node.vector_selector, node.range.total_seconds(), function))
        elif isinstance(node, pp.ParenExpr):
            stack.append((node.expr, function))
        elif isinstance(node, pp.SubqueryExpr) and isinstance(node.expr, pp.VectorSelector):
            # rate(x[5m:1m]) sees x over the subquery's range, as rate(x[5m]) would
            window = node.range.total_seconds() if node.range is not None else None
            found.append(_selector(node.expr, window, function))
        else:
            name = str(node.func.name) if isinstance(node, pp.Call) else None
            stack.extend((child, name) for child in reversed(_children(node)))


@_per_query
def selectors(parsed: Parsed) -> list[Selector]:
    """Every series selector in the query, in order of appearance, with the function it is an argument of."""
    found: list[Selector] = []
    _collect_selectors(parsed.ast, found)
    return found


@_per_query
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


def _label_inputs(node: Any, children: list[Any]) -> list[int]:
    """Which of `children` (positions) decide the labels of `node`'s result."""
    if isinstance(node, (pp.MatrixSelector, pp.ParenExpr, pp.UnaryExpr, pp.SubqueryExpr)):
        return [0]
    if isinstance(node, pp.AggregateExpr):
        return [len(children) - 1]  # the vector, after the parameter when there is one
    if isinstance(node, pp.Call):
        name = str(node.func.name)
        if name in _SCALAR_RESULT or name in ("absent", "absent_over_time"):
            return []
        vectors = [i for i, a in enumerate(children) if not isinstance(a, (pp.NumberLiteral, pp.StringLiteral))]
        return vectors[:1]
    if isinstance(node, pp.BinaryExpr):
        return [0, 1]
    return []


@attrs.frozen
class _Facts:
    """What a subtree evaluates to: the labels of its series, the series names in it, its value type."""

    labels: LabelSet
    names: tuple[str, ...]
    value: str


def _bottom_up(root: Any, labels_of: LabelsOf) -> Iterator[tuple[int, Any, list[_Facts], _Facts]]:
    """Every node as (pre-order number, node, its children's facts, its own facts), children first.

    One pass with an explicit stack: linear in the size of the tree, whatever its depth.
    """
    done: list[_Facts] = []
    counter = itertools.count()
    stack: list[tuple[Any, int, list[Any] | None]] = [(root, -1, None)]
    while stack:
        node, number, children = stack.pop()
        if children is None:  # first visit, in pre-order: number it, then finish its children first
            children = _children(node)
            stack.append((node, next(counter), children))
            stack.extend((child, -1, None) for child in reversed(children))
            continue
        inner = done[len(done) - len(children) :] if children else []
        del done[len(done) - len(children) :]
        labels = _labels_of_node(node, [inner[i].labels for i in _label_inputs(node, children)], labels_of)
        if isinstance(node, pp.VectorSelector):
            name = _selector_name(node)
            names: tuple[str, ...] = (name,) if name else ()
        else:
            names = tuple(dict.fromkeys(n for facts in inner for n in facts.names))
        if isinstance(node, pp.BinaryExpr):
            both = (inner[0].value, inner[1].value)
            value = "scalar" if both == ("scalar", "scalar") else "vector"
        elif isinstance(node, (pp.ParenExpr, pp.UnaryExpr)):
            value = inner[0].value
        else:
            value = _operand_type(node)
        facts = _Facts(labels, names, value)
        done.append(facts)
        yield number, node, inner, facts


def _labels(root: Any, labels_of: LabelsOf) -> LabelSet:
    """The labels the series of `root`'s result can carry; None when that cannot be known.

    Bottom-up with an explicit stack, following only the children that decide the labels.
    """
    done: list[LabelSet] = []  # results of finished subtrees, in post-order
    stack: list[tuple[Any, int]] = [(root, -1)]
    while stack:
        node, arity = stack.pop()
        if arity < 0:  # first visit: its inputs first
            children = _children(node)
            inputs = [children[i] for i in _label_inputs(node, children)]
            stack.append((node, len(inputs)))
            stack.extend((child, -1) for child in reversed(inputs))
            continue
        inner = done[len(done) - arity :] if arity else []
        if arity:
            del done[len(done) - arity :]
        done.append(_labels_of_node(node, inner, labels_of))
    return done[0]


def _labels_of_node(node: Any, inner: list[LabelSet], labels_of: LabelsOf) -> LabelSet:
    """One step of `_labels`: `inner` holds the labels of `_label_inputs(node)`."""
    if isinstance(node, pp.VectorSelector):
        name = _selector_name(node)
        return labels_of(name) if name else None
    if isinstance(node, (pp.MatrixSelector, pp.ParenExpr, pp.UnaryExpr, pp.SubqueryExpr)):
        return inner[0]
    if isinstance(node, (pp.NumberLiteral, pp.StringLiteral)):
        return frozenset()
    if isinstance(node, pp.Call):
        name = str(node.func.name)
        if name in _SCALAR_RESULT:
            return frozenset()
        if name == "absent" or name == "absent_over_time":
            return None
        if not inner:
            return frozenset()
        first = inner[0]
        if first is None:
            return None
        if name in _ADDS_LABEL and len(node.args) > 1 and isinstance(node.args[1], pp.StringLiteral):
            return first | {str(node.args[1].val)}
        if name == "histogram_quantile":
            return first - {"le"}
        return first
    if isinstance(node, pp.AggregateExpr):
        op = str(node.op)
        below = inner[0]
        aggregation = node.modifier
        if op in ("topk", "bottomk", "limitk", "limit_ratio"):
            return below
        extra: frozenset[str] = frozenset()
        if op == "count_values" and isinstance(node.param, pp.StringLiteral):
            extra = frozenset({str(node.param.val)})
        if aggregation is None:
            return extra
        labels = frozenset(str(label) for label in aggregation.labels)
        if aggregation.type == pp.AggModifierType.By:
            return labels | extra if below is None else (labels & below) | extra
        return None if below is None else (below - labels) | extra
    if isinstance(node, pp.BinaryExpr):
        lhs, rhs = inner
        op = str(node.op)
        matching = node.modifier
        card = matching.card if matching is not None else None
        if op == "or":
            return None if lhs is None or rhs is None else lhs | rhs
        if card == pp.VectorMatchCardinality.OneToMany:
            base, other = rhs, lhs
        else:
            base, other = lhs, rhs
        if base is not None and not base:  # scalar op vector: the vector's labels, unknown if it is unknown
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


@_per_query_and_labels
def output_labels(parsed: Parsed, labels_of: LabelsOf) -> LabelSet:
    """The labels the query's result series can carry (None when unknown)."""
    return _labels(parsed.ast, labels_of)


@_listed_and_labels
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


# --- Paths from a query's result down to the series it reads ---------------------------------------------


@attrs.frozen
class Step:
    """One operation on the way from a query's result down to a series it reads.

    `kind` is "call", "aggregation", "binary" or "subquery"; `name` the function, aggregation operator or
    binary operator. `node` numbers the operation within its query, so that the series under one call can be
    grouped; `argument` is the argument (call, aggregation: 0 is the parameter, 1 the vector) or the side
    (binary: 0 left, 1 right) the path continues in.
    """

    kind: str
    name: str
    node: int
    argument: int = 0
    clause: str | None = None  # aggregation: "by", "without", or None when it has no clause
    labels: tuple[str, ...] = ()  # aggregation: the clause's labels; binary: the on/ignoring labels
    number: float | None = None  # call or aggregation: its first argument, when that is a number literal
    matching: str | None = None  # binary: "on" or "ignoring" when given
    grouping: bool = False  # binary: group_left or group_right given
    seconds: float | None = None  # subquery: its range

    def describe(self) -> str:
        """The step as PromQL shows it: `sum by (le)`, `rate()`, `/`."""
        if self.kind == "aggregation":
            return f"{self.name} {self.clause} ({', '.join(self.labels)})" if self.clause else self.name
        if self.kind == "call":
            return f"{self.name}()"
        if self.kind == "subquery":
            return "a subquery"
        return f"`{self.name}`"


@attrs.frozen
class SeriesUse:
    """A series selector and the operations between it and the query's result, outermost first."""

    selector: Selector
    path: tuple[Step, ...]

    @property
    def ranged(self) -> bool:
        """Whether the series is read as a range: `x[5m]`, or inside a subquery."""
        return self.selector.range_seconds is not None or any(step.kind == "subquery" for step in self.path)


def _number(node: Any) -> float | None:
    """The number literal `node` is, with -0 as 0: every fact equal to another can stand for it (codec.py)."""
    while isinstance(node, pp.ParenExpr):
        node = node.expr
    if isinstance(node, pp.NumberLiteral):
        return float(node.val) + 0.0
    if isinstance(node, pp.UnaryExpr) and isinstance(node.expr, pp.NumberLiteral):
        return -float(node.expr.val) + 0.0
    return None


def _aggregation_clause(node: Any) -> tuple[str | None, tuple[str, ...]]:
    modifier = node.modifier
    if modifier is None:
        return None, ()
    clause = "by" if modifier.type == pp.AggModifierType.By else "without"
    return clause, tuple(str(label) for label in modifier.labels)


def _binary_step(node: Any, number: int, side: int) -> Step:
    modifier = node.modifier
    matching: str | None = None
    labels: tuple[str, ...] = ()
    grouping = False
    if modifier is not None:
        if modifier.matching is not None:
            matching = "on" if modifier.matching.type == pp.LabelModifierType.Include else "ignoring"
            labels = tuple(str(label) for label in modifier.matching.labels)
        grouping = modifier.card in (pp.VectorMatchCardinality.ManyToOne, pp.VectorMatchCardinality.OneToMany)
    return Step("binary", str(node.op), number, side, labels=labels, matching=matching, grouping=grouping)


@_per_query
def series_uses(parsed: Parsed) -> list[SeriesUse]:
    """Every series selector of the query with the path of operations from the result down to it."""
    found: list[SeriesUse] = []
    counter = itertools.count()

    def function_of(path: tuple[Step, ...]) -> str | None:
        if path and path[-1].kind == "call":
            return path[-1].name
        return None

    stack: list[tuple[Any, tuple[Step, ...]]] = [(parsed.ast, ())]  # pre-order, without recursion
    while stack:
        node, path = stack.pop()
        if isinstance(node, pp.VectorSelector):
            found.append(SeriesUse(_selector(node, None, function_of(path)), path))
        elif isinstance(node, pp.MatrixSelector):
            selector = _selector(node.vector_selector, node.range.total_seconds(), function_of(path))
            found.append(SeriesUse(selector, path))
        elif isinstance(node, (pp.ParenExpr, pp.UnaryExpr)):
            stack.append((node.expr, path))
        elif isinstance(node, pp.SubqueryExpr):
            seconds = node.range.total_seconds() if node.range is not None else None
            stack.append((node.expr, (*path, Step("subquery", "", next(counter), seconds=seconds))))
        elif isinstance(node, pp.Call):
            number = next(counter)
            first = _number(node.args[0]) if len(node.args) else None
            name = str(node.func.name)
            arguments = list(node.args)
            for index in reversed(range(len(arguments))):
                stack.append((arguments[index], (*path, Step("call", name, number, index, number=first))))
        elif isinstance(node, pp.AggregateExpr):
            number = next(counter)
            clause, labels = _aggregation_clause(node)
            step = Step("aggregation", str(node.op), number, 1, clause, labels, _number(node.param))
            stack.append((node.expr, (*path, step)))
            if node.param is not None:
                stack.append((node.param, (*path, attrs.evolve(step, argument=0))))
        elif isinstance(node, pp.BinaryExpr):
            number = next(counter)
            stack.append((node.rhs, (*path, _binary_step(node, number, 1))))
            stack.append((node.lhs, (*path, _binary_step(node, number, 0))))
    return found


# --- Ranges ----------------------------------------------------------------------------------------------


@attrs.frozen
class RangeArgument:
    """A range handed to a function: `rate(x[5m])`, or a subquery `max_over_time(rate(x[5m])[1h:])`.

    `aggregations` are the aggregation operators a subquery evaluates before the function sees its values,
    e.g. ("sum",) for `rate(sum(x)[5m:])`.
    """

    function: str
    seconds: float
    subquery: bool
    series: tuple[str, ...]
    aggregations: tuple[str, ...] = ()


def _value_aggregations(root: Any) -> list[str]:
    """Aggregation operators whose result is the value of `root` (through parentheses, operators and
    functions of instant vectors, not through a range or a subquery), left to right."""
    found = []
    stack = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, (pp.ParenExpr, pp.UnaryExpr)):
            stack.append(node.expr)
        elif isinstance(node, pp.AggregateExpr):
            found.append(str(node.op))
        elif isinstance(node, pp.BinaryExpr):
            stack.extend([node.lhs] if str(node.op) in ("and", "unless") else [node.rhs, node.lhs])
        elif isinstance(node, pp.Call):
            stack.extend(arg for arg in reversed(list(node.args)) if _value_type(arg) == "vector")
    return found


@_per_query
def range_arguments(parsed: Parsed) -> list[RangeArgument]:
    """Every range selector or subquery that is an argument of a function, with that function."""
    found = []
    for node, _ in _walk(parsed.ast):
        if not isinstance(node, pp.Call):
            continue
        for argument in node.args:
            while isinstance(argument, pp.ParenExpr):
                argument = argument.expr
            if isinstance(argument, pp.MatrixSelector):
                found.append(
                    RangeArgument(
                        str(node.func.name),
                        argument.range.total_seconds(),
                        False,
                        _series_names(argument),
                    )
                )
            elif isinstance(argument, pp.SubqueryExpr) and argument.range is not None:
                found.append(
                    RangeArgument(
                        str(node.func.name),
                        argument.range.total_seconds(),
                        True,
                        _series_names(argument.expr),
                        tuple(_value_aggregations(argument.expr)),
                    )
                )
    return found


@_listed_lazily
def aggregation_operators(parsed: Parsed) -> list[str]:
    """Every aggregation operator anywhere in the query, lower case, in walk order (`topk`, `sum`, ...)."""
    return [str(node.op).lower() for node, _ in _walk(parsed.ast) if isinstance(node, pp.AggregateExpr)]


@_eager
def top_aggregation(parsed: Parsed) -> str | None:
    """The aggregation operator that produces the query's result, e.g. "sum" for `sum by (a) (x) * 2`."""
    operators = _value_aggregations(parsed.ast)
    return operators[0] if len(operators) == 1 else None


# --- Value types and binary operations -------------------------------------------------------------------


def _value_type(root: Any) -> str:
    """ "scalar", "vector", "matrix" or "string": what `root` evaluates to.

    A binary operation is a scalar when every operand is, so operands are visited with a stack, not recursion.
    """
    operands = [root]
    binary = False
    while operands:
        node = operands.pop()
        while isinstance(node, (pp.ParenExpr, pp.UnaryExpr)):
            node = node.expr
        if isinstance(node, pp.BinaryExpr):
            binary = True
            operands.extend((node.lhs, node.rhs))
            continue
        kind = _operand_type(node)
        if not binary:
            return kind
        if kind != "scalar":
            return "vector"
    return "scalar"


def _operand_type(node: Any) -> str:
    if isinstance(node, pp.NumberLiteral):
        return "scalar"
    if isinstance(node, pp.StringLiteral):
        return "string"
    if isinstance(node, (pp.MatrixSelector, pp.SubqueryExpr)):
        return "matrix"
    if isinstance(node, pp.Call):
        returned = node.func.return_type
        for candidate, name in (
            (pp.ValueType.Scalar, "scalar"),
            (pp.ValueType.Matrix, "matrix"),
            (pp.ValueType.String, "string"),
        ):
            if returned == candidate:
                return name
        return "vector"
    return "vector"


def _is_literal_vector(node: Any) -> bool:
    """`vector(...)`: one series with no labels, written to stand in for a missing one."""
    while isinstance(node, (pp.ParenExpr, pp.UnaryExpr)):
        node = node.expr
    return isinstance(node, pp.Call) and str(node.func.name) == "vector"


@attrs.frozen
class BinaryOperation:
    """A binary operator with what each side evaluates to and the labels its series can carry."""

    op: str
    lhs_type: str
    rhs_type: str
    lhs_labels: LabelSet
    rhs_labels: LabelSet
    matching: str | None  # "on" or "ignoring" when given
    grouping: bool  # group_left or group_right given
    literal_vector: bool  # one side is `vector(...)`
    lhs_series: tuple[str, ...]  # the series names on each side, for messages (empty unless both label
    rhs_series: tuple[str, ...]  # sets are known: nobody reports on an operation whose labels are unknown)


_FEW_OPERATORS = 16  # up to this many, each operator's sides are analysed on their own (cheap for small trees)


@_listed_and_labels
def binary_operations(parsed: Parsed, labels_of: LabelsOf) -> list[BinaryOperation]:
    """Every binary operator of the query, outermost first.

    A query with many operators (a 900-term `or` chain) is analysed in one bottom-up pass instead, so that the
    work stays linear in its size.
    """
    binaries = [node for node, _ in _walk(parsed.ast) if isinstance(node, pp.BinaryExpr)]
    if len(binaries) <= _FEW_OPERATORS:
        found = []
        for node in binaries:
            lhs, rhs = node.lhs, node.rhs
            lhs_labels, rhs_labels = _labels(lhs, labels_of), _labels(rhs, labels_of)
            known = lhs_labels is not None and rhs_labels is not None
            found.append(
                _binary_operation(
                    node,
                    (lhs_labels, _series_names(lhs) if known else (), _value_type(lhs)),
                    (rhs_labels, _series_names(rhs) if known else (), _value_type(rhs)),
                )
            )
        return found
    numbered: list[tuple[int, BinaryOperation]] = []
    for number, node, inner, _facts in _bottom_up(parsed.ast, labels_of):
        if isinstance(node, pp.BinaryExpr):
            left, right = inner
            known = left.labels is not None and right.labels is not None
            numbered.append(
                (
                    number,
                    _binary_operation(
                        node,
                        (left.labels, left.names if known else (), left.value),
                        (right.labels, right.names if known else (), right.value),
                    ),
                )
            )
    return [operation for _number, operation in sorted(numbered, key=lambda pair: pair[0])]


def _binary_operation(
    node: Any, lhs: tuple[LabelSet, tuple[str, ...], str], rhs: tuple[LabelSet, tuple[str, ...], str]
) -> BinaryOperation:
    """The operation at `node`, given (labels, series names, value type) of each side."""
    step = _binary_step(node, 0, 0)
    return BinaryOperation(
        op=str(node.op),
        lhs_type=lhs[2],
        rhs_type=rhs[2],
        lhs_labels=lhs[0],
        rhs_labels=rhs[0],
        matching=step.matching,
        grouping=step.grouping,
        literal_vector=_is_literal_vector(node.lhs) or _is_literal_vector(node.rhs),
        lhs_series=lhs[1],
        rhs_series=rhs[1],
    )


# --- Features that depend on the Prometheus version ------------------------------------------------------


@attrs.frozen
class FeatureUse:
    """A function, aggregation or piece of syntax that not every Prometheus version has.

    `kind` is "function", "aggregation" or "syntax"; for syntax, `name` is a key of `functions.SYNTAX`.
    `text` is what the query shows of it, to point at.
    """

    kind: str
    name: str
    text: str


_LEGACY_LABEL_RE = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
_QUOTED_NAME_HINT = re.compile(r"[{,]\s*[\"'`]")  # a string right after `{` or `,`: maybe a quoted name


def _quoted_names(text: str) -> list[str]:
    """Strings that stand for a name inside a selector's braces (`{"my.metric", "a.b"="c"}`): UTF-8 syntax."""
    names = []
    depth = 0
    previous = ""
    index = 0
    strings = prometheus.string_ends(text)
    while index < len(text):
        char = text[index]
        if index in strings:
            if depth > 0 and previous in ("{", ","):
                names.append(text[index : strings[index]])
            previous = "string"
            index = strings[index]
            continue
        if char == "#":
            newline = text.find("\n", index)
            index = len(text) if newline < 0 else newline
            continue
        if char == "{":
            depth += 1
        elif char == "}":
            depth = max(0, depth - 1)
        if not char.isspace():
            previous = char
        index += 1
    return names


@_per_query
def features(parsed: Parsed) -> list[FeatureUse]:
    """Every function call, aggregation and version-dependent piece of syntax in the query."""
    found: list[FeatureUse] = []
    found.extend(
        FeatureUse("syntax", "number duration", token) for token in prometheus.numbers_as_durations(parsed.text)
    )
    found.extend(FeatureUse("syntax", "newer keyword", word) for word in prometheus.newer_keywords(parsed.text))
    found.extend(FeatureUse("syntax", "utf8 name", names) for names in prometheus.quoted_grouping_labels(parsed.text))
    quoted = _QUOTED_NAME_HINT.search(parsed.text) is not None
    for name in _quoted_names(parsed.text) if quoted else ():
        found.append(FeatureUse("syntax", "utf8 name", name))
    for node, _ in _walk(parsed.ast):
        if isinstance(node, pp.Call):
            found.append(FeatureUse("function", str(node.func.name), f"{node.func.name}("))
        elif isinstance(node, pp.AggregateExpr):
            found.append(FeatureUse("aggregation", str(node.op), str(node.op)))
            _clause, labels = _aggregation_clause(node)
            found.extend(
                FeatureUse("syntax", "utf8 name", f'"{label}"') for label in labels if not _LEGACY_LABEL_RE.match(label)
            )
        elif isinstance(node, pp.BinaryExpr):
            if str(node.op) == "atan2":
                found.append(FeatureUse("syntax", "atan2", "atan2"))
            modifier = node.modifier
            if modifier is not None:
                fill = modifier.fill_values
                if fill is not None and (fill.lhs is not None or fill.rhs is not None):
                    found.append(FeatureUse("syntax", "fill", "fill"))
                step = _binary_step(node, 0, 0)
                found.extend(
                    FeatureUse("syntax", "utf8 name", f'"{label}"')
                    for label in step.labels
                    if not _LEGACY_LABEL_RE.match(label)
                )
        if isinstance(node, (pp.VectorSelector, pp.SubqueryExpr)):
            if node.at is not None:
                found.append(FeatureUse("syntax", "@", "@"))
            if node.offset is not None and node.offset.total_seconds() < 0:
                found.append(FeatureUse("syntax", "negative offset", "offset -"))
        if isinstance(node, pp.VectorSelector) and node.matchers.or_matchers:
            found.append(FeatureUse("syntax", "or matcher", " or "))
    return found


# --- Simple thresholds -------------------------------------------------------------------------------------


@attrs.frozen
class Threshold:
    """A query of the shape `series OP number` (no `bool`, no offset or @), e.g. `queue_depth{q="a"} > 100`."""

    selector: Selector
    op: str
    value: float


_COMPARISONS = {">", ">=", "<", "<="}


@per_query_lazily
def threshold(parsed: Parsed) -> Threshold | None:
    """The selector, comparison and number of a simple threshold query; None for any other shape."""
    node = parsed.ast
    while isinstance(node, pp.ParenExpr):
        node = node.expr
    if not isinstance(node, pp.BinaryExpr) or str(node.op) not in _COMPARISONS:
        return None
    if node.modifier is not None and (node.modifier.return_bool or node.modifier.matching is not None):
        return None
    lhs, rhs = node.lhs, node.rhs
    while isinstance(lhs, pp.ParenExpr):
        lhs = lhs.expr
    if not isinstance(lhs, pp.VectorSelector) or not isinstance(rhs, pp.NumberLiteral):
        return None
    if lhs.offset is not None or lhs.at is not None:
        return None
    return Threshold(_selector(lhs, None, None), str(node.op), float(rhs.val) + 0.0)  # -0 as 0, see _number


# --- Facts for alert conditions --------------------------------------------------------------------------

_COMPARISON_OPS = frozenset({"==", "!=", ">", "<", ">=", "<="})
_CONDITION_FUNCTIONS = frozenset({"absent", "absent_over_time"})


# Labels that say where a series comes from; a matcher on them scopes a query rather than testing a state.
_SCOPE_LABELS = frozenset(
    {"job", "instance", "namespace", "cluster", "service", "pod", "container", "node", "env", "environment"}
)


def _filters(root: Any) -> bool:
    """Whether `root` can return fewer series than exist: a comparison (without `bool`), `absent()`, a
    matcher on a state label (`{operstate="down"}`), or an operation whose operands filter.

    Iterative (a flat list of nodes, parents before children, evaluated from the end), so a chain of a
    thousand operators the parser guard admits cannot exhaust the recursion limit."""
    nodes: list[Any] = []
    children: list[list[int]] = []
    todo: list[tuple[Any, int]] = [(root, -1)]
    while todo:
        node, parent = todo.pop()
        index = len(nodes)
        nodes.append(node)
        children.append([])
        if parent >= 0:
            children[parent].append(index)
        todo.extend((operand, index) for operand in _filter_operands(node))
    value = [False] * len(nodes)
    for index in range(len(nodes) - 1, -1, -1):  # every child stands after its parent
        value[index] = _filter_value(nodes[index], [value[child] for child in children[index]])
    return value[0]


def _decides_alone(node: Any) -> bool:
    """A comparison without `bool`, `and`/`unless`, or `absent()`: filters whatever its operands do."""
    if isinstance(node, pp.BinaryExpr):
        op = str(node.op)
        comparison = op in _COMPARISON_OPS and not (node.modifier is not None and node.modifier.return_bool)
        return comparison or op in ("and", "unless")  # set operations keep series only where the other side has
    return isinstance(node, pp.Call) and str(node.func.name) in _CONDITION_FUNCTIONS


def _filter_operands(node: Any) -> list[Any]:
    if _decides_alone(node):
        return []
    if isinstance(node, pp.MatrixSelector):
        return [node.vector_selector]
    if isinstance(node, (pp.ParenExpr, pp.UnaryExpr, pp.AggregateExpr, pp.SubqueryExpr)):
        return [node.expr]
    if isinstance(node, pp.BinaryExpr):
        return [node.lhs, node.rhs]
    if isinstance(node, pp.Call):
        return list(node.args)
    return []


def _filter_value(node: Any, operands: list[bool]) -> bool:
    if _decides_alone(node):
        return True
    if isinstance(node, pp.VectorSelector):
        return any(
            str(matcher.name) not in _SCOPE_LABELS and str(matcher.name) != "__name__"
            for matcher in node.matchers.matchers
        )
    if isinstance(node, pp.BinaryExpr) and str(node.op) == "or":
        return all(operands)
    return any(operands)


@per_query_lazily
def has_condition(parsed: Parsed) -> bool:
    """Whether the query can come back empty while its series exist: a comparison, `absent()`, a set
    operation, a matcher on a label other than where the series comes from (`{state="down"}`), or a
    literal (`vector(1)`, a deliberate always-firing alert such as a watchdog)."""
    node = parsed.ast
    while isinstance(node, (pp.ParenExpr, pp.UnaryExpr)):
        node = node.expr
    if isinstance(node, pp.NumberLiteral) or _is_literal_vector(node):
        return True
    return _filters(node)


@_listed_lazily
def divisions_in_aggregations(parsed: Parsed) -> list[str]:
    """For each `sum(...)` or `avg(...)` whose argument divides one vector by another, the aggregation's name."""
    found = []
    for node, _ in _walk(parsed.ast):
        if not isinstance(node, pp.AggregateExpr) or str(node.op) not in ("sum", "avg"):
            continue
        for inner, _parent in _walk(node.expr):
            if isinstance(inner, pp.AggregateExpr):
                continue
            if (
                isinstance(inner, pp.BinaryExpr)
                and str(inner.op) == "/"
                and _value_type(inner.lhs) == "vector"
                and _value_type(inner.rhs) == "vector"
            ):
                found.append(str(node.op))
                break
    return found


# --- Every fact at once --------------------------------------------------------------------------------------

# The classes facts are made of, in the order promql/codec.py numbers them: changing it changes the code's
# fingerprint (querycache.py hashes this package's source), so no kept fact is read with another order.
FACT_KINDS: tuple[type, ...] = (
    Matcher,
    Selector,
    Step,
    SeriesUse,
    RangeArgument,
    FeatureUse,
    Grouping,
    BinaryOperation,
    Threshold,
)
codec.check_kinds(FACT_KINDS)


def analyse(parsed: Parsed) -> None:
    """Compute every fact of the query that depends on its text alone; raises what the analysis raises."""
    if parsed.text in ANALYSED or parsed.text in ANALYSED_BEFORE:
        return
    for analyser in ANALYSERS:
        analyser(parsed)
    if len(ANALYSED) >= QUERY_CACHE_SIZE:
        ANALYSED.clear()
    ANALYSED.add(parsed.text)
