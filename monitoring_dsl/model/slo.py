"""The SLO vocabulary: an objective for a service, measured by an indicator, compiled into recording rules,
multi-window burn-rate alerts, an error-budget dashboard and rule tests.

Numbers are kept exact (`decimal.Decimal`), so an objective of 99.9 is an error budget of exactly 0.001 and
every threshold derived from it prints as a person would write it.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any, ClassVar

import attrs

from monitoring_dsl.model.base import (
    SpecError,
    allow_field,
    check_nonempty_str,
    check_optional_str,
    check_str_mapping,
    is_number,
    location_field,
    spec,
    to_mapping,
)
from monitoring_dsl.model.metrics import Counter, Histogram, Metric, _matchers
from monitoring_dsl.model.rules import parse_duration

DEFAULT_WINDOW = "30d"
# The windows an SLO may be measured over (S641): whole days or weeks that dashboards and people use.
SLO_WINDOWS = ("7d", "14d", "28d", "30d", "90d")


@attrs.frozen
class BurnWindow:
    """One condition of a burn-rate alert: the error ratio over `long` and over `short` both above
    `factor` times the error budget."""

    long: str
    short: str
    factor: Decimal


@attrs.frozen
class BurnAlert:
    """A page or a ticket: fires when any of its windows burns; `for_` rides out a single bad evaluation."""

    kind: str  # "page" or "ticket"
    windows: tuple[BurnWindow, ...]
    for_: str


@attrs.frozen
class BurnPolicy:
    page: BurnAlert
    ticket: BurnAlert

    def alerts(self) -> tuple[BurnAlert, BurnAlert]:
        return self.page, self.ticket


# Google's SRE workbook, "Alerting on SLOs", multiwindow multi-burn-rate alerts for a 30-day window: page when
# 2% of the budget burns in an hour or 5% in six hours, ticket when 10% burns in a day or in three days.
WORKBOOK = BurnPolicy(
    page=BurnAlert(
        "page",
        (BurnWindow("1h", "5m", Decimal("14.4")), BurnWindow("6h", "30m", Decimal("6"))),
        "2m",
    ),
    ticket=BurnAlert(
        "ticket",
        (BurnWindow("1d", "2h", Decimal("3")), BurnWindow("3d", "6h", Decimal("1"))),
        "15m",
    ),
)


def to_decimal(value: object) -> object:
    """Numbers become exact decimals from their shortest printed form: 99.9 is Decimal('99.9'), never the
    binary float's 99.900000000000005684...; anything else is left for the validator to name."""
    if isinstance(value, Decimal):
        return value
    if is_number(value):
        return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)  # type: ignore[arg-type]
    return value


def _check_number(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, Decimal) or not value.is_finite():
        raise SpecError(
            f"{type(instance).__name__}: {attribute.name!r} must be a finite number (got {value!r})",
            help="e.g. objective=99.9 for 99.9% of requests good",
            field=attribute.name,
        )


def _check_window(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, str) or not parse_duration(value):
        raise SpecError(
            f"{type(instance).__name__}: {attribute.name!r} must be a Prometheus duration such as '30d' "
            f"(got {value!r})",
            help=f"SLO windows: {', '.join(SLO_WINDOWS)}",
            field=attribute.name,
        )


_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,35}$")


def _check_name(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """Service and SLO names become label values, rule group names, the dashboard uid `slo-<service>` and the
    file `slo-<service>.test.yml`: letters, digits, `-` and `_` only, so none of them can escape build/."""
    if not isinstance(value, str) or not _NAME_RE.match(value):
        raise SpecError(
            f"SLO: {attribute.name!r} must be 1-36 letters, digits, '-' or '_', starting with a letter or digit "
            f"(got {value!r})",
            help='e.g. SLO("checkout", "latency-p99", ...)',
            field=attribute.name,
        )


def _selector_text(value: object) -> object:
    """A selector given as a metric object is its bare name; a string is kept as written."""
    if isinstance(value, Metric):
        return value.name
    return value


def _check_selector(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, str) or not value.strip():
        raise SpecError(
            f"{type(instance).__name__}: {attribute.name!r} must be a series selector string or a Counter "
            f"(got {value!r})",
            help="e.g. errors=requests.selector(status='5..'), total=requests",
            field=attribute.name,
        )


@spec
class RatioIndicator:
    """The share of events that are bad: `errors` over `total`, two selectors of one counter.

    Built with `SLO.ratio(errors=..., total=...)`; each is a selector string such as
    `'http_requests_total{status=~"5.."}'` or a Counter (all its series).
    """

    kind: ClassVar[str] = "ratio"

    errors: str = attrs.field(converter=_selector_text, validator=_check_selector)
    total: str = attrs.field(converter=_selector_text, validator=_check_selector)
    location: Any = location_field()

    def error_ratio(self, window: str) -> str:
        return f"sum(rate({self.errors}[{window}])) / sum(rate({self.total}[{window}]))"


def _check_histogram(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, Histogram):
        raise SpecError(
            f"{type(instance).__name__}: {attribute.name!r} must be a Histogram (got {type(value).__name__})",
            help="a latency SLO counts requests faster than the threshold from a histogram's buckets",
            field=attribute.name,
        )


def _check_threshold(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, Decimal) or not value.is_finite() or value <= 0:
        raise SpecError(
            f"{type(instance).__name__}: {attribute.name!r} must be a positive number of the histogram's unit "
            f"(got {value!r})",
            help="e.g. threshold=0.1 for 100 ms on a histogram in seconds",
            field=attribute.name,
        )


def format_number(value: Decimal) -> str:
    """A decimal as a person writes it: `0.001`, `14.4`, `1`; never an exponent, never float noise."""
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "") else text


@spec
class LatencyIndicator:
    """The share of requests slower than `threshold`, from a histogram with a bucket boundary at it.

    Built with `SLO.latency(histogram, threshold=0.1, endpoint="/api")`; keywords other than `threshold`
    select series (a value with regex characters becomes `=~`).
    """

    kind: ClassVar[str] = "latency"

    histogram: Histogram = attrs.field(validator=_check_histogram)
    threshold: Decimal = attrs.field(converter=to_decimal, validator=_check_threshold)
    matchers: dict[str, str] = attrs.field(
        factory=dict, converter=to_mapping, validator=check_str_mapping, kw_only=True
    )
    location: Any = location_field()

    def le_matcher(self) -> str:
        """The `le` label of the threshold's bucket. prometheus_client writes whole numbers as `1.0` and Go's
        client as `1`, so a whole threshold matches both."""
        text = format_number(self.threshold)
        return f'le=~"{text}|{text}.0"' if "." not in text else f'le="{text}"'

    def selector(self, suffix: str, le: bool = False) -> str:
        inner = _matchers(self.matchers)[1:-1] if self.matchers else ""
        parts = [self.le_matcher()] if le else []
        if inner:
            parts.append(inner)
        return f"{self.histogram.name}{suffix}" + ("{" + ", ".join(parts) + "}" if parts else "")

    def error_ratio(self, window: str) -> str:
        count = f"sum(rate({self.selector('_count')}[{window}]))"
        fast = f"sum(rate({self.selector('_bucket', le=True)}[{window}]))"
        return f"({count} - {fast}) / {count}"


@spec
class AvailabilityIndicator:
    """The share of time the scrape targets of `job` were down, from Prometheus's own `up` series.

    Built with `SLO.availability(job="api")`.
    """

    kind: ClassVar[str] = "availability"

    job: str = attrs.field(validator=check_nonempty_str)
    location: Any = location_field()

    def selector(self) -> str:
        return f"up{_matchers({'job': self.job})}"

    def error_ratio(self, window: str) -> str:
        return f"1 - avg(avg_over_time({self.selector()}[{window}]))"


Indicator = RatioIndicator | LatencyIndicator | AvailabilityIndicator


def _check_indicator(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, (RatioIndicator, LatencyIndicator, AvailabilityIndicator)):
        raise SpecError(
            f"SLO: 'indicator' must be SLO.ratio(...), SLO.latency(...) or SLO.availability(...) "
            f"(got {type(value).__name__})",
            help='e.g. indicator=SLO.availability(job="api")',
            field=attribute.name,
        )


@spec
class SLO:
    """A service-level objective: `objective` percent of events good over `window`, measured by `indicator`.

    It compiles to recording rules for the error ratio over every burn-rate window, the error budget left,
    two multi-window burn-rate alerts (a page at `page_severity`, a ticket at `ticket_severity`, both with
    `labels` so they route like any alert), a dashboard per service and promtool tests.

    Example:
        SLO("api", "availability", objective=99.9,
            indicator=SLO.ratio(errors=requests.selector(status="5.."), total=requests))
    """

    service: str = attrs.field(validator=_check_name)
    name: str = attrs.field(validator=_check_name)
    objective: Decimal = attrs.field(converter=to_decimal, validator=_check_number, kw_only=True)
    indicator: Indicator = attrs.field(validator=_check_indicator, kw_only=True)
    window: str = attrs.field(default=DEFAULT_WINDOW, validator=_check_window, kw_only=True)
    description: str | None = attrs.field(default=None, validator=check_optional_str, kw_only=True)
    page_severity: str = attrs.field(default="critical", validator=check_nonempty_str, kw_only=True)
    ticket_severity: str = attrs.field(default="warning", validator=check_nonempty_str, kw_only=True)
    labels: dict[str, str] = attrs.field(factory=dict, converter=to_mapping, validator=check_str_mapping, kw_only=True)
    runbook_url: str | None = attrs.field(default=None, validator=check_optional_str, kw_only=True)
    allow: dict[str, str] = allow_field()
    location: Any = location_field()

    @property
    def error_budget(self) -> Decimal:
        """The share of events allowed to be bad: 1 - objective/100, exactly (99.9 gives 0.001)."""
        return 1 - self.objective / 100

    @staticmethod
    def ratio(*, errors: str | Counter, total: str | Counter) -> RatioIndicator:
        """Bad events over all events: two selectors of one counter, `errors` a subset of `total`."""
        return RatioIndicator(errors, total)  # type: ignore[arg-type]  # the converter takes a Counter

    @staticmethod
    def latency(histogram: Histogram, threshold: float | Decimal, **matchers: str) -> LatencyIndicator:
        """Requests slower than `threshold` over all requests; the histogram needs a bucket at `threshold`."""
        return LatencyIndicator(histogram, threshold, matchers=matchers)  # type: ignore[arg-type]  # converted

    @staticmethod
    def availability(*, job: str) -> AvailabilityIndicator:
        """Time the scrape targets of `job` were down (`up == 0`) over all time."""
        return AvailabilityIndicator(job)
