"""`docker-compose.yml`: Prometheus, Alertmanager, Grafana (and every Service that declares an image) running
the generated files. Ports are published on 127.0.0.1 only; Grafana's admin password and the Alertmanager
secrets come from the environment at deploy time, with no default."""

from __future__ import annotations

from pathlib import PurePosixPath

from monitoring_dsl.emit.prometheus_config import ALERTMANAGER_PORT, PROMETHEUS_PORT
from monitoring_dsl.emit.provisioning import dashboard_folders
from monitoring_dsl.emit.serialize import COMMENT_KEY
from monitoring_dsl.emit.stack_common import spec_line
from monitoring_dsl.model.dashboards import dashboard_uid
from monitoring_dsl.model.project import Project
from monitoring_dsl.model.stack import Receiver

PROMETHEUS_IMAGE = "prom/prometheus:v2.42.0"
ALERTMANAGER_IMAGE = "prom/alertmanager:v0.25.0"
GRAFANA_IMAGE = "grafana/grafana:10.4.2"
GRAFANA_PORT = 3000
PASSWORD = "${GF_ADMIN_PASSWORD:?set GF_ADMIN_PASSWORD to the Grafana admin password}"
SECRETS_DIR = "${ALERTMANAGER_SECRETS_DIR:?set ALERTMANAGER_SECRETS_DIR to the directory holding the alerting secrets}"


def _publish(port: int) -> str:
    return f"127.0.0.1:{port}:{port}"


def secret_files(receivers: list[Receiver]) -> dict[str, str]:
    """Compose secret name -> the path Alertmanager reads it from, for every `*_file` of every receiver."""
    found: dict[str, str] = {}
    for declared in receivers:
        for field in declared.secret_fields:
            path = getattr(declared, field)
            if isinstance(path, str) and path not in found.values():
                base = PurePosixPath(path).name or field
                name, number = base, 1
                while name in found:  # two files of one name in different directories
                    number += 1
                    name = f"{base}-{number}"
                found[name] = path
    return dict(sorted(found.items()))


def _service_port(target: str) -> int:
    return int(target.rsplit(":", 1)[1])


def compose(project: Project) -> dict[str, object]:
    """The whole `docker-compose.yml`; paths are relative to the output directory that holds it."""
    routing = project.routings[0] if project.routings else None
    imaged = [s for s in project.services if s.image]
    # Services share Prometheus's network namespace so that `localhost:PORT` targets reach them as declared;
    # their ports are therefore published on the prometheus container.
    prometheus_ports = [_publish(PROMETHEUS_PORT)]
    for service in imaged:
        prometheus_ports += [_publish(_service_port(t)) for t in service.targets if t.startswith("localhost:")]
    services: dict[str, object] = {
        "prometheus": {
            "image": PROMETHEUS_IMAGE,
            "command": [
                "--config.file=/etc/prometheus/prometheus.yml",
                "--storage.tsdb.path=/prometheus",
                f"--web.listen-address=:{PROMETHEUS_PORT}",
            ],
            "ports": sorted(set(prometheus_ports)),
            "volumes": ["./prometheus:/etc/prometheus:ro"],
            "restart": "unless-stopped",
        }
    }
    secrets = secret_files(list(routing.receivers)) if routing else {}
    if routing is not None:
        alertmanager: dict[str, object] = {
            COMMENT_KEY: f"routing from {spec_line(project, routing)}",
            "image": ALERTMANAGER_IMAGE,
            "command": [
                "--config.file=/etc/alertmanager/alertmanager.yml",
                "--storage.path=/alertmanager",
                f"--web.listen-address=:{ALERTMANAGER_PORT}",
            ],
            "ports": [_publish(ALERTMANAGER_PORT)],
            "volumes": ["./alertmanager/alertmanager.yml:/etc/alertmanager/alertmanager.yml:ro"],
            "restart": "unless-stopped",
        }
        if secrets:
            alertmanager["secrets"] = [{"source": name, "target": path} for name, path in secrets.items()]
        services["alertmanager"] = alertmanager
    volumes = ["./grafana/provisioning:/etc/grafana/provisioning:ro"]
    folders = dashboard_folders(project)
    for module, dashboards in sorted(project.dashboards_by_module().items()):
        for dashboard in dashboards:
            uid = dashboard_uid(dashboard)
            volumes.append(f"./grafana/dashboards/{uid}.json:{folders[module]}/{uid}.json:ro")
    services["grafana"] = {
        "image": GRAFANA_IMAGE,
        "environment": {
            "GF_AUTH_ANONYMOUS_ENABLED": "false",
            "GF_SECURITY_ADMIN_PASSWORD": PASSWORD,
            "GF_SECURITY_ADMIN_USER": "admin",
        },
        "ports": [_publish(GRAFANA_PORT)],
        "volumes": volumes,
        "depends_on": ["prometheus"],
        "restart": "unless-stopped",
    }
    for service in imaged:
        services[service.name] = {
            COMMENT_KEY: f"from {spec_line(project, service)}",
            "image": service.image,
            "network_mode": "service:prometheus",
            "depends_on": ["prometheus"],
            "restart": "unless-stopped",
        }
    data: dict[str, object] = {"services": services}
    if secrets:
        data["secrets"] = {name: {"file": f"{SECRETS_DIR}/{name}"} for name in secrets}
    return data
