"""Every panel option beyond the basics, on one dashboard: overrides, value mappings, transformations, repeat,
time shift, no-value text, log axes, threshold styles, every variable kind, link options, annotations, extra=."""

from monitoring_dsl import (
    Alert,
    Annotation,
    Counter,
    Dashboard,
    Gauge,
    Histogram,
    Link,
    Override,
    Row,
    RuleGroup,
    Stat,
    Table,
    Target,
    Threshold,
    TimeSeries,
    Transformation,
    ValueMapping,
    Variable,
)

requests = Counter("store_requests_total", "Requests served", labels=["endpoint", "status"])
latency = Histogram("store_request_duration_seconds", "Request duration", labels=["endpoint"], buckets=[0.1, 0.5, 1])
queue = Gauge("store_queue_depth", "Items waiting", labels=["queue"])
build = Gauge("store_build_info", "Build of the running service, always 1", labels=["version"])

store_alerts = RuleGroup(
    "store",
    [
        Alert(
            "StoreErrors",
            'sum(rate(store_requests_total{status=~"5.."}[5m])) / sum(rate(store_requests_total[5m])) > 0.05',
            for_="5m",
            severity="critical",
            summary="Store error rate above 5%",
            runbook_url="https://runbooks.example.com/store",
        ),
        Alert(
            "StoreQueueBacklog",
            "sum(store_queue_depth) > 100",
            for_="10m",
            severity="warning",
            summary="Store queue backlog",
            runbook_url="https://runbooks.example.com/store",
        ),
    ],
)

P95 = 'histogram_quantile(0.95, sum by (le, endpoint) (rate(store_request_duration_seconds_bucket{endpoint=~"$endpoint"}[$__rate_interval])))'
ERRORS = (
    'sum by (endpoint) (rate(store_requests_total{status=~"5..", endpoint=~"$endpoint"}[$__rate_interval])) '
    '/ sum by (endpoint) (rate(store_requests_total{endpoint=~"$endpoint"}[$__rate_interval]))'
)

options = Dashboard(
    "Store Options",
    uid="store-options",
    description="Every panel option",
    tags=["golden"],
    variables=[
        Variable.query(
            "endpoint", "label_values(store_requests_total, endpoint)", multi=True, include_all=True, all_value=".*"
        ),
        Variable.constant("job", "store"),
        Variable.textbox("queue", "orders"),
        Variable.adhoc("filters"),
    ],
    links=[
        Link("Same view elsewhere", dashboard="store-options", include_vars=True),
        Link("Runbooks", url="https://runbooks.example.com/store", keep_time=False, new_tab=True),
    ],
    annotations=[
        Annotation.alerts(store_alerts),
        Annotation(
            "Deploys",
            "changes(store_build_info[$__interval]) > 0",
            title="deploy {{version}}",
            tags=["version"],
            color="purple",
        ),
    ],
    extra={"fiscalYearStartMonth": 3, "weekStart": "monday"},
    rows=[
        Row(
            "Status",
            [
                Stat(
                    "Up",
                    'min(up{job="$job"})',
                    unit="none",
                    no_value="no scrape",
                    mappings=[
                        ValueMapping.value(1, "up", color="green"),
                        ValueMapping.value(0, "down", color="red"),
                        ValueMapping.range(2, None, "many", color="blue"),
                        ValueMapping.special("null", "unknown"),
                    ],
                ),
                Stat(
                    "Queue $queue",
                    'sum(store_queue_depth{queue="$queue"})',
                    unit="short",
                    height=6,
                    mappings=[ValueMapping.regex("^0$", "empty")],
                    thresholds=[Threshold("green"), Threshold("orange", 50), Threshold("red", 100)],
                ),
                TimeSeries(
                    "Requests by endpoint, vs a week ago",
                    Target(
                        'sum by (endpoint) (rate(store_requests_total{endpoint=~"$endpoint"}[$__rate_interval]))',
                        legend="{{endpoint}}",
                    ),
                    unit="reqps",
                    time_shift="7d",
                    links=[Link("Logs", url="https://logs.example.com/?q=store", include_vars=True)],
                    time_from="24h",
                    data_links=[
                        Link(
                            "This endpoint",
                            dashboard="store-options",
                            variables={"endpoint": "${__field.labels.endpoint}"},
                        )
                    ],
                    extra={"options": {"tooltip": {"sort": "desc"}}},
                ),
            ],
        ),
        Row(
            "Latency",
            [
                TimeSeries(
                    "p95 of $endpoint",
                    Target(P95, legend="{{endpoint}}"),
                    unit="s",
                    log_base=10,
                    repeat="endpoint",
                    repeat_direction="h",
                    max_per_row=3,
                    thresholds=[Threshold("green"), Threshold("red", 1)],
                    threshold_style="line+area",
                    links=[Link("All endpoints", dashboard="store-options", variables={"endpoint": "$endpoint"})],
                ),
                TimeSeries(
                    "Errors and latency",
                    [
                        Target(ERRORS, legend="errors {{endpoint}}"),
                        Target(P95, legend="p95 {{endpoint}}"),
                    ],
                    unit="percentunit",
                    overrides=[
                        Override(
                            "B",
                            by="query",
                            unit="s",
                            axis_placement="right",
                            display_name="p95",
                            thresholds=[Threshold("green"), Threshold("red", 1)],
                        ),
                        Override("errors .*", by="regex", color="red", decimals=2, min=0, max=1),
                        Override("number", by="type", no_value="-", mappings=[ValueMapping.special("nan", "n/a")]),
                        Override("p95 checkout", hidden=True),
                    ],
                ),
            ],
        ),
        Row(
            "Tables",
            [
                Table(
                    "Endpoints",
                    [
                        Target(P95, instant=True, format="table", ref_id="A"),
                        Target(ERRORS, instant=True, format="table", ref_id="B"),
                    ],
                    unit="s",
                    sort_by="Value #A",
                    overrides=[Override("Value #B", unit="percentunit", width=120)],
                    data_links=[
                        Link(
                            "Endpoint", dashboard="store-options", variables={"endpoint": "${__field.labels.endpoint}"}
                        )
                    ],
                ),
                Table(
                    "Endpoints, organised",
                    [
                        Target(P95, instant=True, format="table", ref_id="A"),
                        Target(ERRORS, instant=True, format="table", ref_id="B"),
                    ],
                    unit="s",
                    sort_by="p95",
                    transformations=[
                        Transformation.merge(),
                        Transformation.organize(
                            rename={"Value #A": "p95", "Value #B": "errors"},
                            exclude=["Time"],
                            order=["endpoint", "p95", "errors"],
                        ),
                        Transformation.filter(include=["endpoint", "p95", "errors"]),
                    ],
                    overrides=[Override("errors", unit="percentunit")],
                ),
                TimeSeries(
                    "Joined by time",
                    [
                        Target("sum(rate(store_requests_total[$__rate_interval]))", legend="requests"),
                        Target("sum(store_queue_depth)", legend="queued"),
                    ],
                    library_panel="store-joined",
                    unit="short",
                    transformations=[
                        Transformation.join("Time", mode="outer"),
                        Transformation.filter(pattern="^(Time|requests)$"),
                    ],
                ),
            ],
        ),
    ],
)
