from monitoring_dsl import Alert, Dashboard, Row, RuleGroup, Target, TimeSeries, Variable

api = Dashboard(
    "API Performance",
    uid="api-performance",
    variables=[Variable.query("endpoint", "label_values(http_requests_total, endpoint)", multi=True)],
    rows=[
        Row(
            "Traffic",
            [
                TimeSeries(
                    "Requests by endpoint",
                    Target(
                        'sum by (endpoint) (rate(http_requests_total{endpoint=~"$endpoint"}[$__rate_interval]))',
                        legend="{{endpoint}}",
                    ),
                    unit="reqps",
                ),
                TimeSeries(
                    "p95 latency",
                    "histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket[$__rate_interval])))",
                    unit="s",
                ),
            ],
        ),
    ],
)

api_alerts = RuleGroup(
    "api",
    [
        Alert(
            "HighErrorRate",
            'sum(rate(http_requests_total{status=~"5.."}[5m])) / sum(rate(http_requests_total[5m])) > 0.01',
            for_="5m",
            severity="warning",
            summary="API error rate above 1%",
            description="Error rate is {{ $value | humanizePercentage }}",
        ),
    ],
)
