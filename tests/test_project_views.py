# (STYLE.md: `assert expected == actual`, expected first.)
"""The Project's views are typed, immutable and computed once: every stage sees the same objects."""

from __future__ import annotations

from monitoring_dsl import Alert, Counter, Record
from monitoring_dsl.model.project import Declared, Project


def test_views_are_tuples_computed_once_in_declaration_order() -> None:
    requests = Counter("http_requests_total", "Requests")
    errors = Counter("http_errors_total", "Errors")
    alert = Alert("Down", "up == 0")
    record = Record("job:up:sum", "sum by (job) (up)")
    project = Project((), (Declared(requests, "a"), Declared(alert, "a"), Declared(errors, "b"), Declared(record, "b")))
    assert (requests, errors) == project.metrics
    assert project.metrics is project.metrics
    assert (alert,) == project.alerts and (record,) == project.records
    assert {"a": ["a"], "b": ["b"]} == {m: [g.name for g in gs] for m, gs in project.rule_groups_by_module().items()}
    assert project.rule_groups_by_module() is project.rule_groups_by_module()
    assert "b" == project.module_of(errors)
