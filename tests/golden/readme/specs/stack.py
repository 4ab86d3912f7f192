# specs/stack.py
from monitoring_dsl import Email, Inhibit, PagerDuty, Prometheus, Route, Routing, Service, Slack
from catalog import latency, requests
from queues import depth

prometheus = Prometheus(scrape_interval="15s", evaluation_interval="15s", external_labels={"environment": "dev"})
api = Service("api", targets=["localhost:8000"], scrape_interval="5s", labels={"service": "api"},
              metrics=[requests, latency, depth])

pagerduty = PagerDuty("pagerduty", routing_key_file="/etc/alertmanager/secrets/pagerduty-routing-key")
slack = Slack("slack", channel="#api-alerts", api_url_file="/etc/alertmanager/secrets/slack-webhook-url")
email = Email("email", to="api-team@example.com", from_="alertmanager@example.com",
              smarthost="smtp.example.com:587", auth_password_file="/etc/alertmanager/secrets/smtp-password")
routing = Routing(
    receivers=[pagerduty, slack, email],
    default=email,                                   # everything no route matches
    routes=[Route(pagerduty, match={"severity": "critical"}), Route(slack, match={"severity": "warning"})],
    inhibit=[Inhibit(source={"severity": "critical"}, target={"severity": "warning"}, equal=["alertname"])],
)
