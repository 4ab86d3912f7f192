"""Q2xx: PromQL checks. Every query parses, names only declared series, uses only labels they carry, and means
what it seems to: rates over counters, quantiles over bucket rates, operands whose labels can match."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import attrs

from monitoring_dsl.checks.context import CheckContext, Query, SeriesInfo, owner_kind, variable_query
from monitoring_dsl.checks.registry import check, diagnostic
from monitoring_dsl.diagnostics import Diagnostic, Related, Severity
from monitoring_dsl.model.base import nearest
from monitoring_dsl.model.dashboards import Target, Variable
from monitoring_dsl.model.metrics import Histogram, Summary
from monitoring_dsl.model.rules import Alert, Record, format_duration
from monitoring_dsl.promql import (
    PLACEHOLDER_PREFIX,
    FeatureUse,
    Parsed,
    Reference,
    SeriesUse,
    Step,
    SyntaxProblem,
    binary_operations,
    features,
    function_names,
    groupings,
    parse,
    range_arguments,
    references,
    selectors,
    series_uses,
    top_aggregation,
)
from monitoring_dsl.promql.functions import AGGREGATIONS, SYNTAX, Feature, function_feature
from monitoring_dsl.promql.written import literal_ranges, regex_matchers


def _excerpt(query: Query, offset: int) -> str:
    """A piece of the original query at `offset` that is likely to appear verbatim in the spec source."""
    mapper: Callable[[int], int] | None = query.original_offset  # type: ignore[assignment]
    original_offset = mapper(offset) if mapper else offset
    text = query.original[original_offset:].split("\n", 1)[0]
    return text[:24] or query.original[max(0, original_offset - 1) : original_offset]


@check(code="Q200", name="promql-syntax-error", severity=Severity.ERROR, local=True)
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


_DURATION_MACROS = {"__rate_interval", "__interval", "__range", "__rate_interval_ms", "__interval_ms"}


def _rule_reference_help(reference: Reference) -> str:
    if reference.name in _DURATION_MACROS or (reference.macro and not reference.quoted):
        return (
            f"Prometheus evaluates rules itself and never substitutes Grafana's {reference.text}:"
            " write a fixed window such as [5m] (at least four scrape intervals)"
        )
    if reference.macro:
        return f"Prometheus evaluates rules itself and never substitutes Grafana's {reference.text}: write the value"
    if reference.quoted:
        return (
            f'rules have no dashboard variables: write the label value itself (e.g. "payments" for {reference.text}),'
            " or drop the matcher and aggregate `by` that label to get one series per value"
        )
    return (
        f"rules have no dashboard variables: write what {reference.text} stands for (a window such as [5m], a number)"
    )


@check(code="Q215", name="grafana-variable-in-rule", severity=Severity.ERROR, local=True)
def grafana_variable_in_rule(ctx: CheckContext) -> Iterator[Diagnostic]:
    """An alert or recording rule's expression holds a Grafana variable or macro.

    `$queue`, `${queue}`, `[[queue]]` and Grafana's macros (`$__rate_interval`, `$__interval`, `$__range`)
    mean something only in a dashboard, where Grafana replaces them before sending the query. A query helper
    given a variable (`requests.rate(endpoint="$endpoint")`) writes one into the expression too.

    ## Why is this bad?
    Prometheus evaluates rules itself and substitutes nothing. `{queue=~"$queue"}` looks for the literal value
    `$queue`, matches no series, and the alert stays inactive forever, while `promtool check rules` accepts
    it; `[$__rate_interval]` is not a duration, so Prometheus refuses the whole rule file.

    ## Example
        Alert("QueueBacklog", 'sum(jobs_queued{queue=~"$queue"}) > 100', ...)
        Alert("Errors", "sum(rate(http_errors_total[$__rate_interval])) > 1", ...)

    ## Use instead
        Alert("QueueBacklog", "sum by (queue) (jobs_queued) > 100", ...)
        Alert("Errors", "sum(rate(http_errors_total[5m])) > 1", ...)
    """
    for query in ctx.queries:
        if not isinstance(query.owner, (Alert, Record)):
            continue
        seen: set[str] = set()
        for reference in references(query.original):
            if reference.text in seen:
                continue
            seen.add(reference.text)
            fields = ctx.in_query(query, reference.text)
            help_ = _rule_reference_help(reference)
            plain_file = query.location is not None and not query.location.path.endswith(".py")
            if fields["span"] is None and plain_file:
                fields = ctx.place(query.owner, "expr", reference.text)
            elif fields["span"] is None:
                # built by a helper: the reference is in an argument of the statement, such as endpoint="$x"
                found = ctx.at(query.location, reference.text)
                if found["span"] is not None:
                    fields = found
                elif reference.name in _DURATION_MACROS:
                    help_ = (
                        f"the query helpers (rate(), quantile(), mean()) write [{reference.text}] unless given a"
                        ' window, which suits panels only: in a rule pass one, e.g. requests.rate(window="5m")'
                    )
            yield diagnostic(
                "Q215",
                f"{reference.text} in {owner_kind(query.owner)}: rules are evaluated by Prometheus, which does not"
                " substitute Grafana variables or macros"
                + (", so the selector matches nothing" if reference.quoted and not reference.macro else ""),
                help=help_,
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


@check(code="Q210", name="unknown-metric", severity=Severity.ERROR, needs_catalog=True, local=True)
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
            if ":" in name:
                continue  # a recording rule's name: R405 undefined-record reports it, once
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


@check(code="Q211", name="suffix-on-wrong-type", severity=Severity.ERROR, needs_catalog=True, local=True)
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


# Labels that service discovery, relabelling or external_labels commonly attach to every series.
DEPLOYMENT_LABELS = frozenset(
    {"namespace", "pod", "container", "node", "service", "cluster", "region", "zone", "env", "environment"}
    | {"datacenter", "dc", "replica", "prometheus", "tenant", "team", "app", "host", "hostname", "pod_name"}
)


def _label_hint(label: str, available: frozenset[str]) -> str:
    hint = nearest(label, sorted(available))
    known = ", ".join(sorted(available)) or "none"
    text = (f"did you mean `{hint}`? " if hint else "") + f"labels available: {known}"
    if hint is None and label in DEPLOYMENT_LABELS:
        text += (
            f"; if your deployment attaches `{label}` (service discovery, relabelling, external labels), declare"
            f' it in pyproject.toml: [tool.monitoring-dsl] target_labels = ["{label}"]'
        )
    return text


@check(code="Q212", name="unknown-label", severity=Severity.ERROR, needs_catalog=True, local=True)
def unknown_label(ctx: CheckContext) -> Iterator[Diagnostic]:
    """A label matcher names a label the metric does not have.

    So does the label of a `label_values(metric, label)` variable. A metric carries its declared labels
    plus the target labels `job` and `instance` and the labels the deployment attaches, declared as
    `target_labels` and `external_labels` in `[tool.monitoring-dsl]`; `_bucket` series also carry `le`.
    A recording rule carries the labels its expression keeps.

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


@check(code="Q213", name="unknown-grouping-label", severity=Severity.ERROR, needs_catalog=True, local=True)
def unknown_grouping_label(ctx: CheckContext) -> Iterator[Diagnostic]:
    """A `by (...)` or `without (...)` clause names a label that the aggregated series do not carry.

    The labels a series carries are counted as for Q212: declared labels, `job`, `instance`, and the
    `target_labels` and `external_labels` of `[tool.monitoring-dsl]`.

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


# --- Counters, gauges and the functions made for them ------------------------------------------------------

COUNTER_FUNCTIONS = {"rate": "deriv", "irate": "deriv", "increase": "delta", "resets": "changes"}


def _note(info: SeriesInfo) -> str:
    return " (type inferred from the name)" if info.inferred else ""


def _is_counter(info: SeriesInfo) -> bool:
    """A counter series. Without a catalog only names ending in `_total` or `_bucket` count: `_sum` and
    `_count` end gauges as often as they end a summary or histogram."""
    return info.series_type == "counter" and (not info.inferred or info.kind in ("counter", "histogram"))


def _series_name(selector_name: str | None) -> str | None:
    if selector_name is None or selector_name.startswith(PLACEHOLDER_PREFIX):
        return None
    return selector_name


def _declared(ctx: CheckContext, info: SeriesInfo) -> tuple[Related, ...]:
    if info.metric is None or info.builtin:
        return ()
    return ctx.declared_at(f"declared as {type(info.metric).__name__}", info.metric)


@check(code="Q201", name="rate-on-non-counter", severity=Severity.WARNING, local=True)
def rate_on_non_counter(ctx: CheckContext) -> Iterator[Diagnostic]:
    """rate(), irate(), increase() or resets() applied to a gauge.

    A series is a gauge when it is declared as a Gauge, or when it is a Summary's quantile series. Without a
    catalog (plain rule files and dashboards) the type is guessed from the name, and a name rarely says
    "gauge", so this check seldom fires there.

    ## Why is this bad?
    These functions treat every decrease as a counter reset: over a queue depth that goes from 10 to 9,
    rate() sees a reset and adds 9, so the result is nonsense that looks plausible.

    ## Example
        queue = Gauge("payments_queue_depth", "Items waiting")
        Alert("QueueGrowing", "rate(payments_queue_depth[5m]) > 0", ...)

    ## Use instead
        Alert("QueueGrowing", "deriv(payments_queue_depth[5m]) > 0", ...)
    """
    for query in ctx.queries:
        if query.parsed is None:
            continue
        seen: set[tuple[str, str]] = set()
        for selector in selectors(query.parsed):
            name = _series_name(selector.name)
            function = selector.function
            if name is None or function not in COUNTER_FUNCTIONS or (function, name) in seen:
                continue
            info = ctx.catalog.describe(name)
            if info.series_type != "gauge":
                continue
            seen.add((function, name))
            what = "a summary's quantile series" if info.kind == "summary" else "gauge"
            yield diagnostic(
                "Q201",
                f"{function}() applied to {what} `{name}`{_note(info)} (in {owner_kind(query.owner)})",
                help=f"{function}() is for counters; for a gauge use {COUNTER_FUNCTIONS[function]}()",
                related=_declared(ctx, info),
                subject=query.owner,
                **ctx.in_query(query, f"{function}("),
            )


# Where a counter's raw value does not matter: these read only whether series exist, or their timestamps.
_VALUE_BLIND_CALLS = {"absent", "timestamp"}
_VALUE_BLIND_AGGREGATIONS = {"count", "group"}
# Histogram functions have their own check (Q203).
_HISTOGRAM_CALLS = {"histogram_quantile", "histogram_quantiles", "histogram_fraction"}


def _raw_value_use(use: SeriesUse) -> bool:
    """Whether the series' own value reaches the query's result (not through a range, count() or `and`)."""
    if use.ranged:
        return False
    for step in use.path:
        if step.kind == "call" and step.name in _VALUE_BLIND_CALLS | _HISTOGRAM_CALLS:
            return False
        if step.kind == "aggregation" and (step.name in _VALUE_BLIND_AGGREGATIONS or step.argument == 0):
            return False
        if step.kind == "binary" and step.name in ("and", "unless") and step.argument == 1:
            return False
        if step.kind == "binary" and step.name == "-" and step.matching is None:
            return False  # a difference of totals: started - finished, or x - x offset 1h
    return True


def _rated_names(ctx: CheckContext) -> set[str]:
    """Names that some query of the project hands to rate() or increase() (irate() is too often misapplied
    to gauges to count as evidence)."""
    names: set[str] = set()
    for query in ctx.queries:
        if query.parsed is not None:
            names.update(s.name for s in selectors(query.parsed) if s.name and s.function in ("rate", "increase"))
    return names


@check(code="Q202", name="raw-counter", severity=Severity.WARNING)
def raw_counter(ctx: CheckContext) -> Iterator[Diagnostic]:
    """An alert or panel shows or compares a counter's raw value instead of its rate or increase.

    A counter may appear without rate(), irate(), increase() or another range function only where its value
    does not matter: in absent(), count(), group(), timestamp(), on the right of `and` or `unless`, and in a
    variable's `label_values(...)`; a difference of counters (`started - finished`, `x - x offset 1h`) is
    allowed too. Without a catalog, a name counts as a counter only when it ends in `_total` or `_bucket` and
    the linted files hand it to rate() or increase() somewhere: many gauges end in `_total` too.

    ## Why is this bad?
    A counter's value is the total since the process started: it depends on when the service was last
    restarted and drops to zero when it is. `http_requests_total > 100` fires on every instance that has
    served a hundred requests since its start, and a graph of it is a staircase that says nothing about load.

    ## Example
        Alert("TooManyErrors", "http_errors_total > 100", ...)

    ## Use instead
        Alert("TooManyErrors", "sum(rate(http_errors_total[5m])) > 1", ...)
    """
    rated: set[str] | None = None
    for query in ctx.queries:
        if query.parsed is None or not isinstance(query.owner, (Alert, Target)):
            continue
        seen: set[str] = set()
        for use in series_uses(query.parsed):
            name = _series_name(use.selector.name)
            if name is None or name in seen or not _raw_value_use(use):
                continue
            info = ctx.catalog.describe(name)
            if not _is_counter(info):
                continue
            if info.inferred:
                # `_total` also ends gauges (`ceph_pg_total`, `container_fs_inodes_total`): without a catalog,
                # only a name that the project itself rates elsewhere is taken for a counter.
                rated = _rated_names(ctx) if rated is None else rated
                if name not in rated:
                    continue
            seen.add(name)
            yield diagnostic(
                "Q202",
                f"counter `{name}`{_note(info)} used without rate() or increase() (in {owner_kind(query.owner)}):"
                " its value is the total since the process started",
                help=f"use rate({name}[5m]) for a per-second rate, or increase({name}[1h]) for a count per window",
                related=_declared(ctx, info),
                subject=query.owner,
                **ctx.in_query(query, name),
            )


@check(code="Q205", name="irate-in-alert", severity=Severity.WARNING, local=True)
def irate_in_alert(ctx: CheckContext) -> Iterator[Diagnostic]:
    """An alert's expression uses irate().

    ## Why is this bad?
    irate() looks only at the last two samples of its range, so it follows every spike and dip. An alert on
    it flaps: it fires on a single slow scrape and resolves on the next one, and its `for:` duration rarely
    holds. irate() is made for zoomed-in graphs, not for alerting.

    ## Example
        Alert("HighErrorRate", "sum(irate(http_errors_total[5m])) > 1", for_="5m", ...)

    ## Use instead
        Alert("HighErrorRate", "sum(rate(http_errors_total[5m])) > 1", for_="5m", ...)
    """
    for query in ctx.queries:
        if query.parsed is None or not isinstance(query.owner, Alert):
            continue
        if "irate" in function_names(query.parsed):
            yield diagnostic(
                "Q205",
                f"irate() in {owner_kind(query.owner)}: it sees only the last two samples, so the alert flaps",
                help="use rate() over a window of at least four scrape intervals",
                subject=query.owner,
                **ctx.in_query(query, "irate("),
            )


# --- Histograms and summaries ------------------------------------------------------------------------------

_RATE_FUNCTIONS = ("rate", "irate", "increase")
_KEEPS_LABELS = ("topk", "bottomk", "limitk", "limit_ratio")


def _drops_le(step: Step) -> bool:
    if step.kind != "aggregation" or step.argument == 0 or step.name in _KEEPS_LABELS:
        return False
    if step.clause == "by":
        return "le" not in step.labels
    if step.clause == "without":
        return "le" in step.labels
    return True


def _bucket_info(ctx: CheckContext, name: str | None) -> SeriesInfo | None:
    """What is known of `name` when it is a classic histogram's `_bucket` series (None otherwise)."""
    name = _series_name(name)
    if name is None or not name.endswith("_bucket"):
        return None
    info = ctx.catalog.describe(name)
    return info if info.suffix == "_bucket" and info.kind == "histogram" else None


@check(code="Q203", name="histogram-quantile-shape", severity=Severity.ERROR, local=True)
def histogram_quantile_shape(ctx: CheckContext) -> Iterator[Diagnostic]:
    """histogram_quantile() over buckets that are not rated, or whose aggregation drops `le`.

    The second argument must be the rate (or increase) of `_bucket` series, and any aggregation between
    them must keep the `le` label: `sum by (le)`, `sum by (le, endpoint)`, `sum without (instance)`. The
    quantile itself must lie between 0 and 1. Native histograms (a series without `_bucket`) and recording
    rules are not checked. Dropping `le` is an error, since the query can only return nothing; a missing
    rate or a quantile outside 0-1 is a warning.

    ## Why is this bad?
    Without rate() the buckets hold counts since the process started, so the "p95" describes the whole
    uptime and barely moves. An aggregation without `le` adds all buckets into one series, from which no
    quantile can be computed: the result is empty (or NaN). A quantile of 95 instead of 0.95 returns +Inf.

    ## Example
        histogram_quantile(0.95, http_request_duration_seconds_bucket)
        histogram_quantile(0.95, sum by (endpoint) (rate(http_request_duration_seconds_bucket[5m])))

    ## Use instead
        histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket[5m])))
        histogram_quantile(0.95, sum by (le, endpoint) (rate(http_request_duration_seconds_bucket[5m])))
    """
    for query in ctx.queries:
        if query.parsed is None:
            continue
        calls: dict[int, tuple[Step, list[str], list[str]]] = {}  # node -> (call, problems, series)
        empty: set[int] = set()  # calls that can only return nothing
        for use in series_uses(query.parsed):
            for index, step in enumerate(use.path):
                if step.kind != "call" or step.name != "histogram_quantile":
                    continue
                call, problems, names = calls.setdefault(step.node, (step, [], []))
                below = use.path[index + 1 :]
                if step.argument != 1 or any(s.kind == "call" and s.name == "histogram_quantile" for s in below):
                    continue
                info = _bucket_info(ctx, use.selector.name)
                if info is None:
                    continue
                names.append(info.name)
                if not any(s.kind == "call" and s.name in _RATE_FUNCTIONS for s in below):
                    problems.append("without rate() or increase(): the buckets count since the process started")
                for dropping in (s for s in below if _drops_le(s)):
                    problems.append(f"`{dropping.describe()}` drops the `le` label the quantile is computed from")
                    empty.add(step.node)
        for call, problems, names in calls.values():
            if call.number is not None and not 0 <= call.number <= 1:
                problems.append(f"the quantile {call.number:g} is not between 0 and 1")
            if not problems:
                continue
            series = ", ".join(f"`{name}`" for name in dict.fromkeys(names)) or "its argument"
            name = names[0] if names else "x_bucket"
            found = diagnostic(
                "Q203",
                f"histogram_quantile() over {series}: {'; '.join(dict.fromkeys(problems))}"
                f" (in {owner_kind(query.owner)})",
                help=f"histogram_quantile(0.95, sum by (le) (rate({name}[5m]))), adding labels to keep after `le`",
                subject=query.owner,
                **ctx.in_query(query, "histogram_quantile("),
            )
            if call.node not in empty:
                found = attrs.evolve(found, severity=Severity.WARNING)  # wrong, but not empty
            yield found


def _quantile_series(ctx: CheckContext, use: SeriesUse) -> SeriesInfo | None:
    """What is known of the series when it holds precomputed quantiles (a summary's), else None."""
    name = _series_name(use.selector.name)
    if name is None or name.endswith("_bucket"):
        return None
    info = ctx.catalog.describe(name)
    if isinstance(info.metric, Summary) and not info.suffix:
        return info
    if info.metric is None and any(m.label == "quantile" and m.op in ("=", "=~") for m in use.selector.matchers):
        return info
    return None


def _averaging_step(use: SeriesUse) -> Step | None:
    """The sum() or avg() that adds up the series' values directly (through arithmetic and functions of
    instant vectors, not through a range or another aggregation), if any."""
    for step in reversed(use.path):
        if step.kind == "aggregation":
            return step if step.name in ("sum", "avg") and step.argument == 1 else None
        if step.kind == "subquery" or (step.kind == "call" and step.name not in _PASS_THROUGH_CALLS):
            return None
    return None


# Functions of one instant vector whose result is still "the same value" for the purpose of averaging.
_PASS_THROUGH_CALLS = {
    "abs",
    "ceil",
    "floor",
    "round",
    "clamp",
    "clamp_max",
    "clamp_min",
    "label_replace",
    "label_join",
    "sort",
    "sort_desc",
    "sort_by_label",
    "sort_by_label_desc",
}


def _averages_series(ctx: CheckContext, use: SeriesUse, step: Step) -> bool:
    """Whether the aggregation puts several series of `use` together, rather than only dropping labels.

    With the series' labels known, it does when it drops a label that no `=` matcher pins to one value.
    Without them, an aggregation `by (instance, ...)` is taken for one that keeps each target's series apart.
    """
    name = use.selector.name or ""
    available = ctx.catalog.labels_of(name)
    if available is None:
        return not (step.clause == "by" and "instance" in step.labels)
    pinned = {m.label for m in use.selector.matchers if m.op == "="}
    if step.clause == "by":
        dropped = available - set(step.labels)
    elif step.clause == "without":
        dropped = available & set(step.labels)
    else:
        dropped = available
    return bool(dropped - pinned)


@check(code="Q204", name="aggregated-summary-quantile", severity=Severity.WARNING, local=True)
def aggregated_summary_quantile(ctx: CheckContext) -> Iterator[Diagnostic]:
    """sum() or avg() over a summary's precomputed quantiles.

    A quantile series is a Summary's own series (`rpc_duration_seconds{quantile="0.99"}`); without a catalog,
    any series selected with a `quantile` matcher. max() and min() are allowed: they give a bound, not an
    average. An aggregation that only drops labels, putting no two series together (every label it drops is
    pinned by an `=` matcher), is allowed; without a catalog, so is one `by (instance, ...)`.

    ## Why is this bad?
    Quantiles do not add up or average: the mean of two instances' p99 is not the p99 of all requests, and
    can be far off when the instances carry different load. The sum of quantiles means nothing at all.

    ## Example
        avg(rpc_duration_seconds{quantile="0.99"})

    ## Use instead
        max(rpc_duration_seconds{quantile="0.99"})
        # or, for a true fleet-wide quantile, a Histogram:
        histogram_quantile(0.99, sum by (le) (rate(rpc_duration_seconds_bucket[5m])))
    """
    for query in ctx.queries:
        if query.parsed is None:
            continue
        seen: set[int] = set()
        for use in series_uses(query.parsed):
            step = _averaging_step(use)
            if step is None or step.node in seen:
                continue
            info = _quantile_series(ctx, use)
            if info is None or not _averages_series(ctx, use, step):
                continue
            seen.add(step.node)
            yield diagnostic(
                "Q204",
                f"`{step.describe()}` over the precomputed quantiles of `{info.name}` (in {owner_kind(query.owner)}):"
                " quantiles cannot be summed or averaged",
                help="use max() for an upper bound, or a Histogram and histogram_quantile() for a fleet-wide quantile",
                related=_declared(ctx, info),
                subject=query.owner,
                **ctx.in_query(query, step.name),
            )


# --- Ranges --------------------------------------------------------------------------------------------------

# Functions that need two samples in their range, and those that need one.
_TWO_SAMPLES = {
    "rate",
    "irate",
    "increase",
    "delta",
    "idelta",
    "deriv",
    "predict_linear",
    "changes",
    "resets",
    "holt_winters",
    "double_exponential_smoothing",
    "avg_over_time",
    "min_over_time",
    "max_over_time",
    "sum_over_time",
    "count_over_time",
    "quantile_over_time",
    "stddev_over_time",
    "stdvar_over_time",
    "mad_over_time",
}
_RATE_LIKE = {"rate", "irate", "increase", "delta", "idelta", "deriv", "predict_linear", "changes", "resets"}
_ONE_SAMPLE = {"last_over_time", "first_over_time", "present_over_time", "absent_over_time"}


@check(code="Q206", name="range-too-short", severity=Severity.WARNING, local=True)
def range_too_short(ctx: CheckContext) -> Iterator[Diagnostic]:
    """A range shorter than two scrape intervals in rate(), increase(), deriv() or an `_over_time` function.

    The scrape interval is the `scrape_interval` of the `Service` that exposes the metric (the longest, when
    several do), else the declared `Prometheus`'s, else `scrape_interval` in the settings (Prometheus's
    default, 1m, when not set); for series the rule engine writes (recording rules, `ALERTS`) it is
    `evaluation_interval`.
    last_over_time(), present_over_time() and absent_over_time() need only one sample, so for them the range
    must reach one scrape interval. Grafana's `$__rate_interval`, `$__interval` and `$__range`, and interval
    variables, are chosen by Grafana and not checked. Subqueries are evaluated at their own step and are
    not checked either.

    ## Why is this bad?
    rate() needs two samples in its range. With a 1m scrape interval, `rate(x[1m])` holds one sample most of
    the time, so it returns nothing: graphs have gaps and alerts never fire (or fire and resolve at random).
    An `_over_time` function over a range that holds one sample just returns that sample.

    ## Example
        # scrape_interval: 1m
        Alert("HighErrorRate", "sum(rate(http_errors_total[1m])) > 1", ...)

    ## Use instead
        Alert("HighErrorRate", "sum(rate(http_errors_total[5m])) > 1", ...)
    """
    for query in ctx.queries:
        if query.parsed is None:
            continue
        literal = literal_ranges(query.original)
        substituted = query.text != query.original
        seen: set[tuple[str, float]] = set()
        for argument in range_arguments(query.parsed):
            if argument.subquery or (argument.function, argument.seconds) in seen:
                continue
            samples = 2 if argument.function in _TWO_SAMPLES else 1 if argument.function in _ONE_SAMPLE else 0
            evaluated = bool(argument.series) and all(_evaluated(ctx, name) for name in argument.series)
            interval = (
                ctx.settings.evaluation_interval_seconds if evaluated else ctx.scrape_interval_seconds(argument.series)
            )
            if not samples or argument.seconds >= samples * interval:
                continue
            if substituted and argument.seconds not in literal:
                continue  # a Grafana macro or variable
            seen.add((argument.function, argument.seconds))
            written = literal.get(argument.seconds, f"[{format_duration(argument.seconds, milliseconds=False)}") + "]"
            kind = "evaluation" if evaluated else "scrape"
            shortest, advised = (format_duration(s, milliseconds=False) for s in (interval, 4 * interval))
            intervals = f"two {kind} intervals" if samples == 2 else f"one {kind} interval"
            if argument.function in _RATE_LIKE:
                outcome = f"it often holds fewer than two samples, and {argument.function}() then returns nothing"
            elif samples == 2:
                outcome = f"it holds one sample or none, so {argument.function}() has nothing to aggregate"
            else:
                outcome = "it often holds no sample, and the result has gaps"
            yield diagnostic(
                "Q206",
                f"{argument.function}() over {written} spans less than {intervals} ({shortest})"
                f" (in {owner_kind(query.owner)}): {outcome}",
                help=f"use a range of at least {advised} (four {kind} intervals)"
                + (", or $__rate_interval in a panel" if isinstance(query.owner, Target) else "")
                + f"; if the {kind} interval is shorter, set `{kind}_interval` in the settings",
                subject=query.owner,
                **ctx.in_query(query, written[:-1]),
            )


def _evaluated(ctx: CheckContext, name: str) -> bool:
    """Whether series `name` is written by the rule engine (a recording rule, ALERTS) rather than scraped.

    Plain files linted together may record a name that another file scrapes (node_exporter's compatibility
    rules record `node_network_receive_errs_total`), so there only `ALERTS` counts.
    """
    if name in ("ALERTS", "ALERTS_FOR_STATE"):
        return True
    return not ctx.plain and name in ctx.catalog.records


def _sums_counters(ctx: CheckContext, expr: str) -> bool:
    """Whether a recording rule's expression aggregates counters before any rate(): `sum(x_total)`."""
    parsed = parse(expr)
    if not isinstance(parsed, Parsed):
        return False
    aggregation = top_aggregation(parsed)
    if aggregation is None or aggregation in _KEEPS_LABELS:
        return False
    for use in series_uses(parsed):
        name = _series_name(use.selector.name)
        if name is not None and not use.ranged and _is_counter(ctx.catalog.describe(name)):
            return True
    return False


@check(code="Q207", name="rate-over-aggregation", severity=Severity.WARNING, local=True)
def rate_over_aggregation(ctx: CheckContext) -> Iterator[Diagnostic]:
    """rate(), irate(), increase() or resets() over series that were aggregated first.

    Two shapes: a subquery that aggregates, `rate(sum(x_total)[5m:])`, and a recording rule that sums
    counters, `Record("job:x:sum", "sum by (job) (x_total)")`, whose series is then rated.

    ## Why is this bad?
    rate() recognises a counter reset by the value going down. When one instance of a sum restarts, the sum
    drops by that instance's count, rate() takes the drop for a reset of the whole sum and adds the entire
    sum back: the result shows a huge spike. Rate each counter first, then aggregate the rates.

    ## Example
        rate(sum by (job) (http_requests_total)[5m:])

    ## Use instead
        sum by (job) (rate(http_requests_total[5m]))
    """
    for query in ctx.queries:
        if query.parsed is None:
            continue
        for argument in range_arguments(query.parsed):
            if argument.function not in COUNTER_FUNCTIONS or not argument.subquery:
                continue
            aggregations = [op for op in argument.aggregations if op not in _KEEPS_LABELS]
            if aggregations:
                yield diagnostic(
                    "Q207",
                    f"{argument.function}() over {aggregations[0]}(...) in a subquery (in {owner_kind(query.owner)}):"
                    " a reset of one counter looks like a reset of the whole aggregate",
                    help=f"apply {argument.function}() to each counter first, then aggregate: "
                    f"{aggregations[0]}({argument.function}(x[5m]))",
                    subject=query.owner,
                    **ctx.in_query(query, f"{argument.function}("),
                )
        seen: set[str] = set()
        for selector in selectors(query.parsed):
            name = _series_name(selector.name)
            if name is None or name in seen or selector.function not in COUNTER_FUNCTIONS:
                continue
            record = ctx.catalog.records.get(name)
            if record is None or not _sums_counters(ctx, record.expr):
                continue
            seen.add(name)
            yield diagnostic(
                "Q207",
                f"{selector.function}() over recording rule `{name}`, which aggregates counters before any rate"
                f" (in {owner_kind(query.owner)}): a reset of one counter looks like a reset of the whole sum",
                help=f"record the rate instead, e.g. sum by (...) (rate(counter[5m])), and use `{name}` as it is",
                related=ctx.declared_at("recorded", record),
                subject=query.owner,
                **ctx.in_query(query, name),
            )


# --- Operators and matchers ------------------------------------------------------------------------------------


_OUTCOMES = {"and": "nothing is kept", "unless": "nothing is removed"}


def _label_list(labels: frozenset[str]) -> str:
    return "{" + ", ".join(sorted(labels)) + "}"


def _side(series: tuple[str, ...], labels: frozenset[str]) -> str:
    names = ", ".join(f"`{name}`" for name in series[:2]) or "a vector"
    return f"{names} with labels {_label_list(labels)}"


@check(code="Q208", name="vector-matching-mismatch", severity=Severity.ERROR, local=True)
def vector_matching_mismatch(ctx: CheckContext) -> Iterator[Diagnostic]:
    """A binary operator between two vectors whose label sets differ, without `on` or `ignoring`.

    Without `on (...)` or `ignoring (...)`, a series on the left matches a series on the right only when all
    their labels are equal. The check compares the labels each side can carry (declared labels, target
    labels, what `by` clauses keep) and stays quiet when either side's labels are unknown, when a side is a
    scalar or `vector(...)`, and for `or`, which is meant to join different series.

    The finding is an error, since the result can only be empty, except for `unless`, which then removes
    nothing: a warning.

    ## Why is this bad?
    The result is empty: an alert that can never fire, a panel with no data. With `and` nothing is kept;
    with `unless` nothing is removed.

    ## Example
        sum by (endpoint) (rate(http_errors_total[5m])) / sum(rate(http_requests_total[5m]))

    ## Use instead
        sum by (endpoint) (rate(http_errors_total[5m])) / on () group_left sum(rate(http_requests_total[5m]))
        sum by (endpoint) (rate(http_errors_total[5m])) / sum by (endpoint) (rate(http_requests_total[5m]))
    """
    for query in ctx.queries:
        if query.parsed is None:
            continue
        for operation in binary_operations(query.parsed, ctx.catalog.labels_of):
            lhs, rhs = operation.lhs_labels, operation.rhs_labels
            if (
                operation.op == "or"
                or operation.matching is not None
                or operation.grouping
                or operation.literal_vector
                or (operation.lhs_type, operation.rhs_type) != ("vector", "vector")
                or lhs is None
                or rhs is None
                or lhs == rhs
                or any(label.startswith(PLACEHOLDER_PREFIX) for label in lhs | rhs)
            ):
                continue
            outcome = {"and": "nothing is kept", "unless": "nothing is removed"}.get(
                operation.op, "the result is empty"
            )
            shared = lhs & rhs
            found = diagnostic(
                "Q208",
                f"`{operation.op}` between {_side(operation.lhs_series, lhs)} and {_side(operation.rhs_series, rhs)}:"
                f" without on() or ignoring() no series match, so {outcome} (in {owner_kind(query.owner)})",
                help=(
                    f"match on the labels both sides carry: `{operation.op} on ({', '.join(sorted(shared))})`"
                    if shared
                    else "aggregate both sides to the same labels, or use `on () group_left` to apply one value to all"
                ),
                subject=query.owner,
                **ctx.in_query(query, f" {operation.op} " if operation.op.isalpha() else operation.op),
            )
            if operation.op == "unless":
                found = attrs.evolve(found, severity=Severity.WARNING)  # removes nothing: wrong, not empty
            yield found


_REGEX_META = set("\\.+*?()[]{}|^$")
_MATCH_ALL = {".*", "(.*)", "(?s:.*)", ".*?", "(?:.*)"}


def _templated_matchers(query: Query) -> set[str]:
    """Labels whose regex matcher, as the user wrote the query, holds a Grafana variable."""
    if query.text == query.original:
        return set()
    templated = set()
    for matcher in regex_matchers(query.original):
        if "$" in matcher.value or "[[" in matcher.value:
            templated.add(matcher.label)
    return templated


def _regex_problem(op: str, value: str) -> tuple[str, str] | None:
    """(what is wrong, how to write it) for a regex matcher's value, or None when it needs to be a regex."""
    bare = value
    anchored = False
    if bare.startswith("^"):
        bare, anchored = bare[1:], True
    if bare.endswith("$") and not bare.endswith("\\$"):
        bare, anchored = bare[:-1], True
    if bare in _MATCH_ALL:
        if op == "=~":
            return "matches every value, and a missing label too: it filters nothing", "remove the matcher"
        return "matches every value, and a missing label too: the selector selects nothing", "remove the selector"
    if not set(bare) & _REGEX_META:
        equal = "=" if op == "=~" else "!="
        return "has no regex in it: it is an exact match", f'write `{equal}"{bare}"`'
    if anchored:
        return "is anchored with ^ or $, which Prometheus does itself", f'write `{op}"{bare}"`'
    return None


@check(code="Q209", name="redundant-regex-matcher", severity=Severity.ERROR, local=True)
def redundant_regex_matcher(ctx: CheckContext) -> Iterator[Diagnostic]:
    """A regex label matcher that needs no regex, is anchored by hand, or matches everything.

    `label=~"value"` without regex characters is `label="value"`; Prometheus anchors every regex matcher,
    so `^` and `$` add nothing; `label=~".*"` matches every value and a missing label, and `label!~".*"`
    matches nothing. `label=~".+"` is not flagged: it requires the label to be present. Matchers whose value
    comes from a Grafana variable (`=~"$endpoint"`) need the regex and are not flagged. A negated
    match-all, which selects nothing, is an error; the others are warnings.

    ## Why is this bad?
    A regex that is not needed hides what the query means and costs a regex evaluation per series. Hand
    anchors suggest the author expects unanchored matching elsewhere. A match-all matcher filters nothing,
    and its negation silently selects nothing.

    ## Example
        http_requests_total{status=~"500", endpoint=~"^/api$", job=~".*"}

    ## Use instead
        http_requests_total{status="500", endpoint="/api"}
    """
    for query in ctx.queries:
        if query.parsed is None:
            continue
        templated = _templated_matchers(query)
        seen: set[tuple[str, str, str]] = set()
        for selector in selectors(query.parsed):
            for matcher in selector.matchers:
                key = (matcher.label, matcher.op, matcher.value)
                if matcher.op not in ("=~", "!~") or key in seen or matcher.label in templated:
                    continue
                if PLACEHOLDER_PREFIX in matcher.value:
                    continue
                problem = _regex_problem(matcher.op, matcher.value)
                if problem is None:
                    continue
                seen.add(key)
                what, instead = problem
                if matcher.label == "__name__" and matcher.op == "=~" and instead.startswith("write"):
                    instead = f"write the metric name itself: `{matcher.value.strip('^$')}{{...}}`"
                found = diagnostic(
                    "Q209",
                    f'`{matcher.label}{matcher.op}"{matcher.value}"` {what} (in {owner_kind(query.owner)})',
                    help=instead,
                    subject=query.owner,
                    **ctx.in_query(query, matcher.label + matcher.op),
                )
                if not what.endswith("selects nothing"):
                    found = attrs.evolve(found, severity=Severity.WARNING)  # redundant, not empty
                yield found


# --- The target Prometheus version ---------------------------------------------------------------------------


def _feature_of(use: FeatureUse) -> Feature | None:
    if use.kind == "function":
        return function_feature(use.name)
    if use.kind == "aggregation":
        return AGGREGATIONS.get(use.name)
    return SYNTAX.get(use.name)


def _feature_message(use: FeatureUse, feature: Feature, target: str) -> tuple[str, str]:
    """(message, help) for a feature that Prometheus `target` does not have."""
    what = (
        f"`{use.name}()`" if use.kind == "function" else f"`{use.name}`" if use.kind == "aggregation" else feature.name
    )
    if feature.removed is not None and feature.instead is None:
        removed = f"{feature.removed[0]}.{feature.removed[1]}"
        return (
            f"`{use.text}` is a keyword since Prometheus {removed}",
            f'select the metric as {{__name__="{use.text}"}}',
        )
    if feature.removed is not None:
        removed = f"{feature.removed[0]}.{feature.removed[1]}"
        return f"{what} was removed in Prometheus {removed}", f"use `{feature.instead}()`, its new name"
    first = feature.first_version()
    if first is None:
        return f"{what} is not supported by any Prometheus release", "rewrite the query in plain PromQL"
    if not feature.exact:
        return f"{what} is not in Prometheus 2.x", "upgrade Prometheus, or rewrite the query without it"
    flag = f" with --enable-feature={feature.flag}" if feature.flag else ""
    if feature.since is not None and feature.experimental is not None:
        stable = f"{feature.since[0]}.{feature.since[1]}"
        return (
            f"{what} needs Prometheus {stable} or later ({first}{flag})",
            f"upgrade Prometheus (the target is {target}), or rewrite the query without it",
        )
    return (
        f"{what} needs Prometheus {first} or later{flag}",
        f"upgrade Prometheus (the target is {target}), or rewrite the query without it",
    )


@check(code="Q214", name="promql-newer-than-target", severity=Severity.ERROR, local=True)
def promql_newer_than_target(ctx: CheckContext) -> Iterator[Diagnostic]:
    """A query uses a function, aggregation or syntax that the target Prometheus version does not have.

    The target is `prometheus_version` in the settings (2.42 when not set). Examples: `limitk()` and
    `limit_ratio()` (2.54, experimental), `sort_by_label()` and `mad_over_time()` (2.49, experimental),
    `info()` (2.55, experimental), quoted UTF-8 names such as `{"http.requests"}` (3.0), and `holt_winters()`,
    renamed `double_exponential_smoothing()` in 3.0. Experimental features also need their
    `--enable-feature` flag, which this check cannot see. The finding is an error in rules, which Prometheus
    refuses to load, and a warning in dashboards, where only the panel fails.

    ## Why is this bad?
    The query parses here, but the Prometheus that loads the rule file rejects the whole file, and a panel
    with such a query shows only an error.

    ## Example
        # prometheus_version: "2.42"
        Record("top_endpoints", "limitk(5, sum by (endpoint) (rate(http_requests_total[5m])))")

    ## Use instead
        Record("top_endpoints", "topk(5, sum by (endpoint) (rate(http_requests_total[5m])))")
    """
    version = ctx.settings.prometheus_version_tuple
    target = ctx.settings.prometheus_version
    for query in ctx.queries:
        if query.parsed is None:
            continue
        seen: set[tuple[str, str]] = set()
        for use in features(query.parsed):
            feature = _feature_of(use)
            if feature is None or feature.available(version) or (use.kind, use.name) in seen:
                continue
            seen.add((use.kind, use.name))
            message, help_ = _feature_message(use, feature, target)
            found = diagnostic(
                "Q214",
                f"{message}; the target is Prometheus {target} (in {owner_kind(query.owner)})",
                help=help_,
                subject=query.owner,
                **ctx.in_query(query, use.text),
            )
            if not isinstance(query.owner, (Alert, Record)):
                found = attrs.evolve(found, severity=Severity.WARNING)  # only the panel fails
            yield found
