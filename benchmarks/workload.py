"""Generate the benchmark workload: a spec set the size of a large organisation's monitoring.

Workload L (DESIGN.md, "Performance budgets"): 1,000 metrics, 200 dashboards of 30 panels, 20,000 rules in
2,000 rule groups, spread over 50 service spec modules plus the shared `catalog.py` that declares every
metric. Workload S is the same shape at 1/20 of the size, for quick runs.

`--scale F` multiplies the number of service modules of a size by F, so every count but the one catalog
module scales with it: 0.1 x L is 5 services (100 metrics, 20 dashboards, 2,000 rules), 4 x L is 200
services (4,000 metrics, 800 dashboards, 80,000 rules). Past the fifty services of L, the same services come
again in further product lines (`ads_payments`, `travel_payments`, ...), as a company running several
businesses on one platform has them; every module, metric, rule and uid stays unique.

Every query names declared metrics (or recording rules of the workload) and only their declared labels, so
the spec set builds with no errors. Generation is deterministic: the same size and scale give the same bytes.

    python benchmarks/workload.py DIR [--size L|S] [--scale F]
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, replace
from pathlib import Path

# --- sizes --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Size:
    modules: int  # service spec modules (the catalog comes on top)
    metrics_per_module: int  # at most len(TEMPLATES)
    dashboards_per_module: int  # at most len(DASHBOARD_TOPICS)
    panels_per_dashboard: int
    panels_per_row: int
    groups_per_metric: int  # at most len(VARIANTS)
    rules_per_group: int = 10  # 2 records + 4 conditions x 2 severities; fixed by the templates below


SIZES = {
    # 50 x 20 = 1,000 metrics; 50 x 4 = 200 dashboards; 1,000 x 2 = 2,000 groups; 2,000 x 10 = 20,000 rules
    "L": Size(
        modules=50,
        metrics_per_module=20,
        dashboards_per_module=4,
        panels_per_dashboard=30,
        panels_per_row=6,
        groups_per_metric=2,
    ),
    # 1/20 of L: 50 metrics, 10 dashboards, 100 groups, 1,000 rules
    "S": Size(
        modules=5,
        metrics_per_module=10,
        dashboards_per_module=2,
        panels_per_dashboard=30,
        panels_per_row=6,
        groups_per_metric=2,
    ),
}


def scaled(size: str, scale: float = 1.0) -> Size:
    """Workload `size` with `scale` times its service modules; the product must be a whole number of them."""
    if size not in SIZES:
        raise ValueError(f"unknown workload size {size!r}; choose one of {', '.join(SIZES)}")
    base = SIZES[size]
    modules = round(base.modules * scale)
    if modules < 1 or abs(modules - base.modules * scale) > 1e-9:
        raise ValueError(f"scale {scale:g} of workload {size} is not a whole number of its {base.modules} services")
    if modules > len(SERVICES) * len(PRODUCT_LINES):
        limit = len(SERVICES) * len(PRODUCT_LINES) / base.modules
        raise ValueError(f"scale {scale:g} of workload {size} needs {modules} services; at most {limit:g} x {size}")
    return replace(base, modules=modules)


def label(size: str, scale: float = 1.0) -> str:
    """How reports name a workload: `L`, `0.1xL`, `4xL`."""
    return size if scale == 1 else f"{scale:g}x{size}"


# --- vocabulary ---------------------------------------------------------------------------------------------

# Fifty services. Module names must not shadow the standard library or an installed package.
SERVICES = (
    "payments",
    "checkout",
    "orders",
    "inventory",
    "shipping",
    "billing",
    "invoicing",
    "accounts",
    "authn",
    "sessions",
    "search",
    "recommendations",
    "reviews",
    "notifications",
    "mailer",
    "sms_gateway",
    "push_delivery",
    "media",
    "thumbnails",
    "transcoding",
    "uploads",
    "blobstore",
    "edge_cache",
    "pricing",
    "promotions",
    "coupons",
    "loyalty",
    "fraud",
    "risk_scoring",
    "ledger",
    "reporting",
    "analytics",
    "ingest",
    "etl",
    "scheduler",
    "workflows",
    "api_gateway",
    "graph_api",
    "realtime",
    "chat",
    "helpdesk",
    "tickets",
    "returns",
    "refunds",
    "warehouse",
    "fulfillment",
    "tax_engine",
    "fx_rates",
    "geo_lookup",
    "audit_log",
)

# Workloads past fifty services repeat them in further product lines, each a prefix of the service name:
# `ads_payments`, `travel_payments`, ... None is a word that starts a metric stem, so `ads_payments` metrics
# never collide with metrics of another service, and the longest dashboard uid (`grocery-recommendations-
# dependencies`) stays within Grafana's 40 characters.
PRODUCT_LINES = ("", "ads_", "travel_", "grocery_", "games_", "music_", "fleet_", "energy_")


def services(count: int) -> list[str]:
    """The first `count` services: the fifty of SERVICES, then the same in each further product line."""
    every = [line + service for line in PRODUCT_LINES for service in SERVICES]
    return every[:count]


# A label, a value that a regex matcher can select, and the unit its per-second rate is shown in.
LABEL_VALUES = {
    "method": "POST|PUT",
    "endpoint": "/v1/.*",
    "status": "5..",
    "reason": "timeout",
    "queue": "priority",
    "outcome": "failure",
    "pool": "primary",
    "cache": "shared",
    "operation": "write",
    "topic": "events",
    "partition": "0",
}

SECONDS_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
BYTES_BUCKETS = (100.0, 1_000.0, 10_000.0, 100_000.0, 1_000_000.0, 10_000_000.0)


@dataclass(frozen=True)
class Template:
    """One metric every service exposes, with what its dashboards and alerts need to know."""

    kind: str  # Counter, Gauge or Histogram
    stem: str  # the name after the service prefix
    help: str
    labels: tuple[str, ...]
    by: str  # the label dashboards and alerts break it down by
    unit: str | None = None  # base unit, for the declaration
    panel_unit: str = "short"  # Grafana unit of the metric's usual view
    threshold: float = 1.0  # alert threshold at warning severity (critical is twice as far)
    le: str = "1.0"  # the bucket an SLO-style histogram alert counts against


# Interleaved so that any prefix (workload S uses the first ten) mixes counters, gauges and histograms.
TEMPLATES = (
    Template(
        "Counter",
        "requests_total",
        "Requests handled, by method, endpoint and response status.",
        ("method", "endpoint", "status"),
        by="endpoint",
        panel_unit="reqps",
        threshold=500,
    ),
    Template(
        "Histogram",
        "request_duration_seconds",
        "Time spent handling a request, by method and endpoint.",
        ("method", "endpoint"),
        by="endpoint",
        unit="seconds",
        panel_unit="s",
        threshold=0.5,
    ),
    Template(
        "Gauge",
        "inflight_requests",
        "Requests being handled right now, by endpoint.",
        ("endpoint",),
        by="endpoint",
        threshold=100,
    ),
    Template(
        "Counter",
        "errors_total",
        "Requests that failed, by endpoint and failure reason.",
        ("endpoint", "reason"),
        by="endpoint",
        panel_unit="reqps",
        threshold=5,
    ),
    Template(
        "Histogram",
        "response_size_bytes",
        "Size of response bodies sent, by endpoint.",
        ("endpoint",),
        by="endpoint",
        unit="bytes",
        panel_unit="bytes",
        threshold=2_000_000,
        le="1e+06",
    ),
    Template("Gauge", "queue_depth", "Jobs waiting in each queue.", ("queue",), by="queue", threshold=1000),
    Template(
        "Counter",
        "jobs_processed_total",
        "Jobs taken off a queue and finished, by queue and outcome.",
        ("queue", "outcome"),
        by="queue",
        panel_unit="ops",
        threshold=200,
    ),
    Template(
        "Histogram",
        "job_duration_seconds",
        "Time from taking a job off its queue to finishing it.",
        ("queue",),
        by="queue",
        unit="seconds",
        panel_unit="s",
        threshold=30,
    ),
    Template(
        "Gauge",
        "workers_busy",
        "Workers of each pool that are busy with a job.",
        ("pool",),
        by="pool",
        threshold=48,
    ),
    Template(
        "Counter",
        "cache_requests_total",
        "Cache lookups, by cache and outcome (hit or miss).",
        ("cache", "outcome"),
        by="cache",
        panel_unit="ops",
        threshold=5000,
    ),
    Template("Gauge", "cache_entries", "Entries held in each cache.", ("cache",), by="cache", threshold=1_000_000),
    Template(
        "Counter",
        "db_queries_total",
        "Database queries run, by operation and outcome.",
        ("operation", "outcome"),
        by="operation",
        panel_unit="ops",
        threshold=2000,
    ),
    Template(
        "Histogram",
        "db_query_duration_seconds",
        "Time spent running a database query, by operation.",
        ("operation",),
        by="operation",
        unit="seconds",
        panel_unit="s",
        threshold=0.25,
    ),
    Template(
        "Gauge",
        "db_connections_in_use",
        "Database connections checked out of each pool.",
        ("pool",),
        by="pool",
        threshold=80,
    ),
    Template(
        "Counter",
        "retries_total",
        "Operations retried after a transient failure, by operation.",
        ("operation",),
        by="operation",
        panel_unit="ops",
        threshold=10,
    ),
    Template(
        "Gauge",
        "last_success_timestamp_seconds",
        "Unix time of the last successful run of each periodic operation.",
        ("operation",),
        by="operation",
        unit="seconds",
        panel_unit="dateTimeFromNow",
        threshold=3600,
    ),
    Template(
        "Counter",
        "messages_published_total",
        "Messages published, by topic.",
        ("topic",),
        by="topic",
        panel_unit="ops",
        threshold=1000,
    ),
    Template(
        "Histogram",
        "message_age_seconds",
        "Age of a message when a consumer received it, by topic.",
        ("topic",),
        by="topic",
        unit="seconds",
        panel_unit="s",
        threshold=60,
    ),
    Template(
        "Counter",
        "messages_consumed_total",
        "Messages consumed, by topic and outcome.",
        ("topic", "outcome"),
        by="topic",
        panel_unit="ops",
        threshold=1000,
    ),
    Template(
        "Gauge",
        "consumer_lag_messages",
        "Messages published but not yet consumed, by topic and partition.",
        ("topic", "partition"),
        by="topic",
        threshold=10_000,
    ),
)

DASHBOARD_TOPICS = ("Overview", "Traffic", "Dependencies", "Capacity")
ROW_TITLES = ("Golden signals", "Breakdown", "Saturation", "Trends", "Details", "More")


@dataclass(frozen=True)
class Variant:
    """One rule group per metric and variant: a short-window group and a long-window one."""

    key: str
    short: str  # window of the first recording rule
    window: str  # window of the second recording rule and of the alerts
    for_warning: str
    for_critical: str
    suffix: str  # appended to alert names
    interval: str | None


VARIANTS = (
    Variant("fast", "2m", "5m", "10m", "5m", "", None),
    Variant("slow", "30m", "1h", "1h", "30m", "Sustained", "1m"),
)

# --- helpers ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MetricRef:
    service: str
    template: Template

    @property
    def name(self) -> str:
        return f"{self.service}_{self.template.stem}"

    @property
    def var(self) -> str:
        """The Python variable that holds the declaration in catalog.py."""
        return self.name.removesuffix("_total")

    @property
    def base(self) -> str:
        """The name without `_total`, as recording rule names use it."""
        return self.name.removesuffix("_total")

    @property
    def camel(self) -> str:
        return "".join(part.capitalize() for part in self.name.removesuffix("_total").split("_"))

    @property
    def ratio_label(self) -> str:
        return self.template.labels[-1]

    @property
    def ratio_value(self) -> str:
        return LABEL_VALUES[self.ratio_label]


def _py(value: object) -> str:
    """A Python literal for `value`, as a person would write it."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return f"{value:.1f}"
    if isinstance(value, (tuple, list)):
        return "[" + ", ".join(_py(v) for v in value) + "]"
    return repr(value)


def _num(value: float) -> str:
    """A threshold as PromQL shows it: no trailing `.0`."""
    return f"{value:g}" if abs(value) < 1e6 else str(int(value))


def _metrics(size: Size) -> list[list[MetricRef]]:
    return [
        [MetricRef(service, template) for template in TEMPLATES[: size.metrics_per_module]]
        for service in services(size.modules)
    ]


# --- catalog.py ---------------------------------------------------------------------------------------------


def catalog_source(modules: list[list[MetricRef]]) -> str:
    lines = [
        '"""The shared metric catalog of the benchmark workload: every metric of every service, declared',
        "once. Service spec modules import metrics from here (`from catalog import payments_errors`) or",
        "name them in query strings. Generated by benchmarks/workload.py; do not edit.",
        '"""',
        "",
        "from monitoring_dsl import Counter, Gauge, Histogram",
        "",
        f"SECONDS_BUCKETS = {_py(SECONDS_BUCKETS)}",
        f"BYTES_BUCKETS = {_py(BYTES_BUCKETS)}",
    ]
    for metrics in modules:
        lines += ["", "", f"# --- {metrics[0].service} " + "-" * max(3, 100 - len(metrics[0].service)), ""]
        for metric in metrics:
            t = metric.template
            args = [repr(metric.name), repr(t.help), f"labels={_py(t.labels)}"]
            if t.unit:
                args.append(f"unit={t.unit!r}")
            if t.kind == "Histogram":
                args.append("buckets=" + ("BYTES_BUCKETS" if t.unit == "bytes" else "SECONDS_BUCKETS"))
            lines.append(f"{metric.var} = {t.kind}(")
            lines += [f"    {arg}," for arg in args]
            lines.append(")")
    return "\n".join(lines) + "\n"


# --- dashboards ---------------------------------------------------------------------------------------------


def _sel(metric: MetricRef, suffix: str = "", extra: str = "") -> str:
    """`name{endpoint=~"$endpoint"}` for metrics that carry the dashboard's `endpoint` variable."""
    matchers = []
    if "endpoint" in metric.template.labels:
        matchers.append('endpoint=~"$endpoint"')
    if extra:
        matchers.append(extra)
    return metric.name + suffix + ("{" + ", ".join(matchers) + "}" if matchers else "")


def _title(metric: MetricRef) -> str:
    return metric.template.stem.removesuffix("_total").replace("_", " ").capitalize()


def _call(callee: str, args: list[str], indent: int) -> str:
    """`callee(args)` on one line when it fits in 110 columns, else one argument per line."""
    one = f"{callee}({', '.join(args)}),"
    if indent + len(one) <= 110:
        return " " * indent + one
    inner = " " * (indent + 4)
    return "\n".join([" " * indent + f"{callee}(", *[f"{inner}{arg}," for arg in args], " " * indent + "),"])


def _target(expr: str, *options: str) -> str:
    return f"Target({', '.join([expr, *options])})"


def _panel(metric: MetricRef, view: int, imported: set[str]) -> tuple[str, list[str]]:
    """One panel as (panel class, argument sources): a view of `metric` chosen by `view` (0-5)."""
    t = metric.template
    by, unit, title = t.by, t.panel_unit, _title(metric)
    rate = "$__rate_interval"
    legend = f"legend={'{{' + by + '}}'!r}"
    if t.kind == "Counter":
        s = _sel(metric)
        label, value = metric.ratio_label, metric.ratio_value
        ratio_sel = _sel(metric, extra=f'{label}="{value}"')
        return [
            (
                "TimeSeries",
                [
                    repr(f"{title} by {by}"),
                    _target(repr(f"sum by ({by}) (rate({s}[{rate}]))"), legend),
                    f"unit={unit!r}",
                    "min=0",
                ],
            ),
            ("Stat", [repr(f"{title} now"), repr(f"sum(rate({s}[{rate}]))"), f"unit={unit!r}", "graph=True"]),
            (
                "BarGauge",
                [
                    repr(f"Top {by} by {title.lower()}"),
                    repr(f"topk(10, sum by ({by}) (increase({s}[$__range])))"),
                    "unit='short'",
                ],
            ),
            (
                "PieChart",
                [
                    repr(f"{title} by {label}"),
                    _target(repr(f"sum by ({label}) (increase({s}[$__range]))"), f"legend={'{{' + label + '}}'!r}"),
                    "pie_type='donut'",
                ],
            ),
            (
                "TimeSeries",
                [
                    repr(f"{title} share with {label} {value}"),
                    repr(f"sum(rate({ratio_sel}[{rate}])) / sum(rate({s}[{rate}]))"),
                    "unit='percentunit'",
                    "min=0",
                    "max=1",
                    "thresholds=[Threshold('green'), Threshold('orange', 0.05), Threshold('red', 0.2)]",
                ],
            ),
            (
                "Table",
                [
                    repr(f"{title} per {by}"),
                    _target(repr(f"sum by ({by}) (rate({s}[5m]))"), "instant=True", "format='table'"),
                    f"unit={unit!r}",
                    "sort_by='Value'",
                ],
            ),
        ][view]
    if t.kind == "Gauge":
        s = _sel(metric)
        current = f"sum by ({by}) ({s})"
        gauge = [f"max({s}) / {_num(t.threshold)}", "unit='percentunit'", "min=0", "max=1"]
        if t.stem.endswith("timestamp_seconds"):
            current = f"time() - max by ({by}) ({s})"
            unit = "s"
            # the age against the threshold, not the raw timestamp as a ratio (which D506 rightly flags)
            gauge = [f"time() - max({s})", "unit='s'", "min=0", f"max={_num(t.threshold)}"]
        return [
            ("TimeSeries", [repr(f"{title} by {by}"), _target(repr(current), legend), f"unit={unit!r}"]),
            (
                "Stat",
                [
                    repr(f"{title} max"),
                    repr(f"max({s})"),
                    f"unit={t.panel_unit!r}",
                    "graph=False",
                    "color_mode='background'",
                    f"thresholds=[Threshold('green'), Threshold('red', {_num(t.threshold)})]",
                ],
            ),
            (
                "GaugePanel",
                [
                    repr(f"{title} vs threshold"),
                    repr(gauge[0]),
                    *gauge[1:],
                ],
            ),
            (
                "TimeSeries",
                [
                    repr(f"{title} peak per interval"),
                    repr(f"max by ({by}) (max_over_time({s}[$__interval]))"),
                    f"unit={t.panel_unit!r}",
                    "draw_style='bars'",
                ],
            ),
            (
                "BarGauge",
                [
                    repr(f"Top {by} by {title.lower()}"),
                    repr(f"topk(5, max by ({by}) ({s}))"),
                    f"unit={t.panel_unit!r}",
                    "orientation='vertical'",
                ],
            ),
            (
                "Table",
                [
                    repr(f"{title} per {by}"),
                    _target(repr(current), "instant=True", "format='table'"),
                    f"unit={unit!r}",
                ],
            ),
        ][view]
    # Histogram: the helpers build the quantile and mean queries, as a spec author would use them.
    imported.add(metric.var)
    v = metric.var
    if "endpoint" in t.labels:
        m = ', endpoint="$endpoint"'
        s_bucket = _sel(metric, "_bucket")
    else:
        m = ""
        s_bucket = metric.name + "_bucket"
    return [
        (
            "TimeSeries",
            [
                repr(f"p95 {title.lower()} by {by}"),
                _target(f"{v}.quantile(0.95, by=[{by!r}]{m})", legend),
                f"unit={unit!r}",
                "min=0",
            ],
        ),
        (
            "Heatmap",
            [
                repr(f"{title} distribution"),
                _target(repr(f"sum by (le) (rate({s_bucket}[{rate}]))"), "format='heatmap'", "legend='{{le}}'"),
                f"unit={unit!r}",
            ],
        ),
        (
            "TimeSeries",
            [
                repr(f"Mean {title.lower()} by {by}"),
                _target(f"{v}.mean(by=[{by!r}]{m})", legend),
                f"unit={unit!r}",
                "min=0",
            ],
        ),
        (
            "Stat",
            [
                repr(f"p99 {title.lower()}"),
                f"{v}.quantile(0.99{m})",
                f"unit={unit!r}",
                f"thresholds=[Threshold('green'), Threshold('red', {_num(t.threshold)})]",
            ],
        ),
        (
            "TimeSeries",
            [
                repr(f"{title} quantiles"),
                "["
                + ", ".join(_target(f"{v}.quantile({q}{m})", f"legend='p{int(q * 100)}'") for q in (0.5, 0.9, 0.99))
                + "]",
                f"unit={unit!r}",
                "min=0",
                "legend_calcs=['mean', 'max']",
            ],
        ),
        (
            "Table",
            [
                repr(f"p95 {title.lower()} per {by}"),
                _target(f"{v}.quantile(0.95, by=[{by!r}], window='5m')", "instant=True", "format='table'"),
                f"unit={unit!r}",
            ],
        ),
    ][view]


def _uid(service: str, topic: str) -> str:
    return f"{service.replace('_', '-')}-{topic.lower()}"


def dashboards_source(metrics: list[MetricRef], size: Size, imported: set[str]) -> tuple[list[str], int]:
    """Module-level `Dashboard(...)` assignments and the number of panels in them."""
    service = metrics[0].service
    topics = DASHBOARD_TOPICS[: size.dashboards_per_module]
    requests = metrics[0]  # every service's first metric is its requests counter, which has `endpoint`
    lines: list[str] = []
    panels = 0
    for d, topic in enumerate(topics):
        rows: list[list[str]] = []
        for p in range(size.panels_per_dashboard):
            index = d * size.panels_per_dashboard + p
            metric = metrics[(index * 7 + d) % len(metrics)]
            view = (index + index // len(metrics)) % 6
            if p % size.panels_per_row == 0:
                rows.append([])
            callee, args = _panel(metric, view, imported)
            rows[-1].append(_call(callee, args, 12))
            panels += 1
        others = [other for other in topics if other != topic]
        links = ", ".join(f"Link({other!r}, dashboard={_uid(service, other)!r})" for other in others)
        title = f"{service.replace('_', ' ').title()} {topic}"
        lines += [
            "",
            f"{service}_{topic.lower()} = Dashboard(",
            f"    {title!r},",
            f"    uid={_uid(service, topic)!r},",
            f"    description={f'{topic} of the {service} service. Generated for the benchmark.'!r},",
            f"    tags=[{service!r}, {topic.lower()!r}, 'benchmark'],",
            f"    links=[{links}],",
            "    variables=[",
            f"        Variable.query('endpoint', {f'label_values({requests.name}, endpoint)'!r}, "
            "multi=True, include_all=True),",
            "    ],",
            "    rows=[",
        ]
        for r, row in enumerate(rows):
            lines.append(f"        Row({ROW_TITLES[r % len(ROW_TITLES)]!r}, [")
            lines += row
            lines.append("        ]),")
        lines += ["    ],", ")"]
    return lines, panels


# --- rules --------------------------------------------------------------------------------------------------


VALUE = "{{ $value | humanize }}"


def _alert(name: str, expr: str, for_: str, severity: str, summary: str, description: str, service: str) -> str:
    return (
        f"        Alert({name!r}, {expr!r},\n"
        f"              for_={for_!r}, severity={severity!r}, labels={{'team': {service!r}}},\n"
        f"              summary={summary!r},\n"
        f"              description={description!r},\n"
        f"              runbook_url={f'https://runbooks.example.com/{service}/{name}'!r}),"
    )


Condition = tuple[str, str, str, bool]  # alert name, expr at warning, expr at critical, keeps the `by` label


def _conditions(metric: MetricRef, variant: Variant) -> tuple[list[tuple[str, str]], list[Condition]]:
    """The group's recording rules [(name, expr)] and its alert conditions."""
    t, n, by, w, short = metric.template, metric.name, metric.template.by, variant.window, variant.short
    x = variant.suffix
    warn, crit = _num(t.threshold), _num(t.threshold * 2)
    if t.kind == "Counter":
        rec = [(f"{by}:{metric.base}:rate{window}", f"sum by ({by}) (rate({n}[{window}]))") for window in (short, w)]
        ratio = f'{metric.ratio_label}="{metric.ratio_value}"'
        conditions = [
            (f"{metric.camel}High{x}", f"{rec[1][0]} > {warn}", f"{rec[1][0]} > {crit}", True),
            (
                f"{metric.camel}Stopped{x}",
                f"sum(rate({n}[{w}])) == 0",
                f"sum(rate({n}[{w}])) == 0 and sum(rate({n}[{w}] offset 1d)) > 0",
                False,
            ),
            (
                f"{metric.camel}Spike{x}",
                f"{rec[0][0]} > 3 * {rec[1][0]}",
                f"{rec[0][0]} > 6 * {rec[1][0]}",
                True,
            ),
        ]
        ratio_expr = f"sum by ({by}) (rate({n}{{{ratio}}}[{w}]))\n  / sum by ({by}) (rate({n}[{w}]))"
        conditions.append((f"{metric.camel}RatioHigh{x}", f"{ratio_expr}\n> 0.05", f"{ratio_expr}\n> 0.2", True))
    elif t.kind == "Histogram":
        rec = [
            (f"{by}:{n}_bucket:rate{window}", f"sum by (le, {by}) (rate({n}_bucket[{window}]))")
            for window in (short, w)
        ]
        mean = f"sum by ({by}) (rate({n}_sum[{w}])) / sum by ({by}) (rate({n}_count[{w}]))"
        slow = (
            f'1 - (\n  sum by ({by}) (rate({n}_bucket{{le="{t.le}"}}[{w}]))\n'
            f"  / sum by ({by}) (rate({n}_count[{w}]))\n)"
        )
        conditions = [
            (
                f"{metric.camel}P99High{x}",
                f"histogram_quantile(0.99, {rec[1][0]}) > {warn}",
                f"histogram_quantile(0.99, {rec[1][0]}) > {crit}",
                True,
            ),
            (
                f"{metric.camel}P50High{x}",
                f"histogram_quantile(0.5, {rec[0][0]}) > {_num(t.threshold / 4)}",
                f"histogram_quantile(0.5, {rec[0][0]}) > {_num(t.threshold / 2)}",
                True,
            ),
            (f"{metric.camel}MeanHigh{x}", f"{mean} > {_num(t.threshold / 2)}", f"{mean} > {warn}", True),
            (f"{metric.camel}SlowShareHigh{x}", f"{slow} > 0.05", f"{slow} > 0.2", True),
        ]
    else:
        rec = [
            (f"{by}:{n}:avg_over_time{short}", f"avg by ({by}) (avg_over_time({n}[{short}]))"),
            (f"{by}:{n}:max_over_time{w}", f"max by ({by}) (max_over_time({n}[{w}]))"),
        ]
        if t.stem.endswith("timestamp_seconds"):
            high = [f"time() - {rec[1][0]} > {value}" for value in (warn, crit)]
        else:
            high = [f"{rec[1][0]} > {value}" for value in (warn, crit)]
        conditions = [
            (f"{metric.camel}High{x}", high[0], high[1], True),
            (
                f"{metric.camel}Growing{x}",
                f"sum by ({by}) (deriv({n}[{w}])) > 0",
                f"sum by ({by}) (deriv({n}[{w}])) > {_num(t.threshold / 100)}",
                True,
            ),
            (f"{metric.camel}Absent{x}", f"absent({n})", f"absent_over_time({n}[{w}])", False),
            (
                f"{metric.camel}Flat{x}",
                f"max by ({by}) (changes({n}[{w}])) == 0",
                f"max by ({by}) (changes({n}[{w}])) == 0 and max by ({by}) ({n}) > 0",
                True,
            ),
        ]
    return rec, conditions


def rules_source(metrics: list[MetricRef], size: Size) -> tuple[list[str], dict[str, int]]:
    service = metrics[0].service
    lines: list[str] = []
    counts = {"rule_groups": 0, "alerts": 0, "records": 0}
    for metric in metrics:
        for variant in VARIANTS[: size.groups_per_metric]:
            records, conditions = _conditions(metric, variant)
            group = f"{service}.{metric.template.stem}.{variant.key}"
            interval = f", interval={variant.interval!r}" if variant.interval else ""
            lines += ["", f"{service}_{metric.template.stem}_{variant.key} = RuleGroup({group!r}, ["]
            for name, expr in records:
                lines.append(f"        Record({name!r}, {expr!r}),")
            for name, warning, critical, keeps_by in conditions:
                subject = _title(metric).lower()
                where = f"{{{{ $labels.{metric.template.by} }}}}" if keeps_by else service
                for severity, expr, for_ in (
                    ("warning", warning, variant.for_warning),
                    ("critical", critical, variant.for_critical),
                ):
                    lines.append(
                        _alert(
                            name,
                            expr,
                            for_,
                            severity,
                            summary=f"{service}: {subject} condition {name} on {where}",
                            description=f"{name} ({severity}) on {where}: value is {VALUE}.",
                            service=service,
                        )
                    )
            lines.append(f"]{interval})")
            counts["rule_groups"] += 1
            counts["records"] += len(records)
            counts["alerts"] += 2 * len(conditions)
    return lines, counts


# --- service modules ----------------------------------------------------------------------------------------


def service_source(metrics: list[MetricRef], size: Size) -> tuple[str, dict[str, int]]:
    service = metrics[0].service
    imported: set[str] = set()
    dashboard_lines, panels = dashboards_source(metrics, size, imported)
    rule_lines, counts = rules_source(metrics, size)
    header = [
        f'"""The {service} service: its dashboards, alerts and recording rules.',
        "",
        "Generated by benchmarks/workload.py; do not edit.",
        '"""',
        "",
    ]
    if imported:
        names = sorted(imported)
        header += ["from catalog import (", *[f"    {name}," for name in names], ")", ""]
    header += [
        "from monitoring_dsl import (",
        "    Alert,",
        "    BarGauge,",
        "    Dashboard,",
        "    GaugePanel,",
        "    Heatmap,",
        "    Link,",
        "    PieChart,",
        "    Record,",
        "    Row,",
        "    RuleGroup,",
        "    Stat,",
        "    Table,",
        "    Target,",
        "    Threshold,",
        "    TimeSeries,",
        "    Variable,",
        ")",
        "",
        "# --- dashboards " + "-" * 94,
    ]
    body = [*header, *dashboard_lines, "", "", "# --- rules " + "-" * 99, *rule_lines]
    counts = {"dashboards": size.dashboards_per_module, "panels": panels, **counts}
    return "\n".join(body) + "\n", counts


def generate(directory: Path, size: str = "L", scale: float = 1.0) -> dict[str, int | str]:
    """Write workload `size` ("L" or "S") times `scale` into `directory` (created if missing) and return its
    counts."""
    spec = scaled(size, scale)
    clash = [s for s in services(spec.modules) if s in sys.stdlib_module_names]
    assert not clash, f"service names shadow standard modules: {clash}"
    directory.mkdir(parents=True, exist_ok=True)
    modules = _metrics(spec)
    files = {"catalog.py": catalog_source(modules)}
    totals: dict[str, int | str] = {
        "size": label(size, scale),
        "spec_modules": 0,
        "metrics": sum(len(m) for m in modules),
        "dashboards": 0,
        "panels": 0,
        "rule_groups": 0,
        "alerts": 0,
        "records": 0,
    }
    for metrics in modules:
        source, counts = service_source(metrics, spec)
        files[f"{metrics[0].service}.py"] = source
        for key, value in counts.items():
            totals[key] = int(totals[key]) + value
    totals["spec_modules"] = len(files)
    totals["rules"] = int(totals["alerts"]) + int(totals["records"])
    total_bytes = 0
    for name, text in files.items():
        data = text.encode()
        (directory / name).write_bytes(data)
        total_bytes += len(data)
    totals["bytes"] = total_bytes
    return totals


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("directory", type=Path, help="where to write the spec modules")
    parser.add_argument("--size", choices=sorted(SIZES), default="L", help="workload size (default: L)")
    parser.add_argument(
        "--scale", type=float, default=1.0, help="multiply the size's service modules by this (default: 1)"
    )
    args = parser.parse_args(argv)
    try:
        counts = generate(args.directory, args.size, args.scale)
    except ValueError as error:
        parser.error(str(error))
    print(json.dumps(counts, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
