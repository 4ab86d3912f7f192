"""The metric catalog's vocabulary: Counter, Gauge, Histogram, Summary.

A metric declares what a service exposes: its name, help, labels, unit and, for histograms, buckets. Helpers
build correct PromQL from a declaration, so the right query is the easy one to write.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, ClassVar

import attrs

from monitoring_dsl.model.base import (
    SpecError,
    allow_field,
    check_items,
    check_optional_str,
    check_str,
    is_number,
    location_field,
    spec,
    to_tuple,
)

METRIC_NAME_RE = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
LABEL_NAME_RE = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")


def _check_metric_name(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, str) or not METRIC_NAME_RE.match(value):
        raise SpecError(
            f"{type(instance).__name__}: 'name' must match {METRIC_NAME_RE.pattern!r} (got {value!r})",
            help="metric names use letters, digits, underscores and colons, e.g. 'http_requests_total'",
            field=attribute.name,
        )


def _is_label_name(item: object) -> bool:
    return isinstance(item, str) and bool(LABEL_NAME_RE.match(item))


def _label_list(value: Iterable[str]) -> str:
    return ", ".join(value)


def _matchers(matchers: dict[str, str]) -> str:
    if not matchers:
        return ""
    parts = []
    for label, value in sorted(matchers.items()):
        op = "=~" if any(ch in value for ch in "|.*+?[]()$") else "="
        escaped = value.replace("\\", "\\\\").replace('"', '\\"')
        parts.append(f'{label}{op}"{escaped}"')
    return "{" + ", ".join(parts) + "}"


@spec
class Metric:
    """Base of the four metric types; not used directly in specs."""

    kind: ClassVar[str] = "untyped"

    name: str = attrs.field(validator=_check_metric_name)
    help: str = attrs.field(validator=check_str)
    labels: tuple[str, ...] = attrs.field(
        default=(), converter=to_tuple, validator=check_items("label names like 'endpoint'", _is_label_name)
    )
    unit: str | None = attrs.field(default=None, validator=check_optional_str, kw_only=True)
    allow: dict[str, str] = allow_field()
    location: Any = location_field()

    def selector(self, suffix: str = "", **matchers: str) -> str:
        """The series selector `name{label="value"}`; regex characters in a value make it `=~`."""
        return f"{self.name}{suffix}{_matchers(matchers)}"


@spec
class Counter(Metric):
    """A value that only goes up, such as requests served. Its name ends in `_total`.

    Example:
        requests = Counter("http_requests_total", "HTTP requests", labels=["method", "endpoint", "status"])
    """

    kind: ClassVar[str] = "counter"

    def rate(self, by: Iterable[str] = (), window: str = "$__rate_interval", **matchers: str) -> str:
        """`sum by (...) (rate(name{...}[window]))`: the per-second rate, summed over the other labels."""
        grouping = f" by ({_label_list(by)}) " if by else ""
        return f"sum{grouping}(rate({self.selector(**matchers)}[{window}]))"

    def increase(self, window: str, by: Iterable[str] = (), **matchers: str) -> str:
        """`sum by (...) (increase(name{...}[window]))`: how much the counter grew over `window`."""
        grouping = f" by ({_label_list(by)}) " if by else ""
        return f"sum{grouping}(increase({self.selector(**matchers)}[{window}]))"


@spec
class Gauge(Metric):
    """A value that goes up and down, such as queue depth or memory in use.

    Example:
        queue_depth = Gauge("payments_queue_depth", "Items waiting to be processed")
    """

    kind: ClassVar[str] = "gauge"


def _check_buckets(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    check_items("numbers", is_number)(instance, attribute, value)
    assert isinstance(value, tuple)
    if list(value) != sorted(set(value)):
        raise SpecError(
            f"{type(instance).__name__}: 'buckets' must be strictly increasing (got {list(value)!r})",
            help="list bucket upper bounds from smallest to largest, without repeats",
            field=attribute.name,
        )


DEFAULT_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0)


@spec
class Histogram(Metric):
    """Observations counted into buckets, such as request durations; exposes `_bucket`, `_sum`, `_count`.

    Example:
        latency = Histogram("http_request_duration_seconds", "Request duration", labels=["endpoint"],
                            buckets=[0.01, 0.05, 0.1, 0.5, 1, 2.5])
    """

    kind: ClassVar[str] = "histogram"

    buckets: tuple[float, ...] = attrs.field(
        default=DEFAULT_BUCKETS, converter=to_tuple, validator=_check_buckets, kw_only=True
    )

    def quantile(self, q: float, by: Iterable[str] = (), window: str = "$__rate_interval", **matchers: str) -> str:
        """`histogram_quantile(q, sum by (le, ...) (rate(name_bucket{...}[window])))`."""
        if not is_number(q) or not 0 <= q <= 1:
            raise SpecError(f"Histogram.quantile: 'q' must be a number between 0 and 1 (got {q!r})")
        grouping = _label_list(["le", *by])
        return f"histogram_quantile({q}, sum by ({grouping}) (rate({self.selector('_bucket', **matchers)}[{window}])))"

    def mean(self, by: Iterable[str] = (), window: str = "$__rate_interval", **matchers: str) -> str:
        """Mean observation over `window`: rate of `_sum` divided by rate of `_count`."""
        grouping = f" by ({_label_list(by)}) " if by else ""
        return (
            f"sum{grouping}(rate({self.selector('_sum', **matchers)}[{window}])) / "
            f"sum{grouping}(rate({self.selector('_count', **matchers)}[{window}]))"
        )


def _is_quantile(item: object) -> bool:
    return is_number(item) and 0 <= item <= 1  # type: ignore[operator]


@spec
class Summary(Metric):
    """Observations summarised by the client, exposing `_sum` and `_count` (and `quantile` series if any).

    Example:
        payload = Summary("http_request_size_bytes", "Request body size", labels=["endpoint"])
    """

    kind: ClassVar[str] = "summary"

    quantiles: tuple[float, ...] = attrs.field(
        default=(),
        converter=to_tuple,
        validator=check_items("numbers between 0 and 1", _is_quantile),
        kw_only=True,
    )
