"""`prometheus.yml`: global intervals, external labels, rule files, the Alertmanager target and one scrape
job per `Service`, keys in Prometheus's documented order, each job preceded by the spec line it came from."""

from __future__ import annotations

from collections.abc import Sequence

from monitoring_dsl.emit.serialize import COMMENT_KEY
from monitoring_dsl.emit.stack_common import spec_line
from monitoring_dsl.model.project import Project
from monitoring_dsl.model.stack import Prometheus, Relabel, Service

PROMETHEUS_PORT = 9090
ALERTMANAGER_PORT = 9093
SELF_JOB = "prometheus"


def server(project: Project) -> Prometheus:
    """The declared Prometheus, or Prometheus's defaults when the specs declare only services or routing."""
    declared = project.prometheus_servers
    return declared[0] if declared else Prometheus()


def rule_paths(project: Project) -> list[str]:
    """Rule files relative to prometheus.yml, as `emit_all` writes them."""
    return [f"rules/{module}.yml" for module in sorted(project.rule_groups_by_module())]


def relabel_config(step: Relabel) -> dict[str, object]:
    """One `relabel_configs` entry; Prometheus's defaults are left out."""
    config: dict[str, object] = {}
    if step.source_labels:
        config["source_labels"] = list(step.source_labels)
    for key in ("separator", "regex", "modulus", "target_label", "replacement"):
        value = getattr(step, key)
        if value is not None:
            config[key] = value
    if step.action != "replace":
        config["action"] = step.action
    return config


def scrape_config(project: Project, service: Service) -> dict[str, object]:
    """One `scrape_configs` entry for `service`."""
    config: dict[str, object] = {COMMENT_KEY: f"from {spec_line(project, service)}", "job_name": service.name}
    for key in ("scrape_interval", "scrape_timeout", "metrics_path", "scheme"):
        value = getattr(service, key)
        if value is not None:
            config[key] = value
    relabels = [relabel_config(step) for step in service.relabel]
    if service.targets:
        static: dict[str, object] = {"targets": list(service.targets)}
        if service.labels:
            static["labels"] = dict(sorted(service.labels.items()))
        config["static_configs"] = [static]
    else:
        assert service.discovery is not None
        for key, blocks in sorted(service.discovery.items()):
            config[key] = blocks
        # discovered targets have no static labels: the job's labels are set by relabelling instead
        relabels += [{"target_label": label, "replacement": value} for label, value in sorted(service.labels.items())]
    if relabels:
        config["relabel_configs"] = relabels
    return config


def prometheus_config(
    project: Project,
    *,
    alertmanager_target: str = f"alertmanager:{ALERTMANAGER_PORT}",
    self_target: str = f"localhost:{PROMETHEUS_PORT}",
    rule_files: Sequence[str] | None = None,
) -> dict[str, object]:
    """The whole `prometheus.yml`. The docker-compose stack uses the defaults; `monitoring-dsl up` passes the
    local ports and absolute rule paths."""
    prometheus = server(project)
    global_: dict[str, object] = {"scrape_interval": prometheus.scrape_interval}
    if prometheus.scrape_timeout is not None:
        global_["scrape_timeout"] = prometheus.scrape_timeout
    global_["evaluation_interval"] = prometheus.evaluation_interval
    if prometheus.external_labels:
        global_["external_labels"] = dict(sorted(prometheus.external_labels.items()))
    if project.prometheus_servers:
        global_ = {COMMENT_KEY: f"from {spec_line(project, prometheus)}", **global_}
    config: dict[str, object] = {"global": global_}
    files = list(rule_paths(project) if rule_files is None else rule_files)
    if files:
        config["rule_files"] = files
    if project.routings:
        config["alerting"] = {"alertmanagers": [{"static_configs": [{"targets": [alertmanager_target]}]}]}
    jobs: list[dict[str, object]] = []
    if prometheus.scrape_self and all(s.name != SELF_JOB for s in project.services):
        jobs.append(
            {
                COMMENT_KEY: "Prometheus scraping itself (Prometheus(scrape_self=False) turns this off)",
                "job_name": SELF_JOB,
                "static_configs": [{"targets": [self_target]}],
            }
        )
    jobs += [scrape_config(project, service) for service in project.services]
    if jobs:
        config["scrape_configs"] = jobs
    return config
