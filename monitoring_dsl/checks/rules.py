"""R4xx: recording rules and rule groups. Names and groups that Prometheus will load."""

from __future__ import annotations

from collections.abc import Iterator

from monitoring_dsl.checks.context import CheckContext
from monitoring_dsl.checks.registry import check, diagnostic
from monitoring_dsl.diagnostics import Diagnostic, Severity
from monitoring_dsl.model.metrics import METRIC_NAME_RE
from monitoring_dsl.model.rules import RuleGroup


@check(code="R401", name="duplicate-rule-group", severity=Severity.ERROR)
def duplicate_rule_group(ctx: CheckContext) -> Iterator[Diagnostic]:
    """Two rule groups of one spec module have the same name.

    Each spec module becomes one rule file; loose Alerts and Records of a module form a group named after
    the module, which counts too.

    ## Why is this bad?
    Prometheus refuses a rule file that repeats a group name.

    ## Example
        # specs/api.py
        RuleGroup("api", [...])
        Alert("Down", "up == 0", ...)          # goes into the group "api" too

    ## Use instead
        RuleGroup("api", [..., Alert("Down", "up == 0", ...)])
    """
    for module, groups in ctx.project.rule_groups_by_module().items():
        seen: dict[str, RuleGroup] = {}
        for group in groups:
            first = seen.setdefault(group.name, group)
            if first is not group:
                yield diagnostic(
                    "R401",
                    f"rule group {group.name!r} appears twice in spec module {module!r}",
                    location=group.location,
                    subject=group,
                    related=ctx.declared_at("first declared", first),
                    help=(
                        "rules declared outside any RuleGroup form a group named after the module; "
                        "put them in a RuleGroup or rename the group"
                    ),
                )


@check(code="R402", name="invalid-record-name", severity=Severity.ERROR)
def invalid_record_name(ctx: CheckContext) -> Iterator[Diagnostic]:
    """A recording rule's name is not a valid metric name.

    ## Why is this bad?
    The name becomes the new series' name; Prometheus refuses to load a rule file with an invalid one.

    ## Example
        Record("endpoint:http-requests:rate5m", "...")

    ## Use instead
        Record("endpoint:http_requests:rate5m", "...")
    """
    for record in ctx.project.records:
        if not METRIC_NAME_RE.match(record.name):
            yield diagnostic(
                "R402",
                f"record name {record.name!r} is not a valid metric name",
                help="use letters, digits, underscores and colons, conventionally level:metric:operations",
                subject=record,
                **ctx.at(record.location, record.name),
            )
