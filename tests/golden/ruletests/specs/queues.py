"""A mail queue and its tests: declared tests of an alert and a record, and generated boundary tests."""

from monitoring_dsl import (
    Alert,
    Counter,
    DoesNotFire,
    Fires,
    Gauge,
    Record,
    RuleGroup,
    RuleTest,
    Sample,
)

depth = Gauge("mail_queue_depth", "Mails waiting to be sent", labels=["queue"])
sent = Counter("mails_sent_total", "Mails sent", labels=["queue"])

rules = RuleGroup(
    "mail",
    [
        Record("queue:mails_sent:rate5m", "sum by (queue) (rate(mails_sent_total[5m]))"),
        Alert(
            "MailBacklog",
            'mail_queue_depth{queue="outbound"} > 1000',
            for_="10m",
            severity="warning",
            summary="Outbound mail backlog",
            description="{{ $value }} mails waiting",
            runbook_url="https://runbooks.example.com/mail/backlog",
            boundary_tests=True,
        ),
        Alert(
            "MailNotSending",
            "queue:mails_sent:rate5m == 0",
            for_="15m",
            severity="critical",
            summary="No mail sent from {{ $labels.queue }}",
            runbook_url="https://runbooks.example.com/mail/stuck",
        ),
    ],
)

RuleTest(
    "a stuck queue pages after 15m",
    series={'mails_sent_total{queue="outbound", job="mailer", instance="m-1:9100"}': "0+30x5 150x30"},
    at="30m",
    alerts=[
        DoesNotFire("MailNotSending", at="15m"),
        Fires("MailNotSending", labels={"queue": "outbound"}, annotations={"summary": "No mail sent from outbound"}),
    ],
    samples=[
        Sample('queue:mails_sent:rate5m{queue="outbound"}', 0.5, at="5m"),
        Sample('queue:mails_sent:rate5m{queue="outbound"}', 0),
    ],
)
