"""The seed service's objectives: latency at p50, p95 and p99, the error rate and availability, over 30 days.

Each SLO compiles to error-ratio recording rules, a page and a ticket (multi-window burn-rate alerts), the
`SLOs: api` dashboard and promtool tests in build/prometheus/tests/slo-api.test.yml. A latency objective
"p95 under 100 ms" is "95% of requests faster than 0.1 s": it needs a bucket boundary at 0.1 (catalog.py).
"""

from catalog import latency, requests

from monitoring_dsl import SLO

RUNBOOK = "https://runbooks.example.com/api/slo"

p50_latency = SLO(
    "api", "latency-p50", objective=50, indicator=SLO.latency(latency, threshold=0.05),
    description="Half of all requests are served within 50 ms.", runbook_url=RUNBOOK,
    allow={"S645": "a median objective can only open tickets: a page would need over 100% slow requests"},
)
p95_latency = SLO(
    "api", "latency-p95", objective=95, indicator=SLO.latency(latency, threshold=0.1),
    description="95% of requests are served within 100 ms.", runbook_url=RUNBOOK,
)
p99_latency = SLO(
    "api", "latency-p99", objective=99, indicator=SLO.latency(latency, threshold=0.2),
    description="99% of requests are served within 200 ms.", runbook_url=RUNBOOK,
)
errors = SLO(
    "api", "errors", objective=99.9,
    indicator=SLO.ratio(errors=requests.selector(status="5.."), total=requests),
    description="Fewer than 0.1% of requests fail with a server error.", runbook_url=RUNBOOK,
)
availability = SLO(
    "api", "availability", objective=99.9, indicator=SLO.availability(job="api"),
    description="The API's scrape targets are up 99.9% of the time.", runbook_url=RUNBOOK,
)
