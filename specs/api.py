"""API Performance: traffic, latency and errors per endpoint, and the alerts that guard the API.

Pick one or more endpoints with the `endpoint` variable; click a series or bar to drill down to that endpoint.
Panel queries use `$__rate_interval`; the alerts use fixed `[5m]` windows, independent of any dashboard.
"""

from catalog import errors, latency, request_size, requests, response_size

from monitoring_dsl import (
    Alert,
    BarGauge,
    Dashboard,
    DoesNotFire,
    Fires,
    Heatmap,
    Link,
    Row,
    RuleGroup,
    RuleTest,
    Table,
    Target,
    Threshold,
    TimeSeries,
    Variable,
)

# `endpoint` is a multi-value variable: Grafana expands it to a regex, so selectors need `=~`. The metric
# helpers write `=~` themselves for a value that holds a variable (`endpoint="$endpoint"`); hand-written
# selectors use EP.
EP = '{endpoint=~"$endpoint"}'
RUNBOOKS = "https://runbooks.example.com/api"

DRILL_DOWN = Link("Endpoint detail", dashboard="api-performance",
                  variables={"endpoint": "${__field.labels.endpoint}"})


api = Dashboard(
    "API Performance",
    uid="api-performance",
    description="Request volume, latency and errors of the HTTP API, per endpoint.",
    tags=["api", "http"],
    variables=[Variable.query("endpoint", f"label_values({requests.name}, endpoint)",
                              multi=True, include_all=True, label="Endpoint")],
    links=[Link("System Overview", dashboard="system-overview")],
    rows=[
        Row("Volume", [
            TimeSeries("Requests by endpoint",
                       Target(requests.rate(by=["endpoint"], endpoint="$endpoint"),
                              legend="{{endpoint}}"),
                       unit="reqps", stacking="normal", data_links=[DRILL_DOWN]),
            TimeSeries("Requests by status",
                       Target(requests.rate(by=["status"], endpoint="$endpoint"),
                              legend="{{status}}"),
                       unit="reqps", stacking="normal"),
            BarGauge("Most requested endpoints",
                     Target(f"topk(10, {requests.rate(by=['endpoint'], endpoint='$endpoint')})",
                            legend="{{endpoint}}", instant=True),
                     unit="reqps", data_links=[DRILL_DOWN]),
            TimeSeries("Payload sizes (mean)", [
                Target(request_size.mean(endpoint="$endpoint"), legend="request"),
                Target(response_size.mean(endpoint="$endpoint"), legend="response"),
            ], unit="bytes", min=0),
        ]),
        Row("Latency", [
            TimeSeries("p50 / p95 / p99 by endpoint", [
                Target(latency.quantile(0.5, by=["endpoint"], endpoint="$endpoint"),
                       legend="p50 {{endpoint}}"),
                Target(latency.quantile(0.95, by=["endpoint"], endpoint="$endpoint"),
                       legend="p95 {{endpoint}}"),
                Target(latency.quantile(0.99, by=["endpoint"], endpoint="$endpoint"),
                       legend="p99 {{endpoint}}"),
            ], unit="s", min=0, data_links=[DRILL_DOWN],
               thresholds=[Threshold("green"), Threshold("orange", 0.5), Threshold("red", 1)]),
            Heatmap("Latency distribution",
                    Target(f"sum by (le) (increase({latency.name}_bucket{EP}[$__rate_interval]))",
                           legend="{{le}}", format="heatmap"),
                    description="Requests per latency bucket for the selected endpoints.",
                    unit="s"),
            Table("Slowest endpoints (p95)",
                  Target("topk(10, " + latency.quantile(0.95, by=["endpoint"], window="$__range",
                                                        endpoint="$endpoint") + ")",
                         instant=True, format="table"),
                  description="The ten endpoints with the highest p95 latency over the time range.",
                  unit="s", sort_by="Value", data_links=[DRILL_DOWN],
                  thresholds=[Threshold("green"), Threshold("orange", 0.5), Threshold("red", 1)]),
        ]),
        Row("Errors", [
            TimeSeries("Errors by endpoint",
                       Target(errors.rate(by=["endpoint"], endpoint="$endpoint"),
                              legend="{{endpoint}}"),
                       unit="reqps", stacking="normal", data_links=[DRILL_DOWN]),
            TimeSeries("Error ratio by endpoint",
                       Target(f"{errors.rate(by=['endpoint'], endpoint='$endpoint')} / "
                              f"{requests.rate(by=['endpoint'], endpoint='$endpoint')}",
                              legend="{{endpoint}}"),
                       unit="percentunit", min=0, data_links=[DRILL_DOWN],
                       thresholds=[Threshold("green"), Threshold("orange", 0.01), Threshold("red", 0.05)]),
            TimeSeries("Errors by status code",
                       Target(errors.rate(by=["status"], endpoint="$endpoint"),
                              legend="{{status}}"),
                       unit="reqps", stacking="normal"),
        ]),
    ],
)

ERROR_RATIO_5M = f"{errors.rate(window='5m')} / {requests.rate(window='5m')}"

api_alerts = RuleGroup("api", [
    Alert("APIHighErrorRate", f"{ERROR_RATIO_5M} > 0.01",
          for_="5m", severity="warning", labels={"service": "api"},
          summary="API error rate above 1%",
          description="{{ $value | humanizePercentage }} of API requests failed over the last 5 minutes.",
          runbook_url=f"{RUNBOOKS}/high-error-rate"),
    Alert("APICriticalErrorRate", f"{ERROR_RATIO_5M} > 0.05",
          for_="2m", severity="critical", labels={"service": "api"},
          summary="API error rate above 5%",
          description="{{ $value | humanizePercentage }} of API requests failed over the last 5 minutes.",
          runbook_url=f"{RUNBOOKS}/high-error-rate"),
    Alert("APIHighLatencyP95", f"{latency.quantile(0.95, window='5m')} > 0.5",
          for_="5m", severity="warning", labels={"service": "api"},
          summary="API p95 latency above 500ms",
          description="95th percentile request duration is {{ $value | humanizeDuration }} "
                      "(threshold 500ms).",
          runbook_url=f"{RUNBOOKS}/high-latency"),
    Alert("APIHighLatencyP99", f"{latency.quantile(0.99, window='5m')} > 1",
          for_="5m", severity="critical", labels={"service": "api"},
          summary="API p99 latency above 1s",
          description="99th percentile request duration is {{ $value | humanizeDuration }} (threshold 1s).",
          runbook_url=f"{RUNBOOKS}/high-latency"),
])

# --- Tests of the alerts, run on Prometheus's engine by `monitoring-dsl test` ---------------------------------
# One sample a minute from time 0. `0+60x20` is a counter growing by 60 a minute: 1 request/s.

TRAFFIC = {
    'http_requests_total{method="GET", endpoint="/orders", status="200"}': "0+60x20",
}


def traffic_with_errors(per_minute: float) -> dict[str, str]:
    """One request per second to /orders, `per_minute` of them answered with a 500."""
    return {**TRAFFIC, 'http_errors_total{endpoint="/orders", status="500"}': f"0+{per_minute:g}x20"}


RuleTest("10% errors warn after 5m and page after 2m",
         series=traffic_with_errors(6),
         at="10m",
         alerts=[
             DoesNotFire("APIHighErrorRate", at="4m"),  # still pending: rates start at 1m, `for_` is 5m
             Fires("APIHighErrorRate", annotations={
                 "description": "10% of API requests failed over the last 5 minutes.",
             }),
             Fires("APICriticalErrorRate"),
         ])

RuleTest("2% errors warn but do not page",
         series=traffic_with_errors(1.2),
         at="10m",
         alerts=[Fires("APIHighErrorRate"), DoesNotFire("APICriticalErrorRate")])

RuleTest("0.5% errors stay quiet",
         series=traffic_with_errors(0.3),
         at="10m",
         alerts=[DoesNotFire("APIHighErrorRate"), DoesNotFire("APICriticalErrorRate")])


def latency_buckets(slowest: str) -> dict[str, str]:
    """One request per second to /orders, all of them in the bucket whose upper bound is `slowest`."""
    bounds = ["0.1", "0.5", "1.0", "2.5", "+Inf"]
    return {
        f'http_request_duration_seconds_bucket{{method="GET", endpoint="/orders", le="{le}"}}':
            "0+60x20" if bounds.index(le) >= bounds.index(slowest) else "0x20"
        for le in bounds
    }


RuleTest("requests between 0.5s and 1s fire the p95 alert only",
         series=latency_buckets("1.0"),
         at="10m",
         alerts=[
             Fires("APIHighLatencyP95", annotations={
                 "description": "95th percentile request duration is 975ms (threshold 500ms).",
             }),
             DoesNotFire("APIHighLatencyP99"),
         ])

RuleTest("requests between 1s and 2.5s fire both latency alerts",
         series=latency_buckets("2.5"),
         at="10m",
         alerts=[Fires("APIHighLatencyP95"), Fires("APIHighLatencyP99")])

RuleTest("requests under 100ms stay quiet",
         series=latency_buckets("0.1"),
         at="10m",
         alerts=[DoesNotFire("APIHighLatencyP95"), DoesNotFire("APIHighLatencyP99")])
