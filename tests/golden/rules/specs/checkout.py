"""Rule groups with intervals and limits, loose rules in the module's own group, multi-line expressions."""

from monitoring_dsl import Alert, Counter, Histogram, Record, RuleGroup

orders = Counter("checkout_orders_total", "Orders placed", labels=["outcome", "region"])
duration = Histogram("checkout_duration_seconds", "Checkout duration", labels=["region"])

recorded = RuleGroup(
    "checkout-recording",
    [
        Record("region:checkout_orders:rate5m", "sum by (region) (rate(checkout_orders_total[5m]))"),
        Record(
            "region:checkout_orders_failed:ratio_rate5m",
            """
        sum by (region) (rate(checkout_orders_total{outcome="failure"}[5m]))
          /
        sum by (region) (rate(checkout_orders_total[5m]))
    """,
            labels={"team": "checkout"},
        ),
    ],
    interval="30s",
)

alerts = RuleGroup(
    "checkout-alerts",
    [
        Alert(
            "CheckoutFailing",
            "region:checkout_orders_failed:ratio_rate5m > 0.05",
            for_="10m",
            severity="critical",
            summary="Checkout failing in {{ $labels.region }}",
            description="{{ $value | humanizePercentage }} of orders fail in {{ $labels.region }}.",
            runbook_url="https://runbooks.example.com/checkout-failing",
            labels={"team": "checkout", "page": "true"},
            annotations={"dashboard": "https://grafana.example.com/d/checkout"},
        ),
    ],
    limit=100,
)

slow = Alert(
    "CheckoutSlow",
    "histogram_quantile(0.99, sum by (le, region) (rate(checkout_duration_seconds_bucket[5m]))) > 2",
    for_="15m",
    severity="warning",
    summary="Checkout p99 above 2s in {{ $labels.region }}",
)
idle = Alert(
    "CheckoutIdle",
    "sum(region:checkout_orders:rate5m) == 0",
    for_="30m",
    severity="warning",
    summary="No orders for 30 minutes",
)
