"""The stack the seed service runs on: the api scrape job, where alerts go, and how they are grouped.

Critical alerts page through PagerDuty, warnings go to Slack, everything else to email. Secrets are files that
Alertmanager reads at run time (`*_file`); none of them is in this repository or in build/.
"""

import catalog
from monitoring_dsl import Counter, Email, Gauge, Histogram, Inhibit, PagerDuty, Prometheus, Route, Routing, Service, Slack

prometheus = Prometheus(scrape_interval="15s", evaluation_interval="15s", external_labels={"environment": "dev"})

# Every metric of the catalog: the api process serves them all on one /metrics endpoint.
api = Service(
    "api",
    targets=["localhost:8000"],
    scrape_interval="5s",
    labels={"service": "api"},
    metrics=[value for value in vars(catalog).values() if isinstance(value, (Counter, Gauge, Histogram))],
)

SECRETS = "/etc/alertmanager/secrets"

pagerduty = PagerDuty("pagerduty", routing_key_file=f"{SECRETS}/pagerduty-routing-key", send_resolved=True)
slack = Slack("slack", channel="#api-alerts", api_url_file=f"{SECRETS}/slack-webhook-url", send_resolved=True)
email = Email(
    "email",
    to="api-team@example.com",
    from_="alertmanager@example.com",
    smarthost="smtp.example.com:587",
    auth_username="alertmanager@example.com",
    auth_password_file=f"{SECRETS}/smtp-password",
)

routing = Routing(
    receivers=[pagerduty, slack, email],
    default=email,
    routes=[
        Route(pagerduty, match={"severity": "critical"}, repeat_interval="1h"),
        Route(slack, match={"severity": "warning"}),
    ],
    group_by=["alertname", "service"],
    inhibit=[Inhibit(source={"severity": "critical"}, target={"severity": "warning"}, equal=["alertname", "service"])],
)
