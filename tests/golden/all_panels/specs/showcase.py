"""Every panel type, variable kind, threshold and link the vocabulary offers, on one dashboard."""

from monitoring_dsl import (
    BarGauge,
    Counter,
    Dashboard,
    Gauge,
    GaugePanel,
    Heatmap,
    Histogram,
    Link,
    PieChart,
    Row,
    Stat,
    Table,
    Target,
    Text,
    Threshold,
    TimeSeries,
    Variable,
)

requests = Counter("shop_requests_total", "Requests served", labels=["endpoint", "status"])
latency = Histogram(
    "shop_request_duration_seconds",
    "Request duration",
    labels=["endpoint"],
    buckets=[0.05, 0.1, 0.5, 1],
    unit="seconds",
)
in_use = Gauge("shop_pool_connections_in_use", "Connections in use")
size = Gauge("shop_pool_connections_max", "Connections the pool may open")

showcase = Dashboard(
    "Shop Showcase",
    uid="shop-showcase",
    description="All panel types",
    tags=["shop", "golden"],
    variables=[
        Variable.query(
            "endpoint", "label_values(shop_requests_total, endpoint)", multi=True, include_all=True, label="Endpoint"
        ),
        Variable.custom("quantile", ["0.5", "0.95", "0.99"], default="0.95"),
        Variable.interval("window", ["1m", "5m", "1h"]),
    ],
    links=[
        Link("Runbook", url="https://runbooks.example.com/shop"),
        Link("Shop detail", dashboard="shop-showcase", variables={"endpoint": "checkout"}),
    ],
    rows=[
        Row(
            "Now",
            [
                Stat("Up", "min(up)", unit="none", thresholds=[Threshold("red"), Threshold("green", 1)]),
                Stat("Requests/s", requests.rate(), unit="reqps", graph=False),
                GaugePanel(
                    "Pool usage",
                    "sum(shop_pool_connections_in_use) / sum(shop_pool_connections_max)",
                    unit="percentunit",
                    min=0,
                    max=1,
                    thresholds=[Threshold("green"), Threshold("orange", 0.8), Threshold("red", 0.9)],
                ),
                BarGauge(
                    "Top endpoints",
                    Target(
                        "topk(5, sum by (endpoint) (rate(shop_requests_total[$window])))",
                        legend="{{endpoint}}",
                        instant=True,
                    ),
                    unit="reqps",
                ),
            ],
        ),
        Row(
            "Latency",
            [
                TimeSeries(
                    "p$quantile by endpoint",
                    Target(
                        latency.quantile(0.95, by=["endpoint"], endpoint="$endpoint").replace("0.95", "$quantile"),
                        legend="{{endpoint}}",
                    ),
                    unit="s",
                    legend_calcs=["mean", "max"],
                    legend="table",
                    data_links=[
                        Link(
                            "Endpoint", dashboard="shop-showcase", variables={"endpoint": "${__field.labels.endpoint}"}
                        )
                    ],
                ),
                Heatmap(
                    "Latency buckets",
                    Target(
                        'sum by (le) (increase(shop_request_duration_seconds_bucket{endpoint=~"$endpoint"}[$__interval]))',
                        legend="{{le}}",
                        format="heatmap",
                    ),
                    unit="s",
                ),
                Table(
                    "Slowest endpoints",
                    Target(
                        "topk(10, histogram_quantile(0.95, sum by (le, endpoint) (rate(shop_request_duration_seconds_bucket[5m]))))",
                        instant=True,
                        format="table",
                    ),
                    unit="s",
                    sort_by="Value",
                ),
                PieChart(
                    "Responses by status",
                    "sum by (status) (increase(shop_requests_total[$__range]))",
                    unit="short",
                    pie_type="donut",
                ),
            ],
        ),
        Row(
            "Notes",
            [
                Text("About", content="Owned by **shop**.", grid_pos=(0, 0, 8, 3)),
                TimeSeries(
                    "Stacked errors",
                    [
                        'sum by (status) (rate(shop_requests_total{status=~"5.."}[$__rate_interval]))',
                        Target("sum(rate(shop_requests_total[$__rate_interval]))", legend="all", hide=True),
                    ],
                    unit="reqps",
                    stacking="normal",
                    width=16,
                ),
            ],
            collapsed=True,
        ),
    ],
)
