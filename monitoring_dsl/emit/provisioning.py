"""Grafana provisioning: the Prometheus datasource under the fixed uid every dashboard's `datasource`
variable defaults to, and one file-based dashboard provider (a Grafana folder) per spec module."""

from __future__ import annotations

from monitoring_dsl.emit.prometheus_config import PROMETHEUS_PORT
from monitoring_dsl.model.project import Project
from monitoring_dsl.model.stack import DATASOURCE_UID

DASHBOARDS_DIR = "/var/lib/grafana/dashboards"


def datasources(prometheus_url: str = f"http://prometheus:{PROMETHEUS_PORT}") -> dict[str, object]:
    """`provisioning/datasources/prometheus.yaml`."""
    return {
        "apiVersion": 1,
        "datasources": [
            {
                "name": "Prometheus",
                "uid": DATASOURCE_UID,
                "type": "prometheus",
                "access": "proxy",
                "url": prometheus_url,
                "isDefault": True,
                "editable": False,
            }
        ],
    }


def dashboard_folders(project: Project) -> dict[str, str]:
    """Spec module -> the directory its dashboards are mounted in inside the Grafana container."""
    return {module: f"{DASHBOARDS_DIR}/{module}" for module in sorted(project.dashboards_by_module())}


def dashboard_providers(project: Project) -> dict[str, object]:
    """`provisioning/dashboards/monitoring-dsl.yaml`: a provider per spec module, its folder named after it."""
    return {
        "apiVersion": 1,
        "providers": [
            {
                "name": module,
                "folder": module,
                "type": "file",
                "disableDeletion": True,
                "allowUiUpdates": False,
                "options": {"path": path},
            }
            for module, path in dashboard_folders(project).items()
        ],
    }
