"""M1xx: metric declarations. The catalog says one thing per metric name, names and labels follow
Prometheus's conventions, and every declared metric is watched by something."""

from __future__ import annotations

import re
from collections.abc import Iterator

import attrs

from monitoring_dsl.checks.context import CheckContext
from monitoring_dsl.checks.registry import check, diagnostic
from monitoring_dsl.diagnostics import Diagnostic, Place, Severity
from monitoring_dsl.model.base import SourceLocation, nearest
from monitoring_dsl.model.metrics import Counter, Metric
from monitoring_dsl.model.units import (
    BASE_UNITS,
    OTHER_UNITS,
    UNIT_ABBREVIATIONS,
    UNIT_PREFIXES,
    UNIT_VALUE_ABBREVIATIONS,
)
from monitoring_dsl.promql import PLACEHOLDER_PREFIX, selectors
from monitoring_dsl.promql.written import names_in


@check(code="M101", name="conflicting-metric", severity=Severity.ERROR, needs_catalog=True)
def conflicting_metric(ctx: CheckContext) -> Iterator[Diagnostic]:
    """The same metric name is declared twice with different type, help, labels, unit or buckets.

    Declaring a metric once in a shared module (`specs/catalog.py`) and importing it everywhere is the
    intended style; an identical second declaration is harmless, a different one is not.

    ## Why is this bad?
    The service can expose only one of them: every check, dashboard and the instrumentation would disagree
    about what the metric is.

    ## Example
        # specs/api.py
        requests = Counter("http_requests_total", "Requests", labels=["endpoint"])
        # specs/billing.py
        requests = Counter("http_requests_total", "Requests", labels=["route"])

    ## Use instead
        # specs/catalog.py
        requests = Counter("http_requests_total", "Requests", labels=["endpoint"])
        # specs/api.py and specs/billing.py
        from catalog import requests
    """
    for first, other in ctx.catalog.conflicts:
        differences = [
            field
            for field in ("help", "labels", "unit", "buckets", "quantiles")
            if getattr(first, field, None) != getattr(other, field, None)
        ]
        if type(first) is not type(other):
            differences.insert(0, f"type ({type(first).__name__} vs {type(other).__name__})")
        yield diagnostic(
            "M101",
            f"metric `{other.name}` is declared again with a different {', '.join(differences)}",
            location=other.location,
            subject=other,
            related=ctx.declared_at("first declared", first),
            help="declare each metric once, in a shared spec module, and import it where it is used",
        )


@check(code="M102", name="counter-without-total", severity=Severity.WARNING, needs_catalog=True, local=True)
def counter_without_total(ctx: CheckContext) -> Iterator[Diagnostic]:
    """A counter whose name does not end in `_total`.

    ## Why is this bad?
    `_total` is how a reader of a query, and every linter, tells a counter from a gauge: `rate()` belongs on
    `_total` series and on nothing else. OpenMetrics requires the suffix, and prometheus_client appends it
    when it is missing, so the service would expose a series the specs do not name.

    ## Example
        requests = Counter("http_requests", "HTTP requests served")

    ## Use instead
        requests = Counter("http_requests_total", "HTTP requests served")
    """
    for metric in _metrics(ctx):
        if isinstance(metric, Counter) and not metric.name.endswith("_total"):
            yield diagnostic(
                "M102",
                f"counter `{metric.name}` does not end in `_total`",
                help=f"rename it `{_counter_name(metric.name)}`",
                subject=metric,
                **_quoted(ctx, metric.location, metric.name),
            )


def _counter_name(name: str) -> str:
    for suffix in ("_count", "_counter", "_sum"):
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)] + "_total"
    return name + "_total"


@check(code="M103", name="total-on-non-counter", severity=Severity.WARNING, needs_catalog=True, local=True)
def total_on_non_counter(ctx: CheckContext) -> Iterator[Diagnostic]:
    """A gauge, histogram or summary whose name ends in `_total`.

    ## Why is this bad?
    Readers, linters and tools that infer a type from the name (this linter on plain rule files, too)
    take `_total` to mean a counter. A gauge named `_total` invites `rate()` over a value that goes down,
    and a histogram's series become `x_total_bucket` and `x_total_count`.

    ## Example
        queue = Gauge("jobs_waiting_total", "Jobs waiting in the queue")

    ## Use instead
        queue = Gauge("jobs_waiting", "Jobs waiting in the queue")
    """
    for metric in _metrics(ctx):
        if not isinstance(metric, Counter) and metric.name.endswith("_total"):
            kind = type(metric).__name__.lower()
            yield diagnostic(
                "M103",
                f"{kind} `{metric.name}` ends in `_total`, the counter suffix",
                help=(
                    f"drop the suffix (`{metric.name[: -len('_total')]}`), or declare it as a Counter if it "
                    "only ever goes up"
                ),
                subject=metric,
                **_quoted(ctx, metric.location, metric.name),
            )


def _non_base_word(word: str, abbreviations: dict[str, str]) -> str | None:
    """The base unit to use instead of `word`, when `word` is a unit that is not a base unit."""
    word = word.lower()
    if word in OTHER_UNITS:
        return OTHER_UNITS[word]
    if word in abbreviations:
        return abbreviations[word]
    for base in BASE_UNITS:
        if word.endswith(base) and word[: -len(base)] in UNIT_PREFIXES:
            return base
    return None


def _non_base_units_in_name(name: str) -> list[tuple[str, str]]:
    """(unit, base unit) for each non-base unit among the words of a metric name."""
    words = name.split("_")
    unit_position = len(words) - 2 if len(words) > 2 and words[-1] == "total" else len(words) - 1
    found = []
    for index, word in enumerate(words):
        base = _non_base_word(word, UNIT_ABBREVIATIONS if index == unit_position else {})
        if base is not None:
            found.append((word, base))
    return found


@check(code="M104", name="non-base-unit", severity=Severity.WARNING, needs_catalog=True, local=True)
def non_base_unit(ctx: CheckContext) -> Iterator[Diagnostic]:
    """A metric's name or `unit=` uses a unit that is not a base unit (milliseconds, kilobytes, percent).

    Prometheus names quantities in base units: seconds for time, bytes for sizes, meters, grams,
    joules, volts, amperes, and a ratio from 0 to 1 for fractions. Prefixed units (`milliseconds`,
    `megabytes`), other units (`minutes`, `hours`, `percent`) and abbreviations in the unit position
    (`_ms`, `_kb`) are reported.

    ## Why is this bad?
    Every metric in one unit lets any two be added, compared or divided, and lets Grafana's `s` and `bytes`
    units format every panel; `_ms` next to `_seconds` is how a panel ends up off by a factor of 1000.

    ## Example
        latency = Histogram("http_request_duration_milliseconds", "Request duration", unit="milliseconds")
        cpu = Gauge("cpu_usage_percent", "CPU in use")

    ## Use instead
        latency = Histogram("http_request_duration_seconds", "Request duration", unit="seconds",
                            buckets=[0.005, 0.01, 0.05, 0.1, 0.5, 1])
        cpu = Gauge("cpu_usage_ratio", "CPU in use, from 0 to 1")
    """
    for metric in _metrics(ctx):
        for word, base in _non_base_units_in_name(metric.name):
            yield diagnostic(
                "M104",
                f"metric `{metric.name}` is named in {word!r}, not in the base unit {base!r}",
                help=_unit_help(word, base),
                subject=metric,
                **_quoted(ctx, metric.location, metric.name),
            )
        unit = metric.unit
        unit_base = _non_base_word(unit.strip(), UNIT_VALUE_ABBREVIATIONS) if unit else None
        if unit and unit_base is not None:
            yield diagnostic(
                "M104",
                f"metric `{metric.name}` declares unit={unit!r}, not the base unit {unit_base!r}",
                help=_unit_help(unit, unit_base),
                subject=metric,
                **_quoted(ctx, metric.location, unit),
            )


def _unit_help(word: str, base: str) -> str:
    if base == "ratio":
        return "expose a ratio from 0 to 1 (name it `_ratio`) and let the panel show it as a percentage"
    return f"expose the value in {base} (convert it in the service) and name it `_{base}`"


_RESERVED_SUFFIXES = ("_bucket", "_count", "_sum")


@check(code="M105", name="reserved-metric-suffix", severity=Severity.WARNING, needs_catalog=True, local=True)
def reserved_metric_suffix(ctx: CheckContext) -> Iterator[Diagnostic]:
    """A metric name ends in `_bucket`, `_count` or `_sum`, the suffixes of histogram and summary series.

    ## Why is this bad?
    A histogram `x` is stored as `x_bucket`, `x_count` and `x_sum`. A gauge named `jobs_count` looks like
    the count of a histogram `jobs`, collides with it if one is ever declared, and its histogram would be
    `jobs_count_bucket`. Queries and checks that infer types from names get it wrong.

    ## Example
        jobs = Gauge("jobs_count", "Jobs in the queue")

    ## Use instead
        jobs = Gauge("jobs_queued", "Jobs in the queue")
    """
    for metric in _metrics(ctx):
        suffix = next((s for s in _RESERVED_SUFFIXES if metric.name.endswith(s)), None)
        if suffix is None:
            continue
        kind = type(metric).__name__.lower()
        yield diagnostic(
            "M105",
            f"{kind} `{metric.name}` ends in `{suffix}`, a suffix reserved for histogram and summary series",
            help=(
                "name what is counted, e.g. `jobs_queued` for a gauge or `jobs_processed_total` for a counter"
                if suffix == "_count"
                else f"choose a name that does not end in `{suffix}`"
            ),
            subject=metric,
            **_quoted(ctx, metric.location, metric.name),
        )


@check(code="M106", name="reserved-label-name", severity=Severity.WARNING, needs_catalog=True, local=True)
def reserved_label_name(ctx: CheckContext) -> Iterator[Diagnostic]:
    """A metric declares a label that Prometheus or the client library reserves.

    `le` belongs to histogram buckets and `quantile` to summary quantiles; names starting with `__` are
    Prometheus's own; `job` and `instance` are the target labels that every scrape attaches, and so are the
    `target_labels` and `external_labels` declared in `[tool.monitoring-dsl]`.

    ## Why is this bad?
    prometheus_client refuses `le` on a histogram, `quantile` on a summary and `__` names; elsewhere `le`
    and `quantile` break `histogram_quantile()` and every reader's expectations. Prometheus renames a
    scraped `job` or `instance` label to `exported_job` or `exported_instance`, so queries on it match
    the target's value instead.

    ## Example
        latency = Histogram("task_duration_seconds", "Task duration", labels=["le", "task"])

    ## Use instead
        latency = Histogram("task_duration_seconds", "Task duration", labels=["task"])
    """
    for metric in _metrics(ctx):
        attached = ctx.attached_labels(metric.name)
        for label in metric.labels:
            reason = _reserved_label(label) or _attached_label(ctx, label, attached)
            if reason is None:
                continue
            yield diagnostic(
                "M106",
                f"metric `{metric.name}` declares label `{label}`, {reason}",
                help=_RESERVED_LABEL_HELP.get(label, f"rename the label (e.g. `{metric.name.split('_')[0]}_{label}`)"),
                subject=metric,
                **_quoted(ctx, metric.location, label),
            )


_RESERVED_LABEL_HELP = {
    "le": "drop it; a Histogram adds `le` to its `_bucket` series by itself",
    "quantile": "drop it; a Summary with quantiles= adds `quantile` by itself",
    "job": "rename it (e.g. `task` or `service`); `job` comes from the scrape configuration",
    "instance": "rename it (e.g. `node` or `replica`); `instance` comes from the scrape configuration",
}


def _attached_label(ctx: CheckContext, label: str, attached: frozenset[str]) -> str | None:
    if label not in attached:
        return None
    if label in ctx.settings.external_labels and label not in ctx.settings.target_labels:
        return "which is also an external label: the series keeps its own value, and the external one is lost"
    return "which the deployment attaches (target_labels): the exposed label is renamed to `exported_" + label + "`"


def _reserved_label(label: str) -> str | None:
    if label.startswith("__"):
        return "and names starting with `__` are reserved for Prometheus"
    if label == "le":
        return "which is reserved for the bucket bounds of histograms"
    if label == "quantile":
        return "which is reserved for the quantiles of summaries"
    if label in ("job", "instance"):
        return "which Prometheus sets from the target and renames to `exported_" + label + "` when scraped"
    return None


@check(code="M107", name="missing-help", severity=Severity.WARNING, needs_catalog=True, local=True)
def missing_help(ctx: CheckContext) -> Iterator[Diagnostic]:
    """A metric's help text is empty or only whitespace.

    ## Why is this bad?
    The help text is exposed with the metric (`# HELP`) and shown by Grafana's metric browser and
    Prometheus's autocomplete: it is the only documentation most readers of the metric will ever see.

    ## Example
        queue = Gauge("jobs_waiting", "")

    ## Use instead
        queue = Gauge("jobs_waiting", "Jobs accepted but not yet started, across all workers.")
    """
    for metric in _metrics(ctx):
        if not metric.help.strip():
            yield diagnostic(
                "M107",
                f"metric `{metric.name}` has no help text",
                help="say what is measured, in what unit, and what its labels mean",
                subject=metric,
                **_quoted(ctx, metric.location, metric.name),
            )


# Labels whose values are unbounded: one series per request, user, address or URL. Exact names only: a
# bounded `endpoint`, `route`, `handler`, `user_type` or `tenant_id` is what a label is for. Not a bare
# `ip`, which as often holds the IP version (`node_udp_queues{ip="v4"}`).
HIGH_CARDINALITY_LABELS = {
    "path": "url",
    "url": "url",
    "uri": "url",
    "full_path": "url",
    "raw_path": "url",
    "request_path": "url",
    "request_uri": "url",
    "request_url": "url",
    "query_string": "url",
    "querystring": "url",
    "referer": "url",
    "referrer": "url",
    "user_agent": "url",
    "useragent": "url",
    "user_id": "user",
    "userid": "user",
    "email": "user",
    "email_address": "user",
    "user_email": "user",
    "ip_address": "address",
    "ipaddress": "address",
    "client_ip": "address",
    "remote_ip": "address",
    "remote_addr": "address",
    "source_ip": "address",
    "src_ip": "address",
    "peer_ip": "address",
    "x_forwarded_for": "address",
    "request_id": "id",
    "requestid": "id",
    "req_id": "id",
    "session_id": "id",
    "sessionid": "id",
    "trace_id": "id",
    "traceid": "id",
    "span_id": "id",
    "spanid": "id",
    "correlation_id": "id",
    "message_id": "id",
    "order_id": "id",
    "transaction_id": "id",
    "payment_id": "id",
    "uuid": "id",
    "guid": "id",
    "timestamp": "id",
    "error_message": "text",
    "exception_message": "text",
}
_CARDINALITY_HELP = {
    "url": 'label by the route template (`endpoint="/users/{id}"`), which has a bounded set of values',
    "user": "count users with a gauge, or label by something bounded such as a plan or user type",
    "address": "label by something bounded (region, client type); keep addresses in logs",
    "id": "keep per-request identifiers in logs and traces (or exemplars), never in labels",
    "text": "label by an error class or code, and keep the message in logs",
}


@check(code="M108", name="high-cardinality-label", severity=Severity.WARNING, needs_catalog=True, local=True)
def high_cardinality_label(ctx: CheckContext) -> Iterator[Diagnostic]:
    """A metric declares a label whose values are unbounded: a raw path or URL, a user, an IP, a request id.

    Reported names are exact: `path`, `url`, `uri`, `user_agent`, `user_id`, `email`, `client_ip`,
    `remote_addr`, `request_id`, `session_id`, `trace_id`, `span_id`, `uuid`, `timestamp`,
    `error_message` and the like. Bounded labels such as `endpoint`, `route`, `handler` or `tenant_id`
    are fine.

    ## Why is this bad?
    Every distinct label value is a new time series. A label that takes a value per user or per request
    grows without limit: Prometheus's memory and every query over the metric grow with it, until scrapes
    are dropped or the server falls over.

    ## Example
        requests = Counter("http_requests_total", "Requests", labels=["method", "path"])

    ## Use instead
        requests = Counter("http_requests_total", "Requests", labels=["method", "endpoint"])
    """
    for metric in _metrics(ctx):
        for label in metric.labels:
            family = HIGH_CARDINALITY_LABELS.get(label.lower())
            if family is None:
                continue
            yield diagnostic(
                "M108",
                f"label `{label}` of `{metric.name}` has unbounded values: each one is a new series",
                help=_CARDINALITY_HELP[family],
                subject=metric,
                **_quoted(ctx, metric.location, label),
            )


@check(code="M109", name="unused-metric", severity=Severity.INFO, needs_catalog=True)
def unused_metric(ctx: CheckContext) -> Iterator[Diagnostic]:
    """A declared metric that no alert, recording rule, panel or dashboard variable queries.

    A histogram or summary counts as used when any of its `_bucket`, `_sum` or `_count` series is queried;
    a `{__name__=~"..."}` selector or a `metrics(...)` variable uses every metric it matches. A project
    with no queries at all (a catalog shared with other repositories) is not reported.

    ## Why is this bad?
    Nothing watches the metric: either a dashboard or alert is missing, or the declaration (and the
    instrumentation it generates, and the series Prometheus stores) can go.

    ## Example
        requests = Counter("http_requests_total", "Requests")
        retries = Counter("http_retries_total", "Retries")
        Alert("Busy", "sum(rate(http_requests_total[5m])) > 100", ...)

    ## Use instead
        requests = Counter("http_requests_total", "Requests")
        retries = Counter("http_retries_total", "Retries")
        Alert("Busy", "sum(rate(http_requests_total[5m])) > 100", ...)
        Alert("Retrying", "sum(rate(http_retries_total[5m])) > 1", ...)
    """
    if not ctx.queries:
        return
    used, patterns = _used_names(ctx)
    reported: set[str] = set()
    for metric in _metrics(ctx):
        name = metric.name
        if name in used or name in reported or any(pattern.fullmatch(name) for pattern in patterns):
            continue
        reported.add(name)
        yield diagnostic(
            "M109",
            f"metric `{name}` is declared but no alert, record, panel or variable queries it",
            help="add a panel or alert that watches it, or remove the declaration",
            subject=metric,
            **_quoted(ctx, metric.location, name),
        )


_METRICS_VARIABLE_RE = re.compile(r"^\s*metrics\s*\(\s*(?P<regex>.*?)\s*\)\s*$", re.S)


def _used_names(ctx: CheckContext) -> tuple[set[str], list[re.Pattern[str]]]:
    """Names of declared metrics that some query selects, and the name patterns of regex selectors."""
    used: set[str] = set()
    patterns: list[re.Pattern[str]] = []
    declared = sorted({metric.name for metric in ctx.project.metrics})
    for query in ctx.queries:
        if query.parsed is None:
            # Q200 reports the query; whatever it names may be meant, so it counts as used
            used.update(names_in(query.text))
            continue
        for selector in selectors(query.parsed):
            if selector.name is None:
                patterns.extend(_pattern(m.value) for m in selector.matchers if m.label == "__name__" and m.op == "=~")
            elif PLACEHOLDER_PREFIX in selector.name:
                # `app_${kind}_total`: any metric the variable may stand for is used
                before = selector.name.partition(PLACEHOLDER_PREFIX)[0]
                patterns.append(_pattern(re.escape(before) + ".*"))
            else:
                metric = _declared_metric(ctx, selector.name)
                if metric is not None:
                    used.add(metric)
                elif ctx.catalog.resolve(selector.name) is None:
                    # Q210 reports `http_request_total` and suggests the declared name: one report is enough
                    base = _strip_suffix(selector.name)
                    used.add(nearest(base, declared) or nearest(selector.name, declared) or selector.name)
    for dashboard in ctx.project.dashboards:
        for variable in dashboard.variables:
            match = _METRICS_VARIABLE_RE.match(variable.definition) if variable.kind == "query" else None
            if match:
                # Grafana filters the names with an unanchored regex
                patterns.append(_pattern(".*(?:" + (match.group("regex").strip("\"'") or ".*") + ").*"))
    return used, patterns


def _declared_metric(ctx: CheckContext, name: str) -> str | None:
    """The declared metric whose series `name` is (itself, or its `_bucket`, `_sum` or `_count`)."""
    if name in ctx.catalog.metrics:
        return name
    base = _strip_suffix(name)
    return base if base != name and base in ctx.catalog.metrics else None


def _strip_suffix(name: str) -> str:
    for suffix in ("_bucket", "_sum", "_count"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def _pattern(regex: str) -> re.Pattern[str]:
    """A name pattern (matched whole, like PromQL's `=~`); one that does not compile in Python matches
    everything, so that nothing is called unused by mistake."""
    try:
        return re.compile(regex)
    except re.error:
        return re.compile(".*")


@check(code="M110", name="unit-not-in-name", severity=Severity.WARNING, needs_catalog=True, local=True)
def unit_not_in_name(ctx: CheckContext) -> Iterator[Diagnostic]:
    """A metric declares `unit=` but its name does not end in that unit (before a counter's `_total`).

    ## Why is this bad?
    OpenMetrics requires the unit as the name's suffix, and prometheus_client appends `_<unit>` to a name
    that lacks it: the service would expose `request_duration_seconds` while every query names
    `request_duration`.

    ## Example
        latency = Histogram("http_request_duration", "Request duration", unit="seconds")

    ## Use instead
        latency = Histogram("http_request_duration_seconds", "Request duration", unit="seconds")
    """
    for metric in _metrics(ctx):
        unit = (metric.unit or "").strip()
        if not _UNIT_WORD_RE.match(unit) or _non_base_word(unit, UNIT_VALUE_ABBREVIATIONS) is not None:
            continue  # no unit, or one that M104 reports: naming the metric after it would be wrong too
        total = isinstance(metric, Counter) and metric.name.endswith("_total")
        core = metric.name[: -len("_total")] if total else metric.name
        if core.endswith("_" + unit):
            continue
        expected = f"{core}_{unit}" + ("_total" if total else "")
        yield diagnostic(
            "M110",
            f"metric `{metric.name}` declares unit={unit!r} but its name does not end in `_{unit}`",
            help=f"name it `{expected}`, as the service will expose it",
            subject=metric,
            **_quoted(ctx, metric.location, metric.name),
        )


_UNIT_WORD_RE = re.compile(r"^[a-zA-Z][a-zA-Z0-9_]*$")


@check(code="M111", name="colon-in-metric-name", severity=Severity.WARNING, needs_catalog=True, local=True)
def colon_in_metric_name(ctx: CheckContext) -> Iterator[Diagnostic]:
    """A declared metric's name contains a colon.

    ## Why is this bad?
    Colons are reserved for recording rules (`level:metric:operations`): a reader, and the checks for
    undefined recording rules, take a name with a colon for one. Exporters and instrumentation should
    never use them.

    ## Example
        requests = Counter("api:http_requests_total", "Requests")

    ## Use instead
        requests = Counter("api_http_requests_total", "Requests")
    """
    for metric in _metrics(ctx):
        if ":" in metric.name:
            yield diagnostic(
                "M111",
                f"metric `{metric.name}` contains ':', which is reserved for recording rules",
                help=f"use underscores: `{metric.name.replace(':', '_')}`",
                subject=metric,
                **_quoted(ctx, metric.location, metric.name),
            )


# --- helpers shared by the naming checks --------------------------------------------------------------------


def _quoted(ctx: CheckContext, location: SourceLocation | None, text: str) -> Place:
    """Diagnostic fields pointing at the string literal `text` in the declaration (either quote style).

    A metric's name or label also appears bare in its help text or variable name; the quoted literal is the
    declaration itself.
    """
    for needle in (f'"{text}"', f"'{text}'"):
        fields = ctx.at(location, needle)
        found = fields["location"]
        if fields["span"] is not None and isinstance(found, SourceLocation):
            return {"location": attrs.evolve(found, column=found.column + 1), "span": text}
    return ctx.at(location, text)


def _metrics(ctx: CheckContext) -> list[Metric]:
    """Every declaration once (an object imported into several modules is one declaration)."""
    return list({id(metric): metric for metric in ctx.project.metrics}.values())
