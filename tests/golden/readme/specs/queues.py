# specs/queues.py
from monitoring_dsl import Alert, DoesNotFire, Fires, Gauge, RuleGroup, RuleTest

depth = Gauge("queue_depth", "Items waiting", labels=["queue"])

rules = RuleGroup("queues", [
    Alert("QueueBacklog", 'queue_depth{queue="mail"} > 100', for_="5m", severity="warning",
          summary="Mail queue backlog", description="{{ $value }} items waiting"),
])

RuleTest("150 waiting mails page after 5m",
         series={'queue_depth{queue="mail", job="mailer"}': "150x20"},
         at="10m",
         alerts=[DoesNotFire("QueueBacklog", at="4m"),          # still pending
                 Fires("QueueBacklog", labels={"queue": "mail", "job": "mailer"})])

RuleTest("20 waiting mails stay quiet",
         series={'queue_depth{queue="mail"}': "20x20"},
         at="10m",
         alerts=[DoesNotFire("QueueBacklog")])
