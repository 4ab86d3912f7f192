"""verify: the project's queries against a live Prometheus (`monitoring-dsl verify --prometheus URL`)."""

from monitoring_dsl.verify.api import PrometheusAPI, QueryFailed, Unreachable
from monitoring_dsl.verify.run import EMPTY, FAILING, OK, Options, Outcome, Report, verify

__all__ = [
    "EMPTY",
    "FAILING",
    "OK",
    "Options",
    "Outcome",
    "PrometheusAPI",
    "QueryFailed",
    "Report",
    "Unreachable",
    "verify",
]
