"""R415-R416: recording rules that duplicate each other or depend on another group's evaluation."""

from __future__ import annotations

from collections.abc import Iterator

from monitoring_dsl.checks.context import CheckContext
from monitoring_dsl.checks.registry import check, diagnostic
from monitoring_dsl.diagnostics import Diagnostic, Severity
from monitoring_dsl.model.rules import Record, RuleGroup
from monitoring_dsl.promql import SyntaxProblem, parse, selectors


@check(code="R415", name="duplicate-recording-rule", severity=Severity.WARNING)
def duplicate_recording_rule(ctx: CheckContext) -> Iterator[Diagnostic]:
    """Two recording rules in one rule file (spec module) write the same series: same name, same labels.

    This is `promtool check rules`' default lint (`duplicate-rules`).

    ## Why is this bad?
    Both rules write samples into one series at each evaluation; the series then mixes two computations,
    or Prometheus drops one rule's samples as duplicates, and graphs of it jump between two values.

    ## Example
        RuleGroup("api", [Record("job:http_requests:rate5m", "sum by (job) (rate(http_requests_total[5m]))"),
                          Record("job:http_requests:rate5m", "sum by (job) (rate(http_requests_total[1m]))")])

    ## Use instead
        RuleGroup("api", [Record("job:http_requests:rate5m", "sum by (job) (rate(http_requests_total[5m]))"),
                          Record("job:http_requests:rate1m", "sum by (job) (rate(http_requests_total[1m]))")])
    """
    for groups in ctx.project.rule_groups_by_module().values():
        seen: dict[tuple[str, tuple[tuple[str, str], ...]], Record] = {}
        for group in groups:
            for rule in group.rules:
                if not isinstance(rule, Record):
                    continue
                first = seen.setdefault((rule.name, tuple(sorted(rule.labels.items()))), rule)
                if first is rule:
                    continue
                yield diagnostic(
                    "R415",
                    f"recording rule {rule.name!r} writes the same series as another rule in this file "
                    "(same name and labels)",
                    help="remove one, rename it, or tell them apart with a label",
                    subject=rule,
                    location=rule.location,
                    related=ctx.declared_at("the other rule", first),
                )


def _placement(ctx: CheckContext) -> dict[int, tuple[str, RuleGroup]]:
    """id(rule) -> (its module, its group)."""
    return {
        id(rule): (module, group)
        for module, groups in ctx.project.rule_groups_by_module().items()
        for group in groups
        for rule in group.rules
    }


@check(code="R416", name="record-from-another-group", severity=Severity.INFO)
def record_from_another_group(ctx: CheckContext) -> Iterator[Diagnostic]:
    """A recording rule reads a series that a recording rule of another group in the same file writes.

    Groups are evaluated independently, each on its own schedule; within one group rules run in order.
    Records written in other files (spec modules) are not reported: they are often meant to be separate.

    ## Why is this bad?
    The reading rule sees the other group's result from its last evaluation, up to one interval old, and
    at a start-up or after a gap it sees nothing. Chained records in one group are always consistent.

    ## Example
        RuleGroup("a", [Record("job:http_requests:rate5m", "sum by (job) (rate(http_requests_total[5m]))")])
        RuleGroup("b", [Record("http_requests:rate5m", "sum(job:http_requests:rate5m)")])

    ## Use instead
        RuleGroup("a", [Record("job:http_requests:rate5m", "sum by (job) (rate(http_requests_total[5m]))"),
                        Record("http_requests:rate5m", "sum(job:http_requests:rate5m)")])
    """
    placement = _placement(ctx)
    writers: dict[tuple[str, str], list[Record]] = {}
    for record in ctx.project.records:
        if id(record) in placement:
            writers.setdefault((placement[id(record)][0], record.name), []).append(record)
    for record in ctx.project.records:
        if id(record) not in placement:
            continue
        module, group = placement[id(record)]
        parsed = parse(record.expr)
        if isinstance(parsed, SyntaxProblem):
            continue
        reported: set[str] = set()
        for selector in selectors(parsed):
            name = selector.name
            sources = writers.get((module, name or ""), [])
            if name is None or name in reported or not sources:
                continue
            if any(placement[id(source)][1] is group for source in sources):
                continue
            other = placement[id(sources[0])][1]
            reported.add(name)
            yield diagnostic(
                "R416",
                f"recording rule {record.name!r} in group {group.name!r} reads {name!r}, which group "
                f"{other.name!r} writes: it sees a result up to one interval old",
                help="move both rules into one group, the writer first",
                subject=record,
                related=ctx.declared_at(f"{name!r} recorded", sources[0]),
                location=record.location,
            )
