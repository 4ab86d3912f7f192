"""The dashboard vocabulary: Target, panels, Row, Variable, Dashboard, thresholds and links.

Panels take their title first, then one query string, one Target or a list of them; every other option is a
keyword. Layout is automatic unless a panel sets `grid_pos`.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar, cast

import attrs

from monitoring_dsl.model.base import (
    SpecError,
    allow_field,
    check_bool,
    check_choice,
    check_items,
    check_nonempty_str,
    check_optional_count,
    check_optional_number,
    check_optional_positive_int,
    check_optional_str,
    check_str,
    check_str_mapping,
    is_number,
    location_field,
    nearest,
    spec,
    to_mapping,
    to_tuple,
)
from monitoring_dsl.model.rules import Alert, Record

VARIABLE_NAME = r"[a-zA-Z_][a-zA-Z0-9_]*"
VARIABLE_NAME_RE = re.compile(rf"^{VARIABLE_NAME}$")
# Grafana's variable references, the one grammar every stage reads them with: `$name`, `${name}`,
# `${name:format}`, `${name.field}`, `[[name]]`, `[[name:format]]` (the name is in one of the three groups).
VARIABLE_REFERENCE_RE = re.compile(
    rf"\$\{{(?P<braced>{VARIABLE_NAME})(?:[.:][^}}]*)?\}}"
    rf"|\[\[(?P<bracketed>{VARIABLE_NAME})(?::[^\]]*)?\]\]"
    rf"|\$(?P<plain>{VARIABLE_NAME})"
)
# A field's label in a panel or data link (`${__field.labels.job}`).
FIELD_LABEL_RE = re.compile(rf"\$\{{__field\.labels\.(?P<name>{VARIABLE_NAME})\}}")


def referenced_variable(match: re.Match[str]) -> str:
    """The variable a match of VARIABLE_REFERENCE_RE names."""
    return match.group("braced") or match.group("bracketed") or match.group("plain")


def variable_references(text: str) -> list[str]:
    """The variables `text` refers to, in order (macros such as `$__interval` included)."""
    return [referenced_variable(match) for match in VARIABLE_REFERENCE_RE.finditer(text)]


def whole_reference(text: str) -> str | None:
    """The variable `text` consists of (`$ds`, `${ds}`, `[[ds]]`, with any format), or None."""
    match = VARIABLE_REFERENCE_RE.fullmatch(text)
    return referenced_variable(match) if match else None


MAX_PANEL_HEIGHT = 100  # grid units of 30 px: 3,000 pixels, far taller than any screen
MAX_GRID_Y = 1_000_000  # real dashboards reach y = 16,250 (the corpus); the bound only keeps the numbers sane


@spec
class Threshold:
    """One step of a panel's thresholds: from `value` upwards the colour is `color` (None: the base step).

    Example:
        thresholds=[Threshold("green"), Threshold("orange", 0.8), Threshold("red", 0.9)]
    """

    color: str = attrs.field(validator=check_nonempty_str)
    value: float | None = attrs.field(default=None, validator=check_optional_number)
    location: Any = location_field()


@spec
class Link:
    """A link on a dashboard, a panel or a data point.

    `url` links anywhere; `dashboard` links to another dashboard of the project by uid, and `variables` set its
    variables, e.g. `{"endpoint": "${__field.labels.endpoint}"}` to drill down from a series to the endpoint.
    A value that is this dashboard's own variable of the same name (`{"endpoint": "$endpoint"}`) carries every
    selected value (`${endpoint:queryparam}`). `keep_time` keeps the time range, `include_vars=True` carries
    every variable of this dashboard, `new_tab=True` opens the link in a new tab.

    Example:
        Link("Endpoint detail", dashboard="api-performance", variables={"endpoint": "${__field.labels.endpoint}"})
    """

    title: str = attrs.field(validator=check_nonempty_str)
    url: str | None = attrs.field(default=None, validator=check_optional_str)
    dashboard: str | None = attrs.field(default=None, validator=check_optional_str, kw_only=True)
    variables: dict[str, str] = attrs.field(
        factory=dict, converter=to_mapping, validator=check_str_mapping, kw_only=True
    )
    keep_time: bool = attrs.field(default=True, validator=check_bool, kw_only=True)
    new_tab: bool = attrs.field(default=False, validator=check_bool, kw_only=True)
    include_vars: bool = attrs.field(default=False, validator=check_bool, kw_only=True)
    location: Any = location_field()

    def __attrs_post_init__(self) -> None:
        if (self.url is None) == (self.dashboard is None):
            raise SpecError(
                f"Link {self.title!r}: give exactly one of 'url' or 'dashboard' "
                f"(got url={self.url!r}, dashboard={self.dashboard!r})",
                help="Link('Docs', url='https://...') or Link('Detail', dashboard='api-performance')",
            )
        if self.variables and self.dashboard is None:
            raise SpecError(
                f"Link {self.title!r}: 'variables' needs 'dashboard' (got url={self.url!r})",
                help="put the variables in the url yourself, or link to a dashboard by uid",
            )


TARGET_FORMATS = ("time_series", "table", "heatmap")


@spec
class Target:
    """One PromQL query of a panel, with its legend.

    Example:
        Target('sum by (endpoint) (rate(http_requests_total[$__rate_interval]))', legend="{{endpoint}}")
    """

    expr: str = attrs.field(validator=check_nonempty_str)
    legend: str | None = attrs.field(default=None, validator=check_optional_str)
    ref_id: str | None = attrs.field(default=None, validator=check_optional_str, kw_only=True)
    instant: bool = attrs.field(default=False, validator=check_bool, kw_only=True)
    format: str = attrs.field(default="time_series", validator=check_choice(*TARGET_FORMATS), kw_only=True)
    interval: str | None = attrs.field(default=None, validator=check_optional_str, kw_only=True)
    hide: bool = attrs.field(default=False, validator=check_bool, kw_only=True)
    allow: dict[str, str] = allow_field()
    location: Any = location_field()


def _to_targets(value: object) -> object:
    """A panel's queries: a string, a Target, or a list of either, always stored as a tuple of Targets."""
    if isinstance(value, (str, Target)):
        value = (value,)
    if isinstance(value, (list, tuple)):
        return tuple(Target(item) if isinstance(item, str) else item for item in value)
    return value


def _is_target(item: object) -> bool:
    return isinstance(item, Target)


def _check_grid_pos(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is None:
        return
    ok = (
        isinstance(value, tuple)
        and len(value) == 4
        and all(isinstance(v, int) and not isinstance(v, bool) for v in value)
    )
    if not ok:
        raise SpecError(
            f"{type(instance).__name__}: 'grid_pos' must be (x, y, w, h), four integers (got {value!r})",
            field=attribute.name,
        )
    x, y, w, h = cast(tuple[int, int, int, int], value)
    if not (0 <= x < 24 and 0 <= y <= MAX_GRID_Y and 1 <= w <= 24 - x and 1 <= h <= MAX_PANEL_HEIGHT):
        raise SpecError(
            f"{type(instance).__name__}: 'grid_pos' {value!r} does not fit the 24-column grid",
            help=f"x in 0..23, w in 1..24-x, y in 0..{MAX_GRID_Y}, h in 1..{MAX_PANEL_HEIGHT} "
            "(a grid unit is 30 pixels high)",
            field=attribute.name,
        )


def _check_height(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    ok = isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_PANEL_HEIGHT
    if value is not None and not ok:
        raise SpecError(
            f"{type(instance).__name__}: 'height' must be an integer from 1 to {MAX_PANEL_HEIGHT} grid units "
            f"(got {value!r})",
            help="a grid unit is 30 pixels high; 8 is a usual graph",
            field=attribute.name,
        )


def _check_width(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None and (not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 24):
        raise SpecError(
            f"{type(instance).__name__}: 'width' must be an integer from 1 to 24 columns (got {value!r})",
            field=attribute.name,
        )


def _check_percent(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 100:
        raise SpecError(
            f"{type(instance).__name__}: {attribute.name!r} must be an integer from 0 to 100 (got {value!r})",
            field=attribute.name,
        )


def _is_threshold(item: object) -> bool:
    return isinstance(item, Threshold)


def _json_problem(value: object, path: str) -> str | None:
    """Where `value` stops being plain JSON data (dicts with string keys, lists, strings, numbers, booleans,
    None), or None when it is JSON all the way down."""
    if value is None or isinstance(value, (str, bool, int, float)):
        return None
    if isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            problem = _json_problem(item, f"{path}[{index}]")
            if problem:
                return problem
        return None
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                return f"{path} has a key {key!r} that is not a string"
            problem = _json_problem(item, f"{path}[{key!r}]")
            if problem:
                return problem
        return None
    return f"{path} is {type(value).__name__} {value!r}, which JSON cannot hold"


def _check_extra(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, dict):
        raise SpecError(
            f"{type(instance).__name__}: 'extra' must be a dict of Grafana JSON keys (got {value!r})",
            help='e.g. extra={"options": {"tooltip": {"sort": "desc"}}}',
            field=attribute.name,
        )
    problem = _json_problem(value, "extra")
    if problem:
        raise SpecError(
            f"{type(instance).__name__}: 'extra' must be plain JSON data: {problem}",
            help="use dicts, lists, strings, numbers, True/False and None",
            field=attribute.name,
        )


def extra_field() -> Any:
    """`extra={...}`: raw Grafana JSON deep-merged into the emitted object last (an escape hatch, see D530)."""
    return attrs.field(factory=dict, converter=to_mapping, validator=_check_extra, kw_only=True, hash=False)


SPECIAL_MATCHES = ("null", "nan", "null+nan", "true", "false", "empty")
MAPPING_KINDS = ("value", "range", "regex", "special")


@spec
class ValueMapping:
    """Show a value as text (and colour): build one with `ValueMapping.value`, `.range`, `.regex` or `.special`.

    Example:
        mappings=[ValueMapping.value("1", "up", color="green"), ValueMapping.value("0", "down", color="red")]
    """

    kind: str = attrs.field(validator=check_choice(*MAPPING_KINDS))
    text: str = attrs.field(validator=check_str)
    match: str | None = attrs.field(default=None, validator=check_optional_str, kw_only=True)
    low: float | None = attrs.field(default=None, validator=check_optional_number, kw_only=True)
    high: float | None = attrs.field(default=None, validator=check_optional_number, kw_only=True)
    color: str | None = attrs.field(default=None, validator=check_optional_str, kw_only=True)
    location: Any = location_field()

    def __attrs_post_init__(self) -> None:
        if self.kind in ("value", "regex") and not self.match:
            raise SpecError(
                f"ValueMapping.{self.kind}: give the {'value' if self.kind == 'value' else 'pattern'} to match "
                f"(got {self.match!r})",
                field="match",
            )
        if self.kind == "special" and self.match not in SPECIAL_MATCHES:
            hint = nearest(self.match, SPECIAL_MATCHES) if isinstance(self.match, str) else None
            raise SpecError(
                f"ValueMapping.special: 'match' must be one of {', '.join(SPECIAL_MATCHES)} (got {self.match!r})",
                help=f"did you mean {hint!r}?" if hint else None,
                field="match",
            )
        if self.kind == "range" and (self.low is None and self.high is None):
            raise SpecError("ValueMapping.range: give 'low', 'high' or both (got neither)", field="low")

    @classmethod
    def value(cls, value: Any, text: str, **options: Any) -> ValueMapping:
        """Exactly `value` shows as `text`, e.g. `ValueMapping.value("0", "down", color="red")`."""
        return cls("value", text, match=str(value) if is_number(value) else value, **options)

    @classmethod
    def range(cls, low: Any, high: Any, text: str, **options: Any) -> ValueMapping:
        """Values from `low` to `high` (None: unbounded) show as `text`."""
        return cls("range", text, low=low, high=high, **options)

    @classmethod
    def regex(cls, pattern: str, text: str, **options: Any) -> ValueMapping:
        """Text values matching `pattern` show as `text` (`$1` refers to a group)."""
        return cls("regex", text, match=pattern, **options)

    @classmethod
    def special(cls, match: str, text: str, **options: Any) -> ValueMapping:
        """null, nan, null+nan, true, false or empty show as `text`, e.g. `ValueMapping.special("null", "n/a")`."""
        return cls("special", text, match=match, **options)


def _is_mapping(item: object) -> bool:
    return isinstance(item, ValueMapping)


OVERRIDE_MATCHERS = ("name", "regex", "type", "query")
FIELD_TYPES = ("number", "string", "time", "boolean", "other")
AXIS_PLACEMENTS = ("auto", "left", "right", "hidden")


@spec
class Override:
    """Field options for some fields only: a column's unit in a table, one series drawn on the right axis.

    `match` selects the fields: by display name (`by="name"`, the default: `"Value #B"`, a legend), a regular
    expression (`by="regex"`), a field type (`by="type"`: `number`, `string`, `time`) or a query (`by="query"`:
    its ref id, `"B"`). Every other keyword sets one option of those fields.

    Example:
        overrides=[Override("Value #B", unit="percentunit", display_name="Error ratio")]
    """

    match: str = attrs.field(validator=check_nonempty_str)
    by: str = attrs.field(default="name", validator=check_choice(*OVERRIDE_MATCHERS), kw_only=True)
    unit: str | None = attrs.field(default=None, validator=check_optional_str, kw_only=True)
    decimals: int | None = attrs.field(default=None, validator=check_optional_count, kw_only=True)
    min: float | None = attrs.field(default=None, validator=check_optional_number, kw_only=True)
    max: float | None = attrs.field(default=None, validator=check_optional_number, kw_only=True)
    display_name: str | None = attrs.field(default=None, validator=check_optional_str, kw_only=True)
    color: str | None = attrs.field(default=None, validator=check_optional_str, kw_only=True)
    no_value: str | None = attrs.field(default=None, validator=check_optional_str, kw_only=True)
    thresholds: tuple[Threshold, ...] = attrs.field(
        default=(), converter=to_tuple, validator=check_items("Threshold objects", _is_threshold), kw_only=True
    )
    mappings: tuple[ValueMapping, ...] = attrs.field(
        default=(), converter=to_tuple, validator=check_items("ValueMapping objects", _is_mapping), kw_only=True
    )
    width: int | None = attrs.field(default=None, validator=check_optional_positive_int, kw_only=True)
    hidden: bool = attrs.field(default=False, validator=check_bool, kw_only=True)
    axis_placement: str | None = attrs.field(
        default=None, validator=attrs.validators.optional(check_choice(*AXIS_PLACEMENTS)), kw_only=True
    )
    location: Any = location_field()

    def __attrs_post_init__(self) -> None:
        if self.by == "type" and self.match not in FIELD_TYPES:
            hint = nearest(self.match, FIELD_TYPES)
            raise SpecError(
                f"Override: with by='type', 'match' must be one of {', '.join(FIELD_TYPES)} (got {self.match!r})",
                help=f"did you mean {hint!r}?" if hint else "number fields are values, string fields labels",
                field="match",
            )
        if not self.properties():
            raise SpecError(
                f"Override {self.match!r}: set at least one option for the matched fields (got none)",
                help=f"options: {', '.join(OVERRIDE_OPTIONS)}",
            )

    def properties(self) -> dict[str, Any]:
        """The options this override sets, by keyword, in declaration order."""
        values = {name: getattr(self, name) for name in OVERRIDE_OPTIONS}
        return {name: value for name, value in values.items() if not (value is None or value is False or value == ())}


OVERRIDE_OPTIONS = tuple(a.name for a in attrs.fields(cast(Any, Override)) if a.name not in ("match", "by", "location"))


def _is_override(item: object) -> bool:
    return isinstance(item, Override)


TRANSFORMATION_KINDS = ("merge", "organize", "join", "filter")
_TRANSFORMATION_OPTIONS: dict[str, tuple[str, ...]] = {
    "merge": (),
    "organize": ("rename", "exclude", "order"),
    "join": ("field", "mode"),
    "filter": ("include", "pattern"),
}
JOIN_MODES = ("outer", "inner")


@spec
class Transformation:
    """A step Grafana applies to a panel's query results before drawing them. Build one with
    `Transformation.merge()`, `.organize(...)`, `.join(field)` or `.filter(...)`.

    Example:
        transformations=[Transformation.merge(), Transformation.organize(rename={"Value #A": "p95"})]
    """

    kind: str = attrs.field(validator=check_choice(*TRANSFORMATION_KINDS))
    field: str | None = attrs.field(default=None, validator=check_optional_str, kw_only=True)
    mode: str = attrs.field(default="outer", validator=check_choice(*JOIN_MODES), kw_only=True)
    rename: dict[str, str] = attrs.field(
        factory=dict, converter=to_mapping, validator=check_str_mapping, kw_only=True, hash=False
    )
    exclude: tuple[str, ...] = attrs.field(
        default=(), converter=to_tuple, validator=check_items("strings", lambda s: isinstance(s, str)), kw_only=True
    )
    order: tuple[str, ...] = attrs.field(
        default=(), converter=to_tuple, validator=check_items("strings", lambda s: isinstance(s, str)), kw_only=True
    )
    include: tuple[str, ...] = attrs.field(
        default=(), converter=to_tuple, validator=check_items("strings", lambda s: isinstance(s, str)), kw_only=True
    )
    pattern: str | None = attrs.field(default=None, validator=check_optional_str, kw_only=True)
    location: Any = location_field()

    def __attrs_post_init__(self) -> None:
        allowed = _TRANSFORMATION_OPTIONS[self.kind]
        for name, default in (
            ("field", None),
            ("mode", "outer"),
            ("rename", {}),
            ("exclude", ()),
            ("order", ()),
            ("include", ()),
            ("pattern", None),
        ):
            if name not in allowed and getattr(self, name) != default:
                raise SpecError(
                    f"Transformation.{self.kind}: {name!r} is not an option of {self.kind} "
                    f"(got {name}={getattr(self, name)!r})",
                    help=f"{self.kind} takes: {', '.join(allowed) or 'no options'}",
                    field=name,
                )
        if self.kind == "join" and not self.field:
            raise SpecError("Transformation.join: give the field to join on (got none)", help='e.g. "endpoint"')
        if self.kind == "filter" and not self.include and not self.pattern:
            raise SpecError(
                "Transformation.filter: give the field names to keep (include=[...]) or a pattern (got neither)",
                help='e.g. Transformation.filter(include=["endpoint", "Value #A"])',
            )

    @classmethod
    def merge(cls) -> Transformation:
        """Merge the tables of several queries into one, rows joined on their common label columns."""
        return cls("merge")

    @classmethod
    def organize(cls, **options: Any) -> Transformation:
        """Rename (`rename={"Value #A": "p95"}`), hide (`exclude=["Time"]`) and order (`order=[...]`) columns."""
        return cls("organize", **options)

    @classmethod
    def join(cls, field: str, **options: Any) -> Transformation:
        """Join the queries' series on one field (`mode="outer"` or `"inner"`)."""
        return cls("join", field=field, **options)

    @classmethod
    def filter(cls, **options: Any) -> Transformation:
        """Keep only the fields named in `include=[...]` or matching `pattern=`."""
        return cls("filter", **options)


def _is_transformation(item: object) -> bool:
    return isinstance(item, Transformation)


def _is_link(item: object) -> bool:
    return isinstance(item, Link)


@spec
class Panel:
    """Options every panel shares. Not used directly in specs."""

    type: ClassVar[str] = "panel"
    default_width: ClassVar[int] = 12
    default_height: ClassVar[int] = 8

    title: str = attrs.field(validator=check_str)
    targets: tuple[Target, ...] = attrs.field(
        default=(),
        converter=_to_targets,
        validator=check_items("query strings or Target objects", _is_target),
    )
    description: str | None = attrs.field(default=None, validator=check_optional_str, kw_only=True)
    unit: str | None = attrs.field(default=None, validator=check_optional_str, kw_only=True)
    decimals: int | None = attrs.field(default=None, validator=check_optional_count, kw_only=True)
    min: float | None = attrs.field(default=None, validator=check_optional_number, kw_only=True)
    max: float | None = attrs.field(default=None, validator=check_optional_number, kw_only=True)
    thresholds: tuple[Threshold, ...] = attrs.field(
        default=(),
        converter=to_tuple,
        validator=check_items("Threshold objects", _is_threshold),
        kw_only=True,
    )
    links: tuple[Link, ...] = attrs.field(
        default=(), converter=to_tuple, validator=check_items("Link objects", _is_link), kw_only=True
    )
    data_links: tuple[Link, ...] = attrs.field(
        default=(), converter=to_tuple, validator=check_items("Link objects", _is_link), kw_only=True
    )
    width: int | None = attrs.field(default=None, validator=_check_width, kw_only=True)
    height: int | None = attrs.field(default=None, validator=_check_height, kw_only=True)
    grid_pos: tuple[int, int, int, int] | None = attrs.field(
        default=None, converter=to_tuple, validator=_check_grid_pos, kw_only=True
    )
    transparent: bool = attrs.field(default=False, validator=check_bool, kw_only=True)
    no_value: str | None = attrs.field(default=None, validator=check_optional_str, kw_only=True)
    mappings: tuple[ValueMapping, ...] = attrs.field(
        default=(), converter=to_tuple, validator=check_items("ValueMapping objects", _is_mapping), kw_only=True
    )
    overrides: tuple[Override, ...] = attrs.field(
        default=(), converter=to_tuple, validator=check_items("Override objects", _is_override), kw_only=True
    )
    transformations: tuple[Transformation, ...] | None = attrs.field(
        default=None,
        converter=to_tuple,
        validator=attrs.validators.optional(check_items("Transformation objects", _is_transformation)),
        kw_only=True,
    )
    repeat: str | None = attrs.field(default=None, validator=check_optional_str, kw_only=True)
    repeat_direction: str = attrs.field(default="h", validator=check_choice("h", "v"), kw_only=True)
    max_per_row: int | None = attrs.field(default=None, validator=check_optional_positive_int, kw_only=True)
    time_from: str | None = attrs.field(default=None, validator=check_optional_str, kw_only=True)
    time_shift: str | None = attrs.field(default=None, validator=check_optional_str, kw_only=True)
    library_panel: str | None = attrs.field(default=None, validator=check_optional_str, kw_only=True)
    extra: dict[str, Any] = extra_field()
    allow: dict[str, str] = allow_field()
    location: Any = location_field()


LEGEND_MODES = ("list", "table", "hidden")
THRESHOLD_STYLES = ("off", "line", "area", "line+area", "dashed", "dashed+area")
STACKING = ("none", "normal", "percent")


@spec
class TimeSeries(Panel):
    """Series over time: rates, latencies, trends.

    Example:
        TimeSeries("Requests", requests.rate(by=["endpoint"]), unit="reqps")
    """

    type: ClassVar[str] = "timeseries"

    legend: str = attrs.field(default="list", validator=check_choice(*LEGEND_MODES), kw_only=True)
    legend_calcs: tuple[str, ...] = attrs.field(
        default=(),
        converter=to_tuple,
        validator=check_items("strings", lambda s: isinstance(s, str)),
        kw_only=True,
    )
    stacking: str = attrs.field(default="none", validator=check_choice(*STACKING), kw_only=True)
    fill_opacity: int = attrs.field(default=10, validator=_check_percent, kw_only=True)
    draw_style: str = attrs.field(default="line", validator=check_choice("line", "bars", "points"), kw_only=True)
    threshold_style: str | None = attrs.field(
        default=None, validator=attrs.validators.optional(check_choice(*THRESHOLD_STYLES)), kw_only=True
    )
    log_base: int | None = attrs.field(
        default=None, validator=attrs.validators.optional(check_choice(2, 10)), kw_only=True
    )

    @property
    def thresholds_mode(self) -> str:
        """How Grafana draws the thresholds: as asked, else lines when there are thresholds, else not at all."""
        if self.threshold_style is not None:
            return self.threshold_style
        return "line" if self.thresholds else "off"


REDUCERS = ("lastNotNull", "last", "mean", "max", "min", "sum", "count", "firstNotNull")


@spec
class Stat(Panel):
    """One big number, such as "service up" or "requests per second now".

    Example:
        Stat("Service up", "min(up)", thresholds=[Threshold("red"), Threshold("green", 1)])
    """

    type: ClassVar[str] = "stat"
    default_width: ClassVar[int] = 6
    default_height: ClassVar[int] = 5

    reduce: str = attrs.field(default="lastNotNull", validator=check_choice(*REDUCERS), kw_only=True)
    graph: bool = attrs.field(default=True, validator=check_bool, kw_only=True)
    color_mode: str = attrs.field(default="value", validator=check_choice("value", "background", "none"), kw_only=True)


@spec
class GaugePanel(Panel):
    """A dial from `min` to `max`, such as pool usage.

    Example:
        GaugePanel("Pool usage", "db_pool_in_use / db_pool_size", unit="percentunit", min=0, max=1)
    """

    type: ClassVar[str] = "gauge"
    default_width: ClassVar[int] = 6
    default_height: ClassVar[int] = 6

    reduce: str = attrs.field(default="lastNotNull", validator=check_choice(*REDUCERS), kw_only=True)


@spec
class BarGauge(Panel):
    """Horizontal or vertical bars, one per series, such as the top endpoints.

    Example:
        BarGauge("Top endpoints", "topk(10, sum by (endpoint) (rate(http_requests_total[5m])))")
    """

    type: ClassVar[str] = "bargauge"

    reduce: str = attrs.field(default="lastNotNull", validator=check_choice(*REDUCERS), kw_only=True)
    orientation: str = attrs.field(
        default="horizontal", validator=check_choice("horizontal", "vertical", "auto"), kw_only=True
    )
    display_mode: str = attrs.field(
        default="gradient", validator=check_choice("gradient", "lcd", "basic"), kw_only=True
    )


@spec
class Table(Panel):
    """Rows of values, usually from instant queries, such as the slowest endpoints.

    Example:
        Table("Slowest endpoints", Target(latency.quantile(0.95, by=["endpoint"]), instant=True, format="table"))
    """

    type: ClassVar[str] = "table"
    default_width: ClassVar[int] = 24

    sort_by: str | None = attrs.field(default=None, validator=check_optional_str, kw_only=True)
    sort_desc: bool = attrs.field(default=True, validator=check_bool, kw_only=True)


@spec
class Heatmap(Panel):
    """Counts over time and buckets, such as a latency histogram or failures by hour.

    Example:
        Heatmap("Latency", Target('sum by (le) (rate(http_request_duration_seconds_bucket[$__rate_interval]))',
                                  format="heatmap", legend="{{le}}"))
    """

    type: ClassVar[str] = "heatmap"

    color_scheme: str = attrs.field(default="Oranges", validator=check_nonempty_str, kw_only=True)


@spec
class PieChart(Panel):
    """Shares of a whole, such as the distribution of validation failures.

    Example:
        PieChart("Failures by entity", 'sum by (entity) (increase(validation_failures_total[$__range]))')
    """

    type: ClassVar[str] = "piechart"

    pie_type: str = attrs.field(default="pie", validator=check_choice("pie", "donut"), kw_only=True)
    reduce: str = attrs.field(default="lastNotNull", validator=check_choice(*REDUCERS), kw_only=True)


@spec
class Text(Panel):
    """Markdown or HTML text; takes no queries.

    Example:
        Text("About", content="Owned by **payments**. Runbooks: https://runbooks.example/payments")
    """

    type: ClassVar[str] = "text"
    default_width: ClassVar[int] = 24
    default_height: ClassVar[int] = 3

    content: str = attrs.field(default="", validator=check_str, kw_only=True)
    mode: str = attrs.field(default="markdown", validator=check_choice("markdown", "html"), kw_only=True)

    def __attrs_post_init__(self) -> None:
        if self.targets:
            raise SpecError(
                f"Text {self.title!r}: a text panel takes no queries (got {len(self.targets)})",
                help="put the words in content=..., or use another panel type for queries",
            )
        for name in ("mappings", "overrides", "no_value", "transformations"):
            value = getattr(self, name)
            if value not in (None, ()):
                raise SpecError(
                    f"Text {self.title!r}: {name!r} does not apply to a text panel, which shows no data "
                    f"(got {name}={value!r})",
                    help=f"drop {name}=, or use a panel type that shows query results",
                    field=name,
                )


def _is_panel(item: object) -> bool:
    return isinstance(item, Panel)


@spec
class Row:
    """A titled, collapsible band of panels.

    Example:
        Row("Traffic", [TimeSeries(...), Stat(...)])
    """

    title: str = attrs.field(validator=check_str)
    panels: tuple[Panel, ...] = attrs.field(default=(), converter=to_tuple, validator=check_items("panels", _is_panel))
    collapsed: bool = attrs.field(default=False, validator=check_bool, kw_only=True)
    repeat: str | None = attrs.field(default=None, validator=check_optional_str, kw_only=True)
    allow: dict[str, str] = allow_field()
    location: Any = location_field()


VARIABLE_KINDS = ("query", "custom", "interval", "datasource", "constant", "textbox", "adhoc")


def _check_variable_name(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, str) or not VARIABLE_NAME_RE.match(value) or value.startswith("__"):
        raise SpecError(
            f"Variable: 'name' must be an identifier not starting with '__' (got {value!r})",
            help="names like 'endpoint' or 'instance'; Grafana reserves names starting with '__'",
            field=attribute.name,
        )


@spec
class Variable:
    """A dashboard variable. Build one with `Variable.query`, `.custom`, `.interval`, `.constant`, `.textbox` or
    `.adhoc`. `all_value=".*"` (with `include_all=True`) is what "All" stands for in queries.

    Example:
        Variable.query("endpoint", "label_values(http_requests_total, endpoint)", multi=True, include_all=True)
    """

    kind: str = attrs.field(validator=check_choice(*VARIABLE_KINDS))
    name: str = attrs.field(validator=_check_variable_name)
    definition: str = attrs.field(validator=check_str)
    values: tuple[str, ...] = attrs.field(
        default=(),
        converter=to_tuple,
        validator=check_items("strings", lambda s: isinstance(s, str)),
        kw_only=True,
    )
    label: str | None = attrs.field(default=None, validator=check_optional_str, kw_only=True)
    multi: bool = attrs.field(default=False, validator=check_bool, kw_only=True)
    include_all: bool = attrs.field(default=False, validator=check_bool, kw_only=True)
    default: str | None = attrs.field(default=None, validator=check_optional_str, kw_only=True)
    regex: str | None = attrs.field(default=None, validator=check_optional_str, kw_only=True)
    hide: bool = attrs.field(default=False, validator=check_bool, kw_only=True)
    all_value: str | None = attrs.field(default=None, validator=check_optional_str, kw_only=True)
    extra: dict[str, Any] = extra_field()
    allow: dict[str, str] = allow_field()
    location: Any = location_field()

    def __attrs_post_init__(self) -> None:
        if self.all_value is not None and not self.include_all:
            raise SpecError(
                f"Variable {self.name!r}: 'all_value' needs include_all=True (got include_all=False)",
                help="add include_all=True, or drop all_value",
                field="all_value",
            )

    @classmethod
    def constant(cls, name: str, value: str, **options: Any) -> Variable:
        """A hidden fixed value, e.g. `Variable.constant("job", "payments")`, used as `$job` in queries."""
        return cls("constant", name, value, default=value, **options)

    @classmethod
    def textbox(cls, name: str, default: str = "", **options: Any) -> Variable:
        """Free text the user types, e.g. `Variable.textbox("pod_filter", ".*")`."""
        return cls("textbox", name, default, default=default, **options)

    @classmethod
    def adhoc(cls, name: str = "filters", **options: Any) -> Variable:
        """Ad hoc filters: `label=value` pairs the user adds, applied by Grafana to every query of the dashboard."""
        return cls("adhoc", name, "", **options)

    @classmethod
    def query(cls, name: str, query: str, **options: Any) -> Variable:
        """Values from Prometheus, e.g. `Variable.query("endpoint", "label_values(http_requests_total, endpoint)")`."""
        return cls("query", name, query, **options)

    @classmethod
    def custom(cls, name: str, values: Any, **options: Any) -> Variable:
        """Values chosen from a fixed list, e.g. `Variable.custom("quantile", ["0.5", "0.95", "0.99"])`."""
        values = to_tuple(values)
        return cls(
            "custom",
            name,
            ",".join(values) if isinstance(values, tuple) and all(isinstance(v, str) for v in values) else "",
            values=values,
            **options,
        )

    @classmethod
    def interval(cls, name: str, values: Any = ("1m", "5m", "15m", "1h"), **options: Any) -> Variable:
        """A time interval to use in range selectors, e.g. `rate(x[$window])`."""
        values = to_tuple(values)
        return cls(
            "interval",
            name,
            ",".join(values) if isinstance(values, tuple) and all(isinstance(v, str) for v in values) else "",
            values=values,
            **options,
        )

    @property
    def sample_value(self) -> str:
        """A value the variable can take, used to check queries that reference it."""
        if self.values:
            return self.values[0]
        return self.default or ""


@spec
class Annotation:
    """Events drawn over every time series of a dashboard, from a PromQL query: deploys, restarts, alerts.

    Each series the query returns is an event while it has a value. `title` and `text` are templates over the
    series' labels (`{{version}}`); `tags` names labels shown as tags. `Annotation.alerts(...)` draws the
    dashboard's own alerts from Prometheus's `ALERTS` series.

    Example:
        Annotation("Deploys", "changes(app_build_info[$__interval]) > 0", title="deploy {{version}}")
    """

    name: str = attrs.field(validator=check_nonempty_str)
    expr: str = attrs.field(validator=check_nonempty_str)
    title: str = attrs.field(default="", validator=check_str, kw_only=True)
    text: str = attrs.field(default="", validator=check_str, kw_only=True)
    tags: tuple[str, ...] = attrs.field(
        default=(), converter=to_tuple, validator=check_items("label names", lambda s: isinstance(s, str)), kw_only=True
    )
    color: str = attrs.field(default="blue", validator=check_nonempty_str, kw_only=True)
    step: str = attrs.field(default="60s", validator=check_nonempty_str, kw_only=True)
    enabled: bool = attrs.field(default=True, validator=check_bool, kw_only=True)
    hide: bool = attrs.field(default=False, validator=check_bool, kw_only=True)
    allow: dict[str, str] = allow_field()
    location: Any = location_field()

    @classmethod
    def alerts(cls, *rules: Any, name: str = "Alerts", **options: Any) -> Annotation:
        """Firing periods of the given alerts (Alert objects, or RuleGroups for all their alerts), from `ALERTS`.

        Example:
            annotations=[Annotation.alerts(database_alerts)]
        """
        names: list[str] = []
        for item in rules:
            for rule in getattr(item, "rules", (item,)):
                if isinstance(rule, Alert) and rule.name not in names:
                    names.append(rule.name)
                elif not isinstance(rule, (Alert, Record)):
                    raise SpecError(
                        f"Annotation.alerts: expected Alert or RuleGroup objects (got {rule!r})",
                        help="pass the alerts this dashboard is about, e.g. Annotation.alerts(database_alerts)",
                    )
        if not names:
            raise SpecError("Annotation.alerts: give at least one alert (got none)")
        matcher = "|".join(re.escape(n) for n in names) if len(names) > 1 else names[0]
        operator = "=~" if len(names) > 1 else "="
        options.setdefault("title", "{{alertname}}")
        options.setdefault("text", "{{alertname}} is firing ({{severity}})")
        options.setdefault("tags", ("alertname", "severity"))
        options.setdefault("color", "red")
        return cls(name, f'ALERTS{{alertname{operator}"{matcher}", alertstate="firing"}}', **options)


def _is_annotation(item: object) -> bool:
    return isinstance(item, Annotation)


def _is_variable(item: object) -> bool:
    return isinstance(item, Variable)


def _is_row(item: object) -> bool:
    return isinstance(item, Row)


@attrs.frozen
class ImportedFacts:
    """What a plain dashboard JSON file says beyond what the model holds, recorded when it is imported.

    The import flattens rows and leaves `repeat` and `__inputs` out, so the checks that need them read these
    facts, gathered from every object of the file (the HTTP API's wrapping included), never the file's text.
    """

    repeats: tuple[tuple[str, int], ...] = ()  # (variable, line of the key) of each `"repeat": "name"`
    names: frozenset[str] = frozenset()  # every `"name": "identifier"` (variables, `__inputs` constants)
    references: frozenset[str] = frozenset()  # every variable a key or string value of the file refers to
    has_rows: bool = False  # a `"type": "row"` object, or a legacy non-empty `"rows"` list of objects


@spec
class Dashboard:
    """A Grafana dashboard: rows of panels (or a flat list of panels, or both: `panels=` sit above the
    first row), variables, links and tags.

    A `datasource` variable for Prometheus is added automatically; every panel queries through it.

    Example:
        Dashboard("API Performance", uid="api-performance", rows=[Row("Traffic", [...])])
    """

    title: str = attrs.field(validator=check_nonempty_str)
    rows: tuple[Row, ...] = attrs.field(
        default=(), converter=to_tuple, validator=check_items("Row objects", _is_row), kw_only=True
    )
    panels: tuple[Panel, ...] = attrs.field(
        default=(), converter=to_tuple, validator=check_items("panels", _is_panel), kw_only=True
    )
    uid: str | None = attrs.field(default=None, validator=check_optional_str, kw_only=True)
    description: str = attrs.field(default="", validator=check_str, kw_only=True)
    tags: tuple[str, ...] = attrs.field(
        default=(),
        converter=to_tuple,
        validator=check_items("strings", lambda s: isinstance(s, str)),
        kw_only=True,
    )
    variables: tuple[Variable, ...] = attrs.field(
        default=(), converter=to_tuple, validator=check_items("Variable objects", _is_variable), kw_only=True
    )
    links: tuple[Link, ...] = attrs.field(
        default=(), converter=to_tuple, validator=check_items("Link objects", _is_link), kw_only=True
    )
    refresh: str = attrs.field(default="30s", validator=check_str, kw_only=True)
    time_from: str = attrs.field(default="now-6h", validator=check_str, kw_only=True)
    timezone: str = attrs.field(default="browser", validator=check_str, kw_only=True)
    editable: bool = attrs.field(default=True, validator=check_bool, kw_only=True)
    annotations: tuple[Annotation, ...] = attrs.field(
        default=(), converter=to_tuple, validator=check_items("Annotation objects", _is_annotation), kw_only=True
    )
    extra: dict[str, Any] = extra_field()
    allow: dict[str, str] = allow_field()
    location: Any = location_field()
    # Set by the JSON import, like `location`; None for a spec dashboard.
    imported: ImportedFacts | None = attrs.field(default=None, init=False, eq=False, repr=False)

    def all_panels(self) -> tuple[Panel, ...]:
        """Every panel: those above the rows (`panels=`), then the rows' first to last."""
        return (*self.panels, *(panel for row in self.rows for panel in row.panels))


UID_RE = re.compile(r"^[A-Za-z0-9_-]{1,40}$")


def slug_uid(title: str) -> str:
    """A stable uid from a title: lower-case words joined by '-', at most 40 characters."""
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
    return (slug or "dashboard")[:40].rstrip("-")


def dashboard_uid(dashboard: Dashboard) -> str:
    """The uid Grafana will know the dashboard by: the explicit `uid`, else one derived from the title."""
    return dashboard.uid if dashboard.uid is not None else slug_uid(dashboard.title)
