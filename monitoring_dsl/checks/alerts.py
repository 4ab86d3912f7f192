"""A3xx: alerting rules. Names that Prometheus can tell apart, labels and annotations it accepts."""

from __future__ import annotations

from collections.abc import Iterator

from monitoring_dsl.checks.context import CheckContext
from monitoring_dsl.checks.registry import check, diagnostic
from monitoring_dsl.diagnostics import Diagnostic, Severity
from monitoring_dsl.model.metrics import LABEL_NAME_RE
from monitoring_dsl.model.rules import Alert, Record


@check(code="A301", name="duplicate-alert", severity=Severity.ERROR)
def duplicate_alert(ctx: CheckContext) -> Iterator[Diagnostic]:
    """Two alerts in one rule group with the same name and the same labels.

    The same name with different labels is a common, valid pattern (a `warning` and a `critical` alert of
    one condition); the same name with the same labels produces indistinguishable alerts.

    ## Why is this bad?
    Both produce series `ALERTS{alertname="X", ...}` with identical labels: Alertmanager cannot tell them
    apart, and which annotations it shows is arbitrary.

    ## Example
        RuleGroup("api", [Alert("HighLatency", "... > 0.5", severity="warning", ...),
                          Alert("HighLatency", "... > 1", severity="warning", ...)])

    ## Use instead
        RuleGroup("api", [Alert("HighLatency", "... > 0.5", severity="warning", ...),
                          Alert("HighLatency", "... > 1", severity="critical", ...)])
    """
    for groups in ctx.project.rule_groups_by_module().values():
        for group in groups:
            seen: dict[tuple[str, tuple[tuple[str, str], ...]], Alert] = {}
            for rule in group.rules:
                if not isinstance(rule, Alert):
                    continue
                key = (rule.name, tuple(sorted(rule.all_labels().items())))
                first = seen.setdefault(key, rule)
                if first is not rule:
                    yield diagnostic(
                        "A301",
                        f"alert {rule.name!r} appears twice in group {group.name!r} with the same labels",
                        location=rule.location,
                        subject=rule,
                        related=ctx.declared_at("first declared", first),
                        help="rename one, or tell them apart by severity or another label",
                    )


@check(code="A302", name="invalid-rule-label", severity=Severity.ERROR)
def invalid_rule_label(ctx: CheckContext) -> Iterator[Diagnostic]:
    """A rule's label or annotation name is not a valid Prometheus label name.

    Label and annotation names match `[a-zA-Z_][a-zA-Z0-9_]*`; names starting with `__` are reserved.

    ## Why is this bad?
    Prometheus refuses to load the whole rule file.

    ## Example
        Alert("Down", "up == 0", labels={"team-name": "payments"}, ...)

    ## Use instead
        Alert("Down", "up == 0", labels={"team": "payments"}, ...)
    """
    rules: list[Alert | Record] = [*ctx.project.alerts, *ctx.project.records]
    for rule in rules:
        fields = {"labels": rule.labels}
        if isinstance(rule, Alert):
            fields["annotations"] = rule.annotations
        for field, mapping in fields.items():
            for key in mapping:
                if LABEL_NAME_RE.match(key) and not key.startswith("__"):
                    continue
                yield diagnostic(
                    "A302",
                    f"{field} name {key!r} of {type(rule).__name__.lower()} {rule.name!r} is not a valid label name",
                    help="use letters, digits and underscores, not starting with a digit or '__'",
                    subject=rule,
                    **ctx.at(rule.location, key),
                )
