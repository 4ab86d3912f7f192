"""The rule vocabulary: Alert, Record and RuleGroup, compiled into Prometheus rule files.

A module-level Alert or Record that no RuleGroup holds goes into a group named after its spec module.
"""

from __future__ import annotations

import re
from typing import Any

import attrs

from monitoring_dsl.model.base import (
    SpecError,
    allow_field,
    check_bool,
    check_items,
    check_nonempty_str,
    check_optional_positive_int,
    check_optional_str,
    check_str_mapping,
    location_field,
    spec,
    to_mapping,
    to_tuple,
)

# Prometheus's duration syntax: number-unit pairs from the largest unit to the smallest, e.g. `1h30m`.
DURATION_RE = re.compile(r"^(\d+y)?(\d+w)?(\d+d)?(\d+h)?(\d+m)?(\d+s)?(\d+ms)?$")
_PAIR_RE = re.compile(r"(\d+)(ms|y|w|d|h|m|s)")
_UNIT_SECONDS = {"y": 365 * 86400, "w": 7 * 86400, "d": 86400, "h": 3600, "m": 60, "s": 1, "ms": 0.001}


def parse_duration(text: str) -> float | None:
    """Seconds in a Prometheus duration such as `1h30m`, or None when `text` is not one."""
    if text == "0":
        return 0.0
    if not text or not DURATION_RE.match(text):
        return None
    return float(sum(int(n) * _UNIT_SECONDS[unit] for n, unit in _PAIR_RE.findall(text)))


def format_duration(seconds: float, *, milliseconds: bool = True) -> str:
    """The shortest Prometheus duration for `seconds` in one unit: `5m`, `90s`, `1500ms`.

    With `milliseconds=False` a duration that is not whole seconds is written in decimal seconds (`1.5s`), as
    messages quote it; with the default it is the `ms` duration Prometheus's files accept.
    """
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    if seconds == 0:
        return "0s"
    return f"{round(seconds * 1000)}ms" if milliseconds else f"{seconds}s"


def check_duration(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is None:
        return
    if not isinstance(value, str) or parse_duration(value) is None:
        raise SpecError(
            f"{type(instance).__name__}: {attribute.name!r} must be a Prometheus duration such as '5m' or "
            f"'1h30m' (got {value!r})",
            help="units: ms, s, m, h, d, w, y; largest first, no spaces",
            field=attribute.name,
        )


@attrs.frozen
class KeyMarks:
    """Where the keys of a rule imported from a YAML file are, recorded from the parser's node marks.

    `keys` holds, for each key name written at the start of a line of the rule's item (the rule's own keys and
    those of its `labels:` and `annotations:`), the 1-based line and column of its first appearance; `last_line`
    is the item's last line, comments and blank lines before the next item included.
    """

    keys: dict[str, tuple[int, int]] = attrs.field(factory=dict)
    last_line: int = 0


@spec
class Alert:
    """An alerting rule: fires when `expr` has results for `for_`.

    `keep_firing_for` keeps it firing that long after `expr` stops returning results (Prometheus 2.42).
    `severity`, `summary`, `description` and `runbook_url` become the conventional label and annotations;
    `labels` and `annotations` add any others. `boundary_tests=True` asks `monitoring-dsl test` for two
    generated tests of a simple threshold (`series > 10`): just past it fires after `for_`, just short never does.

    Example:
        Alert("HighErrorRate", 'sum(rate(http_errors_total[5m])) / sum(rate(http_requests_total[5m])) > 0.01',
              for_="5m", severity="warning", summary="API error rate above 1%")
    """

    name: str = attrs.field(validator=check_nonempty_str)
    expr: str = attrs.field(validator=check_nonempty_str)
    for_: str | None = attrs.field(default=None, validator=check_duration, kw_only=True)
    keep_firing_for: str | None = attrs.field(default=None, validator=check_duration, kw_only=True)
    severity: str | None = attrs.field(default=None, validator=check_optional_str, kw_only=True)
    summary: str | None = attrs.field(default=None, validator=check_optional_str, kw_only=True)
    description: str | None = attrs.field(default=None, validator=check_optional_str, kw_only=True)
    runbook_url: str | None = attrs.field(default=None, validator=check_optional_str, kw_only=True)
    labels: dict[str, str] = attrs.field(factory=dict, converter=to_mapping, validator=check_str_mapping, kw_only=True)
    annotations: dict[str, str] = attrs.field(
        factory=dict, converter=to_mapping, validator=check_str_mapping, kw_only=True
    )
    boundary_tests: bool = attrs.field(default=False, validator=check_bool, kw_only=True)
    allow: dict[str, str] = allow_field()
    location: Any = location_field()
    marks: KeyMarks | None = attrs.field(default=None, init=False, eq=False, repr=False)  # set by the YAML import

    def all_labels(self) -> dict[str, str]:
        """The rule's labels as Prometheus sees them: `severity` first, then the others sorted."""
        merged = {"severity": self.severity} if self.severity is not None else {}
        merged.update(sorted(self.labels.items()))
        return merged

    def all_annotations(self) -> dict[str, str]:
        """summary, description, runbook_url, then the other annotations sorted."""
        merged: dict[str, str] = {}
        for key in ("summary", "description", "runbook_url"):
            value = getattr(self, key)
            if value is not None:
                merged[key] = value
        merged.update(sorted(self.annotations.items()))
        return merged


@spec
class Record:
    """A recording rule: stores `expr` as a new series `name`, conventionally `level:metric:operations`.

    Example:
        Record("endpoint:http_requests:rate5m", "sum by (endpoint) (rate(http_requests_total[5m]))")
    """

    name: str = attrs.field(validator=check_nonempty_str)
    expr: str = attrs.field(validator=check_nonempty_str)
    labels: dict[str, str] = attrs.field(factory=dict, converter=to_mapping, validator=check_str_mapping, kw_only=True)
    allow: dict[str, str] = allow_field()
    location: Any = location_field()
    marks: KeyMarks | None = attrs.field(default=None, init=False, eq=False, repr=False)  # set by the YAML import


def _is_rule(item: object) -> bool:
    return isinstance(item, (Alert, Record))


@spec
class RuleGroup:
    """Rules evaluated together at one interval; one group per entry of the module's rule file.

    Example:
        RuleGroup("api", [Alert(...), Record(...)], interval="30s")
    """

    name: str = attrs.field(validator=check_nonempty_str)
    rules: tuple[Alert | Record, ...] = attrs.field(
        default=(), converter=to_tuple, validator=check_items("Alert or Record objects", _is_rule)
    )
    interval: str | None = attrs.field(default=None, validator=check_duration, kw_only=True)
    limit: int | None = attrs.field(default=None, validator=check_optional_positive_int, kw_only=True)
    allow: dict[str, str] = allow_field()
    location: Any = location_field()
