"""Facts about the stack the specs run on that checks need: intervals, the target Prometheus version, and the
labels the deployment attaches to every series."""

from __future__ import annotations

import attrs

from monitoring_dsl.model.rules import parse_duration


@attrs.frozen
class Settings:
    """What checks need to know of the stack the specs run on. Durations are Prometheus durations."""

    scrape_interval: str = "1m"
    evaluation_interval: str = "1m"
    prometheus_version: str = "2.42"
    # Labels that service discovery and relabelling attach to every scraped series (`namespace`, `pod`).
    target_labels: tuple[str, ...] = ()
    # Labels that Prometheus's `external_labels` add (`cluster`, `region`), seen by a global query layer.
    external_labels: tuple[str, ...] = ()

    @property
    def scrape_interval_seconds(self) -> float:
        return parse_duration(self.scrape_interval) or 60.0

    @property
    def evaluation_interval_seconds(self) -> float:
        return parse_duration(self.evaluation_interval) or 60.0

    @property
    def prometheus_version_tuple(self) -> tuple[int, int]:
        major, _, minor = self.prometheus_version.partition(".")
        return int(major), int(minor.split(".")[0] or 0)
