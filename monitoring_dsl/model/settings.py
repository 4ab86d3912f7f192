"""Facts about the stack the specs run on that checks need: intervals and the target Prometheus version."""

from __future__ import annotations

import attrs

from monitoring_dsl.model.rules import parse_duration


@attrs.frozen
class Settings:
    """What checks need to know of the stack the specs run on. Durations are Prometheus durations."""

    scrape_interval: str = "1m"
    evaluation_interval: str = "1m"
    prometheus_version: str = "2.42"

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
