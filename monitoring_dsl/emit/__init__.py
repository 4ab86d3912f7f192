"""Emit: pure functions from the loaded project to the output tree {relative path: bytes}. No I/O."""

from __future__ import annotations

from monitoring_dsl.emit.grafana import dashboard_json
from monitoring_dsl.emit.rules import rule_file
from monitoring_dsl.emit.serialize import to_json, to_yaml
from monitoring_dsl.model.dashboards import dashboard_uid
from monitoring_dsl.model.project import Project

Artifacts = dict[str, bytes]


class OutputCollision(Exception):
    """Two objects would be written to the same file (two dashboards with one uid, say)."""

    def __init__(self, path: str, first: object, second: object):
        super().__init__(f"{path} would be written twice")
        self.path = path
        self.first = first
        self.second = second


def emit_all(project: Project) -> Artifacts:
    """Every generated file, keyed by its path relative to the output directory, in sorted order."""
    sources = {module.name: module.source for module in project.modules}
    artifacts: Artifacts = {}
    owners: dict[str, object] = {}
    for module, dashboards in project.dashboards_by_module().items():
        for dashboard in dashboards:
            uid = dashboard_uid(dashboard)
            path = f"grafana/dashboards/{uid}.json"
            first = owners.setdefault(path, dashboard)
            if first is not dashboard:
                raise OutputCollision(path, first, dashboard)
            artifacts[path] = to_json(dashboard_json(dashboard, uid), sources[module])
    for module, groups in project.rule_groups_by_module().items():
        artifacts[f"prometheus/rules/{module}.yml"] = to_yaml(rule_file(groups), sources[module])
    return dict(sorted(artifacts.items()))


__all__ = ["Artifacts", "OutputCollision", "emit_all"]
