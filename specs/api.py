"""API Performance: traffic, latency and errors per endpoint, and the alerts that guard the API.

Pick one or more endpoints with the `endpoint` variable; click a series or bar to drill down to that endpoint.
Panel queries use `$__rate_interval`; the alerts use fixed `[5m]` windows, independent of any dashboard.
"""

from catalog import errors, latency, request_size, requests, response_size

from monitoring_dsl import (
    Alert,
    BarGauge,
    Dashboard,
    Heatmap,
    Link,
    Row,
    RuleGroup,
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
