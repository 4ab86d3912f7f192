"""Emit: pure functions from the loaded project to the output tree {relative path: bytes}. No I/O."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from monitoring_dsl.emit.alertmanager import alertmanager_config
from monitoring_dsl.emit.compose import compose
from monitoring_dsl.emit.instrumentation import instrumentation_module
from monitoring_dsl.emit.prometheus_config import prometheus_config
from monitoring_dsl.emit.provisioning import dashboard_providers, datasources
from monitoring_dsl.emit.rule_tests import test_file
from monitoring_dsl.emit.rules import rule_file
from monitoring_dsl.emit.serialize import to_commented_yaml, to_json, to_yaml
from monitoring_dsl.emit.slo import slo_test_files
from monitoring_dsl.emit.stack_common import stack_sources
from monitoring_dsl.model.dashboards import Dashboard, dashboard_uid
from monitoring_dsl.model.metrics import Metric
from monitoring_dsl.model.project import Project
from monitoring_dsl.model.rules import Alert, RuleGroup
from monitoring_dsl.model.settings import Settings
from monitoring_dsl.testplan import rule_files, tests_by_module

Artifacts = dict[str, bytes]


class OutputCollision(Exception):
    """Two objects would be written to the same file (two dashboards with one uid, say)."""

    def __init__(self, path: str, first: object, second: object):
        super().__init__(f"{path} would be written twice")
        self.path = path
        self.first = first
        self.second = second


def emit_all(project: Project, settings: Settings | None = None) -> Artifacts:
    """Every generated file, keyed by its path relative to the output directory, in sorted order."""
    return emit_with_parts(project, settings)[0]


def emit_with_parts(
    project: Project, settings: Settings | None = None, earlier: Mapping[str, Artifacts] | None = None
) -> tuple[Artifacts, dict[str, Artifacts]]:
    """What `emit_all` gives, and each module's part of it: the files of its dashboards and its rule file,
    which depend on that module's objects alone. `earlier` holds parts emitted before for modules whose
    objects are unchanged (outputcache.py); they are taken as they are."""
    settings = settings or Settings()
    sources = {module.name: module.source for module in project.modules}
    dashboards = project.dashboards_by_module()
    groups = project.rule_groups_by_module()
    artifacts: Artifacts = {}
    owners: dict[str, str] = {}  # path -> the module whose part holds it

    def collision(path: str, module: str, second: Dashboard | None = None) -> OutputCollision:
        """Two modules write `path`: the first dashboard of each that does, as one pass would find them."""
        first = next(d for d in dashboards[owners[path]] if _dashboard_path(d) == path)
        return OutputCollision(path, first, second or next(d for d in dashboards[module] if _dashboard_path(d) == path))

    parts: dict[str, Artifacts] = {}
    for module in [*dashboards, *(name for name in groups if name not in dashboards)]:
        part = (earlier or {}).get(module)
        if part is None:
            part = _module_part(
                dashboards.get(module, []), groups.get(module), module, sources[module], owners, collision
            )
        for path in part:  # a part emitted here was checked as it was; a kept one must not collide either
            if owners.get(path, module) != module:
                raise collision(path, module)
        owners.update(dict.fromkeys(part, module))
        parts[module] = part
        artifacts.update(part)
    if project.has_stack:
        artifacts.update(emit_stack(project))
    alerts: dict[str, Alert] = {}
    for alert in project.alerts:
        alerts.setdefault(alert.name, alert)
    for module, tests in tests_by_module(project, settings.evaluation_interval_seconds).items():
        data = test_file(tests, rule_files(project, module, tests), alerts, settings.evaluation_interval)
        artifacts[f"prometheus/tests/{module}.test.yml"] = to_yaml(data, sources[module])
    for path, (module, slo_tests) in slo_test_files(project).items():
        artifacts[path] = to_yaml(slo_tests, sources[module])
    for module, metrics in _metrics_by_module(project).items():
        artifacts[f"instrumentation/{module}.py"] = instrumentation_module(metrics, sources[module]).encode()
    return dict(sorted(artifacts.items())), parts


def _dashboard_path(dashboard: Dashboard) -> str:
    return f"grafana/dashboards/{dashboard_uid(dashboard)}.json"


def _module_part(
    dashboards: list[Dashboard],
    groups: list[RuleGroup] | None,
    module: str,
    source: str,
    taken: Mapping[str, str],
    collision: Callable[[str, str, Dashboard], OutputCollision],
) -> Artifacts:
    """The files of one module's dashboards and its rule file. The first dashboard whose file an earlier
    module's part holds (`taken`: path -> module), or an earlier dashboard of this module writes, raises an
    OutputCollision, as one pass over every dashboard would."""
    part: Artifacts = {}
    owners: dict[str, Dashboard] = {}
    if dashboards:
        # grafanalib takes a tenth of a second to import: only a build that emits a dashboard pays for it
        from monitoring_dsl.emit.grafana import dashboard_json

        for dashboard in dashboards:
            uid = dashboard_uid(dashboard)
            path = f"grafana/dashboards/{uid}.json"
            if path in taken:
                raise collision(path, module, dashboard)
            first = owners.setdefault(path, dashboard)
            if first is not dashboard:
                raise OutputCollision(path, first, dashboard)
            part[path] = to_json(dashboard_json(dashboard, uid), source)
    if groups is not None:
        part[f"prometheus/rules/{module}.yml"] = to_yaml(rule_file(groups), source)
    return part


def _metrics_by_module(project: Project) -> dict[str, list[Metric]]:
    grouped: dict[str, list[Metric]] = {}
    for declared in project.declared:
        if isinstance(declared.obj, Metric):
            grouped.setdefault(declared.module, []).append(declared.obj)
    return grouped


def emit_stack(project: Project) -> Artifacts:
    """prometheus.yml, alertmanager.yml, Grafana provisioning and docker-compose.yml, for specs that declare a
    stack (a Service, Prometheus or Routing)."""
    stack: list[object] = [*project.prometheus_servers, *project.services, *project.routings]
    header = stack_sources(project, stack)
    artifacts: Artifacts = {
        "prometheus/prometheus.yml": to_commented_yaml(prometheus_config(project), header),
        "grafana/provisioning/datasources/prometheus.yaml": to_yaml(datasources(), header),
        "grafana/provisioning/dashboards/monitoring-dsl.yaml": to_yaml(dashboard_providers(project), header),
        "docker-compose.yml": to_commented_yaml(compose(project), header),
    }
    if project.routings:
        routing = project.routings[0]
        artifacts["alertmanager/alertmanager.yml"] = to_commented_yaml(
            alertmanager_config(project, routing), stack_sources(project, [routing])
        )
    return artifacts


__all__ = ["Artifacts", "OutputCollision", "emit_all", "emit_stack"]
