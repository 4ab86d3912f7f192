from catalog import latency, requests

from monitoring_dsl import SLO

RUNBOOK = "https://runbooks.example.com/checkout"

errors = SLO("checkout", "errors", objective=99.95, runbook_url=RUNBOOK, labels={"team": "payments"},
             indicator=SLO.ratio(errors=requests.selector(endpoint="/pay", status="5.."),
                                 total='http_requests_total{endpoint="/pay"}'),
             description="Payments fail with a server error for fewer than 1 in 2,000 requests.")
latency_p99 = SLO("checkout", "latency-p99", objective=99, runbook_url=RUNBOOK, page_severity="page",
                  ticket_severity="ticket", indicator=SLO.latency(latency, 0.25, endpoint="/pay"))
availability = SLO("checkout", "availability", objective=99.9, window="28d", runbook_url=RUNBOOK,
                   indicator=SLO.availability(job="checkout"))
