"""Prometheus rule files: one per spec module, groups and rules with keys in Prometheus's documented order."""

from __future__ import annotations

import textwrap

from monitoring_dsl.model.rules import Alert, Record, RuleGroup


def _expr(text: str) -> str:
    """The expression as written, without the indentation and blank edges of a triple-quoted string."""
    return textwrap.dedent(text).strip("\n").rstrip() if "\n" in text else text.strip()


def alert_rule(alert: Alert) -> dict[str, object]:
    """One alerting rule: alert, expr, for, keep_firing_for, labels, annotations."""
    rule: dict[str, object] = {"alert": alert.name, "expr": _expr(alert.expr)}
    if alert.for_ is not None:
        rule["for"] = alert.for_
    if alert.keep_firing_for is not None:
        rule["keep_firing_for"] = alert.keep_firing_for
    labels = alert.all_labels()
    if labels:
        rule["labels"] = labels
    annotations = alert.all_annotations()
    if annotations:
        rule["annotations"] = annotations
    return rule


def record_rule(record: Record) -> dict[str, object]:
    """One recording rule: record, expr, labels."""
    rule: dict[str, object] = {"record": record.name, "expr": _expr(record.expr)}
    if record.labels:
        rule["labels"] = dict(sorted(record.labels.items()))
    return rule


def rule_group(group: RuleGroup) -> dict[str, object]:
    """One group: name, interval, limit, rules."""
    data: dict[str, object] = {"name": group.name}
    if group.interval is not None:
        data["interval"] = group.interval
    if group.limit is not None:
        data["limit"] = group.limit
    data["rules"] = [alert_rule(r) if isinstance(r, Alert) else record_rule(r) for r in group.rules]
    return data


def rule_file(groups: list[RuleGroup]) -> dict[str, object]:
    """A whole rule file, as `promtool check rules` and Prometheus's `rule_files` read it."""
    return {"groups": [rule_group(group) for group in groups]}
