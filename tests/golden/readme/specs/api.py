# specs/api.py
from monitoring_dsl import Alert, Dashboard, Link, Row, RuleGroup, Stat, Target, TimeSeries, Variable
from catalog import latency, requests

api = Dashboard(
    "API Performance",
    uid="api-performance",
    variables=[Variable.query("endpoint", "label_values(http_requests_total, endpoint)", multi=True)],
    rows=[
        Row("Traffic", [
            Stat("Requests/s", requests.rate(), unit="reqps"),
            TimeSeries("Requests by endpoint",
                       Target('sum by (endpoint) (rate(http_requests_total{endpoint=~"$endpoint"}[$__rate_interval]))',
                              legend="{{endpoint}}"),
                       unit="reqps",
                       data_links=[Link("Only this endpoint", dashboard="api-performance",
                                        variables={"endpoint": "${__field.labels.endpoint}"})]),
            TimeSeries("p95 latency", latency.quantile(0.95, by=["endpoint"]), unit="s"),
        ]),
    ],
)

alerts = RuleGroup("api", [
    Alert("HighErrorRate",
          'sum(rate(http_requests_total{status=~"5.."}[5m])) / sum(rate(http_requests_total[5m])) > 0.01',
          for_="5m", severity="warning",
          summary="API error rate above 1%",
          description="Error rate is {{ $value | humanizePercentage }}",
          runbook_url="https://runbooks.example.com/api-errors"),
])
