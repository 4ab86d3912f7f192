"""Q2xx: PromQL checks. Every query parses, names only declared series, and uses only labels they carry."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from monitoring_dsl.checks.context import CheckContext, Query, owner_kind, variable_query
from monitoring_dsl.checks.registry import check, diagnostic
from monitoring_dsl.diagnostics import Diagnostic, Severity
from monitoring_dsl.model.base import nearest
from monitoring_dsl.model.dashboards import Variable
from monitoring_dsl.model.metrics import Histogram, Summary
from monitoring_dsl.promql import PLACEHOLDER_PREFIX, SyntaxProblem, groupings, selectors


def _excerpt(query: Query, offset: int) -> str:
    """A piece of the original query at `offset` that is likely to appear verbatim in the spec source."""
    mapper: Callable[[int], int] | None = query.original_offset  # type: ignore[assignment]
    original_offset = mapper(offset) if mapper else offset
    text = query.original[original_offset:].split("\n", 1)[0]
    return text[:24] or query.original[max(0, original_offset - 1) : original_offset]


@check(code="Q200", name="promql-syntax-error", severity=Severity.ERROR)
def promql_syntax_error(ctx: CheckContext) -> Iterator[Diagnostic]:
    """A query that is not valid PromQL.

    Panel queries are checked after Grafana's macros (`$__rate_interval`, `$__interval`, `$__range`) and the
    dashboard's variables are replaced by sample values of their kind; variable queries such as
    `label_values(metric, label)` are checked on the PromQL inside them.

    ## Why is this bad?
    Prometheus refuses to load a rule file with one invalid expression, and a panel with an invalid query
    shows only an error.

    ## Example
        Alert("HighErrorRate", "sum(rate(http_errors_total[5m]) > 1", ...)

    ## Use instead
        Alert("HighErrorRate", "sum(rate(http_errors_total[5m])) > 1", ...)
    """
    for query in ctx.queries:
        problem = query.result
        if not isinstance(problem, SyntaxProblem):
            continue
        needle = _excerpt(query, problem.offset) if problem.offset is not None else query.original[:24]
        fields = ctx.in_query(query, needle.strip() or None)
        yield diagnostic(
            "Q200",
            f"invalid PromQL in {owner_kind(query.owner)}: {problem.message}",
            help=f"the query was: {query.original.strip()}",
            subject=query.owner,
            **fields,
        )


def _named_selectors(query: Query) -> Iterator[str]:
    if query.parsed is None:
        return
    for selector in selectors(query.parsed):
        if selector.name and not selector.name.startswith(PLACEHOLDER_PREFIX):
            yield selector.name


def _wrong_suffix_help(name: str, kind: str, base: str, suffix: str) -> str:
    if kind == "histogram" and not suffix:
        return f"a histogram is stored as {base}_bucket, {base}_sum and {base}_count; query one of those"
    if kind == "summary" and suffix == "_bucket":
        return f"a summary has no buckets; use {base}_sum and {base}_count, or declare a Histogram"
    return f"{base} is a {kind}; only histograms and summaries have _sum and _count series"


@check(code="Q210", name="unknown-metric", severity=Severity.ERROR, needs_catalog=True)
def unknown_metric(ctx: CheckContext) -> Iterator[Diagnostic]:
    """A query names a series that no spec declares and that is not built in.

    Built in: `up`, `ALERTS`, `scrape_*`, and the `process_*` and `python_*` series of prometheus_client's
    default collectors. A recording rule's name counts as declared.

    ## Why is this bad?
    Prometheus returns nothing for a series that does not exist: the panel stays empty and the alert never
    fires, silently. A typo in a metric name is the most common way to break monitoring.

    ## Example
        requests = Counter("http_requests_total", "Requests")
        TimeSeries("Traffic", "sum(rate(http_request_total[5m]))")

    ## Use instead
        TimeSeries("Traffic", "sum(rate(http_requests_total[5m]))")
    """
    names: list[str] | None = None
    for query in ctx.queries:
        for name in dict.fromkeys(_named_selectors(query)):
            if ctx.catalog.resolve(name) is not None or _wrong_suffix(ctx, name) is not None:
                continue
            if names is None:
                names = ctx.catalog.all_names()
            hint = nearest(name, names)
            yield diagnostic(
                "Q210",
                f"unknown metric `{name}` in {owner_kind(query.owner)}",
                help=(
                    f"did you mean `{hint}`?" if hint else f'declare it in the catalog, e.g. Counter({name!r}, "...")'
                ),
                subject=query.owner,
                **ctx.in_query(query, name),
            )


def _wrong_suffix(ctx: CheckContext, name: str) -> tuple[str, str, object] | None:
    """(base, suffix, metric) when `name` is a declared metric with a suffix its type does not have."""
    resolved = ctx.catalog.resolve(name)
    if resolved is not None and resolved.metric is not None:
        metric = resolved.metric
        if isinstance(metric, Histogram) and not resolved.suffix:
            return name, "", metric
        if isinstance(metric, Summary) and resolved.suffix == "_bucket":
            return metric.name, "_bucket", metric
        if resolved.suffix and not isinstance(metric, (Histogram, Summary)):
            return metric.name, resolved.suffix, metric
    return None


@check(code="Q211", name="suffix-on-wrong-type", severity=Severity.ERROR, needs_catalog=True)
def suffix_on_wrong_type(ctx: CheckContext) -> Iterator[Diagnostic]:
    """`_bucket`, `_sum` or `_count` on a metric whose type has no such series, or a histogram queried bare.

    A Histogram `x` is exposed as `x_bucket`, `x_sum` and `x_count`; a Summary as `x_sum` and `x_count`
    (and `x` with a `quantile` label when it declares quantiles). Counters and gauges have none of these.

    ## Why is this bad?
    The series does not exist, so the query returns nothing.

    ## Example
        latency = Histogram("http_request_duration_seconds", "Latency")
        TimeSeries("p95", "histogram_quantile(0.95, rate(http_request_duration_seconds[5m]))")

    ## Use instead
        TimeSeries("p95", "histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket[5m])))")
    """
    for query in ctx.queries:
        for name in dict.fromkeys(_named_selectors(query)):
            wrong = _wrong_suffix(ctx, name)
            if wrong is None:
                continue
            base, suffix, metric = wrong
            kind = type(metric).__name__.lower()
            message = (
                f"`{name}` is a histogram, which has no series of that name"
                if not suffix
                else f"`{name}`: {base} is a {kind}, which has no `{suffix}` series"
            )
            yield diagnostic(
                "Q211",
                f"{message} (in {owner_kind(query.owner)})",
                help=_wrong_suffix_help(name, kind, base, suffix),
                related=ctx.declared_at(f"declared as {type(metric).__name__}", metric),
                subject=query.owner,
                **ctx.in_query(query, name),
            )


def _label_hint(label: str, available: frozenset[str]) -> str:
    hint = nearest(label, sorted(available))
    known = ", ".join(sorted(available)) or "none"
    return (f"did you mean `{hint}`? " if hint else "") + f"labels available: {known}"


@check(code="Q212", name="unknown-label", severity=Severity.ERROR, needs_catalog=True)
def unknown_label(ctx: CheckContext) -> Iterator[Diagnostic]:
    """A label matcher names a label the metric does not have.

    So does the label of a `label_values(metric, label)` variable. A metric carries its declared labels
    plus the target labels `job` and `instance`; `_bucket` series also carry `le`. A recording rule carries
    the labels its expression keeps.

    ## Why is this bad?
    `http_requests_total{statuscode="500"}` matches nothing when the label is `status`: the panel is empty
    and the alert silent.

    ## Example
        requests = Counter("http_requests_total", "Requests", labels=["status"])
        Alert("Errors", 'sum(rate(http_requests_total{code=~"5.."}[5m])) > 1', ...)

    ## Use instead
        Alert("Errors", 'sum(rate(http_requests_total{status=~"5.."}[5m])) > 1', ...)
    """
    for query in ctx.queries:
        if query.parsed is None:
            continue
        for selector in selectors(query.parsed):
            if not selector.name or selector.name.startswith(PLACEHOLDER_PREFIX):
                continue
            available = ctx.catalog.labels_of(selector.name)
            if available is None:
                continue
            for matcher in selector.matchers:
                if (
                    matcher.label == "__name__"
                    or matcher.label in available
                    or matcher.label.startswith(PLACEHOLDER_PREFIX)
                ):
                    continue
                yield diagnostic(
                    "Q212",
                    f"`{selector.name}` has no label `{matcher.label}` (in {owner_kind(query.owner)})",
                    help=_label_hint(matcher.label, available),
                    subject=query.owner,
                    **ctx.in_query(query, matcher.label),
                )
        owner = query.owner
        if isinstance(owner, Variable):
            promql, label = variable_query(owner.definition)
            names = list(_named_selectors(query))
            if label and promql is not None and len(names) == 1 and not label.startswith("$"):
                available = ctx.catalog.labels_of(names[0])
                if available is not None and label not in available:
                    yield diagnostic(
                        "Q212",
                        f"`{names[0]}` has no label `{label}` (in {owner_kind(owner)})",
                        help=_label_hint(label, available),
                        subject=query.owner,
                        **ctx.in_query(query, label),
                    )


@check(code="Q213", name="unknown-grouping-label", severity=Severity.ERROR, needs_catalog=True)
def unknown_grouping_label(ctx: CheckContext) -> Iterator[Diagnostic]:
    """A `by (...)` or `without (...)` clause names a label that the aggregated series do not carry.

    ## Why is this bad?
    `sum by (endpiont)` silently sums everything into one series with an empty label, so a per-endpoint
    panel shows one line and a per-endpoint alert fires once for all endpoints.

    ## Example
        sum by (endpiont) (rate(http_requests_total[5m]))

    ## Use instead
        sum by (endpoint) (rate(http_requests_total[5m]))
    """
    for query in ctx.queries:
        if query.parsed is None:
            continue
        for grouping in groupings(query.parsed, ctx.catalog.labels_of):
            if grouping.available is None:
                continue
            for label in grouping.labels:
                if label in grouping.available or label.startswith(PLACEHOLDER_PREFIX):
                    continue
                series = ", ".join(f"`{s}`" for s in grouping.series) or "the aggregated series"
                verb = "carries" if len(grouping.series) == 1 else "carry"
                yield diagnostic(
                    "Q213",
                    f"`{grouping.clause} ({label})`: {series} {verb} no label `{label}` (in {owner_kind(query.owner)})",
                    help=_label_hint(label, grouping.available),
                    subject=query.owner,
                    **ctx.in_query(query, label),
                )
