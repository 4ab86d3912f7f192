from monitoring_dsl import (
    Alert,
    Counter,
    Dashboard,
    Email,
    Inhibit,
    PagerDuty,
    Prometheus,
    Relabel,
    Route,
    Routing,
    RuleGroup,
    Service,
    Slack,
    TimeSeries,
    Webhook,
)

jobs = Counter("worker_jobs_total", "Jobs processed", labels=["queue"])

prometheus = Prometheus(scrape_interval="30s", evaluation_interval="30s", external_labels={"cluster": "eu-1"})

worker = Service(
    "worker",
    discovery={"dns_sd_configs": [{"names": ["_metrics._tcp.worker.internal"], "type": "SRV"}]},
    metrics_path="/internal/metrics",
    scrape_interval="10s",
    labels={"service": "worker", "team": "batch"},
    relabel=[Relabel(source_labels=["__meta_dns_srv_record_target"], target_label="node")],
    metrics=[jobs],
)
api = Service("api", targets=["localhost:8000"], labels={"service": "api"}, image="ghcr.io/example/api:1.2")

overview = Dashboard("Worker", uid="worker", panels=[TimeSeries("Jobs/s", jobs.rate(by=["queue"]), unit="ops")])

alerts = RuleGroup(
    "worker",
    [
        Alert(
            "WorkerStalled",
            "sum by (queue) (rate(worker_jobs_total[5m])) == 0",
            for_="15m",
            severity="critical",
            summary="No job processed for 15 minutes",
            labels={"team": "batch", "service": "worker"},
            runbook_url="https://runbooks.example.com/worker",
        ),
        Alert(
            "WorkerSlow",
            "sum by (queue) (rate(worker_jobs_total[5m])) < 1",
            for_="15m",
            severity="warning",
            summary="Fewer than one job per second",
            labels={"team": "batch", "service": "worker"},
            runbook_url="https://runbooks.example.com/worker",
        ),
    ],
)

SECRETS = "/etc/alertmanager/secrets"
pager = PagerDuty("batch-pager", service_key_file=f"{SECRETS}/pagerduty-service-key", severity="critical")
chat = Slack(
    "batch-chat", channel="#batch", api_url_file=f"{SECRETS}/slack-webhook-url", title="{{ .CommonLabels.alertname }}"
)
mail = Email("mail", to="ops@example.com", from_="am@example.com", smarthost="smtp.example.com:587", require_tls=True)
audit = Webhook(
    "audit", url="http://audit.internal:9000/alerts", bearer_token_file=f"{SECRETS}/audit-token", max_alerts=10
)

routing = Routing(
    receivers=[pager, chat, mail, audit],
    default=mail,
    group_by=["alertname", "service"],
    group_wait="10s",
    routes=[
        Route(audit, match_re={"team": ".+"}, continue_=True),
        Route(
            chat,
            match={"team": "batch"},
            group_by=["alertname"],
            routes=[
                Route(pager, match={"severity": "critical"}, repeat_interval="30m"),
            ],
        ),
    ],
    inhibit=[Inhibit(source={"severity": "critical"}, target={"severity": "warning"}, equal=["service"])],
)
