"""The rule-test vocabulary: RuleTest, Series, Fires, DoesNotFire and Sample, run by `promtool test rules`.

A RuleTest feeds input series to every rule of the project and states, at an evaluation time, which alerts
fire (with which labels and annotations), which must not, and which samples a recording rule produces.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from monitoring_dsl.model.base import (
    SpecError,
    allow_field,
    check_items,
    check_nonempty_str,
    check_str_mapping,
    is_number,
    location_field,
    spec,
    to_mapping,
    to_tuple,
)
from monitoring_dsl.model.rules import check_duration, parse_duration
from monitoring_dsl.model.series_notation import NotationError, Value, parse_series, parse_values


def _check_series_text(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    try:
        parse_series(value)  # type: ignore[arg-type]
    except NotationError as error:
        raise SpecError(
            f"{type(instance).__name__}: {attribute.name!r} is not a series: {error.message}",
            help='write the series as promtool does: http_requests_total{status="500"}',
            field=attribute.name,
        ) from None


def _check_values(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    try:
        parse_values(value)  # type: ignore[arg-type]
    except NotationError as error:
        raise SpecError(
            f"{type(instance).__name__}: {attribute.name!r} is not in promtool's series notation: {error.message}",
            help="e.g. '0+10x30' (0, 10, ... 300), '1x20 _x5 stale' (1 for 21 samples, 5 missing, stale)",
            field=attribute.name,
        ) from None


@spec
class Series:
    """One input series of a RuleTest: a concrete series and its values, one per test interval from time 0.

    Example:
        Series('http_requests_total{status="500"}', "0+10x30")
    """

    series: str = attrs.field(validator=_check_series_text)
    values: str = attrs.field(validator=_check_values)
    location: Any = location_field()

    @property
    def name(self) -> str:
        return parse_series(self.series).name

    @property
    def labels(self) -> dict[str, str]:
        return dict(parse_series(self.series).labels)

    def samples(self) -> list[Value]:
        return parse_values(self.values)


def _check_at(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None:
        check_duration(instance, attribute, value)


def _check_optional_mapping(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None:
        check_str_mapping(instance, attribute, value)


@spec
class Fires:
    """Expect alert `alert` to be firing with these labels (beyond the rule's own) at the test's time.

    `labels` are the labels the expression gives the alert; the rule's `severity` and `labels=` are added for
    you. `annotations` are compared exactly when given (the rule's fixed annotations are added for you; give
    the expected text of every templated one); without them only labels are compared.

    Example:
        Fires("APIHighErrorRate", labels={"endpoint": "/pay"})
    """

    alert: str = attrs.field(validator=check_nonempty_str)
    labels: dict[str, str] = attrs.field(factory=dict, converter=to_mapping, validator=check_str_mapping, kw_only=True)
    annotations: dict[str, str] | None = attrs.field(
        default=None, converter=to_mapping, validator=_check_optional_mapping, kw_only=True
    )
    at: str | None = attrs.field(default=None, validator=_check_at, kw_only=True)
    location: Any = location_field()


@spec
class DoesNotFire:
    """Expect alert `alert` not to be firing (it may be pending) at the test's time: a "must not fire" case.

    Example:
        DoesNotFire("APIHighErrorRate")
    """

    alert: str = attrs.field(validator=check_nonempty_str)
    at: str | None = attrs.field(default=None, validator=_check_at, kw_only=True)
    location: Any = location_field()


def _check_value(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not is_number(value):
        raise SpecError(
            f"{type(instance).__name__}: {attribute.name!r} must be a number (got {value!r})", field=attribute.name
        )


@spec
class Sample:
    """Expect the recording rule named by `series` to produce this sample at the test's time.

    All the samples a test expects of one record at one time are its whole result: a series not listed must
    not be there.

    Example:
        Sample('endpoint:http_requests:rate5m{endpoint="/pay"}', 2.5)
    """

    series: str = attrs.field(validator=_check_series_text)
    value: float = attrs.field(validator=_check_value)
    at: str | None = attrs.field(default=None, validator=_check_at, kw_only=True)
    location: Any = location_field()

    @property
    def name(self) -> str:
        return parse_series(self.series).name

    @property
    def labels(self) -> dict[str, str]:
        return dict(parse_series(self.series).labels)


def _to_series(value: object) -> object:
    """`{"series": "values"}` becomes Series objects; a list is kept for the validator."""
    if isinstance(value, Mapping):
        converted = []
        for key, item in value.items():
            try:
                converted.append(Series(key, item))
            except SpecError as error:
                error.field = "series"  # point at `series=` of the RuleTest, where the dict is written
                raise
        return tuple(converted)
    return to_tuple(value)


def _is_expectation(item: object) -> bool:
    return isinstance(item, (Fires, DoesNotFire))


@spec
class RuleTest:
    """A unit test of alerts and recording rules, run on Prometheus's engine by `monitoring-dsl test`.

    `series` maps input series to values in promtool's notation (or lists `Series`); every `interval` one
    sample is taken, from time 0. At `at` (or an expectation's own `at=`), `alerts` say which alerts fire
    (`Fires`) or must not (`DoesNotFire`), and `samples` what recording rules produce (`Sample`).

    Example:
        RuleTest("errors above 1% page after 5m",
                 series={'http_errors_total{endpoint="/pay", status="500"}': "0+6x20",
                         'http_requests_total{endpoint="/pay", method="GET", status="200"}': "0+60x20"},
                 at="10m", alerts=[Fires("APIHighErrorRate")])
    """

    name: str = attrs.field(validator=check_nonempty_str)
    series: tuple[Series, ...] = attrs.field(
        default=(),
        converter=_to_series,
        validator=check_items("Series objects", lambda s: isinstance(s, Series)),
        kw_only=True,
    )
    at: str | None = attrs.field(default=None, validator=check_duration, kw_only=True)
    alerts: tuple[Fires | DoesNotFire, ...] = attrs.field(
        default=(),
        converter=to_tuple,
        validator=check_items("Fires or DoesNotFire objects", _is_expectation),
        kw_only=True,
    )
    samples: tuple[Sample, ...] = attrs.field(
        default=(),
        converter=to_tuple,
        validator=check_items("Sample objects", lambda s: isinstance(s, Sample)),
        kw_only=True,
    )
    interval: str = attrs.field(default="1m", validator=check_duration, kw_only=True)
    allow: dict[str, str] = allow_field()
    location: Any = location_field()

    def __attrs_post_init__(self) -> None:
        if not self.alerts and not self.samples:
            raise SpecError(
                f"RuleTest {self.name!r} expects nothing",
                help="give alerts=[Fires(...)] or [DoesNotFire(...)], or samples=[Sample(...)]",
            )
        untimed = [e for e in (*self.alerts, *self.samples) if e.at is None]
        if self.at is None and untimed:
            raise SpecError(
                f"RuleTest {self.name!r} does not say when to check its expectations",
                help='give at="10m" (the evaluation time, from the first sample), or at= on each expectation',
            )
        if not parse_duration(self.interval):
            raise SpecError(f"RuleTest: 'interval' must be longer than 0 (got {self.interval!r})", field="interval")

    def time_of(self, expectation: Fires | DoesNotFire | Sample) -> str:
        """When `expectation` is checked: its own `at`, else the test's."""
        at = expectation.at or self.at
        assert at is not None, "checked at construction"
        return at

    @property
    def generated(self) -> bool:
        return self.name.startswith(GENERATED_PREFIX)


GENERATED_PREFIX = "[generated] "
