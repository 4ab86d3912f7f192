"""Load, for Grafana dashboards: dashboard JSON becomes Dashboard, panel, Target and Variable objects at their lines.

The JSON is read by `json_positions.parse_json`, whose objects remember the line of their `{`; this module is
only the mapping from Grafana's dashboard model to ours.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import attrs

from monitoring_dsl.load.json_positions import JsonObject
from monitoring_dsl.model.dashboards import (
    TARGET_FORMATS,
    UID_RE,
    BarGauge,
    Dashboard,
    GaugePanel,
    Heatmap,
    ImportedFacts,
    Link,
    Panel,
    PieChart,
    Stat,
    Table,
    Target,
    Text,
    Threshold,
    TimeSeries,
    Variable,
    variable_references,
    whole_reference,
)

if TYPE_CHECKING:
    from monitoring_dsl.load.plain import Importing

# --- from dashboard JSON to the model -----------------------------------------------------------------------

_PANEL_TYPES: dict[str, type[Panel]] = {
    "timeseries": TimeSeries,
    "graph": TimeSeries,
    "stat": Stat,
    "singlestat": Stat,
    "gauge": GaugePanel,
    "bargauge": BarGauge,
    "table": Table,
    "table-old": Table,
    "heatmap": Heatmap,
    "piechart": PieChart,
    "grafana-piechart-panel": PieChart,
    "text": Text,
}
_MIXED = "-- Mixed --"
_SPECIAL_DATASOURCES = {
    _MIXED: _MIXED,
    "-- Grafana --": "grafana",
    "grafana": "grafana",
    "-- Dashboard --": "dashboard",
}


def find_dashboard(data: object) -> JsonObject | None:
    """The dashboard in `data`: the object itself when it has `panels` or `rows`, or its `dashboard` member
    (the Grafana HTTP API's wrapping) when that has them."""
    if isinstance(data, JsonObject) and ("panels" in data or "rows" in data):
        return data
    inner = data.get("dashboard") if isinstance(data, JsonObject) else None
    if isinstance(inner, JsonObject) and ("panels" in inner or "rows" in inner):
        return inner
    return None


@attrs.frozen
class _Datasources:
    """The plugin type behind each datasource reference (`${DS_PROMETHEUS}`, `$datasource`) the dashboard
    declares, through its `__inputs` or its datasource variables."""

    types: dict[str, str]

    @classmethod
    def of(cls, board: JsonObject) -> _Datasources:
        types: dict[str, str] = {}
        for item in _objects(board.get("__inputs")):
            if item.get("type") == "datasource" and isinstance(item.get("name"), str):
                types[item["name"]] = _str(item.get("pluginId")) or ""
        for item in _objects(_get(board, "templating", "list")):
            if item.get("type") == "datasource" and isinstance(item.get("name"), str):
                types[item["name"]] = _str(item.get("query")) or ""
        return cls({name: kind for name, kind in types.items() if kind})

    def type_of(self, datasource: object) -> str | None:
        """The plugin type of a panel's or target's `datasource`; None when unknown (the default one)."""
        if isinstance(datasource, dict):
            kind = datasource.get("type")
            if isinstance(kind, str) and kind and not kind.startswith("$") and kind != "datasource":
                return kind
            datasource = datasource.get("uid")
        if not isinstance(datasource, str):
            return None
        if datasource in _SPECIAL_DATASOURCES:
            return _SPECIAL_DATASOURCES[datasource]
        variable = whole_reference(datasource)
        return self.types.get(variable) if variable else None

    def is_prometheus(self, datasource: object, fallback: object = None) -> bool:
        """Whether queries on `datasource` (or `fallback`, the panel's, when it is unset) go to Prometheus."""
        kind = self.type_of(datasource if datasource is not None else fallback)
        return kind in (None, _MIXED, "prometheus")


def import_dashboard(board: JsonObject, out: Importing, file: object = None) -> None:
    """The dashboard `board`, with its panels flattened out of rows, into `out`; `file` is the whole JSON value
    the board was found in (the board itself when None), whose facts the dashboard records."""
    sources = _Datasources.of(board)
    panels = [panel for raw in _raw_panels(board) if (panel := _panel(raw, sources, out)) is not None]
    templating = _objects(_get(board, "templating", "list"))
    variables = [var for raw in templating if (var := _variable(raw, sources, out)) is not None]
    title = board.get("title")
    dashboard = out.build(
        Dashboard,
        board.line,
        title if isinstance(title, str) else "",
        panels=panels,
        variables=variables,
        links=_links(board.get("links"), out),
        **_dashboard_options(board),
    )
    if dashboard is not None:
        object.__setattr__(dashboard, "imported", imported_facts(board if file is None else file))
        out.declare(dashboard)


_IDENTIFIER = re.compile(r"[A-Za-z_]\w*")


def imported_facts(data: object) -> ImportedFacts:
    """The facts of a whole dashboard file the model does not hold, in one walk over every object of `data`."""
    repeats: list[tuple[str, int]] = []
    names: set[str] = set()
    references: set[str] = set()
    has_rows = False
    stack: list[object] = [data]
    while stack:  # depth first in document order, on an explicit stack: no file exhausts the recursion limit
        value = stack.pop()
        if isinstance(value, str):
            references.update(variable_references(value))
        elif isinstance(value, list):
            stack.extend(reversed(value))
        elif isinstance(value, JsonObject):
            for key, item in value.items():
                references.update(variable_references(key))
                if isinstance(item, str) and key in ("repeat", "name") and _IDENTIFIER.fullmatch(item):
                    if key == "repeat":
                        repeats.append((item, value.key_lines.get(key, value.line)))
                    else:
                        names.add(item)
            has_rows = has_rows or value.get("type") == "row" or _lists_objects(value.get("rows"))
            stack.extend(reversed(value.values()))
    return ImportedFacts(tuple(repeats), frozenset(names), frozenset(references), has_rows)


def _lists_objects(value: object) -> bool:
    return isinstance(value, list) and bool(value) and isinstance(value[0], dict)


def _dashboard_options(board: JsonObject) -> dict[str, Any]:
    uid = board.get("uid")
    tags = board.get("tags")
    options = {
        "uid": uid if isinstance(uid, str) and UID_RE.match(uid) else None,
        "description": _str(board.get("description")),
        "tags": [tag for tag in tags if isinstance(tag, str)] if isinstance(tags, list) else None,
        "refresh": _str(board.get("refresh")),
        "time_from": _str(_get(board, "time", "from")),
        "timezone": _str(board.get("timezone")),
        "editable": board.get("editable") if isinstance(board.get("editable"), bool) else None,
    }
    return {key: value for key, value in options.items() if value is not None}


def _raw_panels(board: JsonObject) -> Iterator[JsonObject]:
    """Every panel object: legacy `rows[].panels`, then modern `panels` with the panels of collapsed rows."""
    for row in _objects(board.get("rows")):
        yield from _objects(row.get("panels"))
    for item in _objects(board.get("panels")):
        if item.get("type") == "row":
            yield from (panel for panel in _objects(item.get("panels")) if panel.get("type") != "row")
        else:
            yield item


def _panel(raw: JsonObject, sources: _Datasources, out: Importing) -> Panel | None:
    kind = raw.get("type")
    cls = _PANEL_TYPES.get(kind) if isinstance(kind, str) else None
    title = raw.get("title") if isinstance(raw.get("title"), str) else ""
    options = _panel_options(raw, out)
    if cls is Text:
        content = _str(_get(raw, "options", "content")) or _str(raw.get("content")) or ""
        mode = _str(_get(raw, "options", "mode")) or _str(raw.get("mode"))
        options.update(content=content, mode=mode if mode in ("markdown", "html") else "markdown")
        return out.build(Text, raw.where, title, **options)
    queries = list(_objects(raw.get("targets")))
    ours = [item for item in queries if sources.is_prometheus(item.get("datasource"), raw.get("datasource"))]
    targets = [target for item in ours if (target := _target(item, out)) is not None]
    if not targets and (cls is None or len(ours) < len(queries)):
        return None  # a logs panel, an alert list, or queries to another datasource: nothing to check
    return out.build(cls or TimeSeries, raw.where, title, targets, **options)


def _target(raw: JsonObject, out: Importing) -> Target | None:
    """A Prometheus query; None for another datasource's query, or an empty one (Grafana does not run those)."""
    expr = raw.get("expr")
    if not isinstance(expr, str) or not expr.strip():
        return None
    target_format = raw.get("format")
    options = {
        "legend": _str(raw.get("legendFormat")) or None,
        "ref_id": _str(raw.get("refId")),
        "instant": raw.get("instant") if isinstance(raw.get("instant"), bool) else None,
        "format": target_format if target_format in TARGET_FORMATS else None,
        "interval": _str(raw.get("interval")) or None,
        "hide": raw.get("hide") if isinstance(raw.get("hide"), bool) else None,
    }
    return out.build(Target, raw.where, expr, **{key: value for key, value in options.items() if value is not None})


def _panel_options(raw: JsonObject, out: Importing) -> dict[str, Any]:
    defaults = _get(raw, "fieldConfig", "defaults")
    defaults = defaults if isinstance(defaults, dict) else {}
    options = {
        "description": _str(raw.get("description")) or None,
        "unit": _unit(raw, defaults),
        "decimals": _count(defaults.get("decimals", raw.get("decimals"))),
        "min": _number(defaults.get("min")),
        "max": _number(defaults.get("max")),
        "thresholds": _thresholds(_get(defaults, "thresholds", "steps"), out) or None,
        "links": _links(raw.get("links"), out) or None,
        "grid_pos": _grid_pos(raw.get("gridPos")),
        "width": _width(raw.get("span")),
        "transparent": raw.get("transparent") if isinstance(raw.get("transparent"), bool) else None,
    }
    return {key: value for key, value in options.items() if value is not None}


def _unit(raw: JsonObject, defaults: dict[str, Any]) -> str | None:
    """`fieldConfig.defaults.unit`, or a legacy panel's `format` or first y-axis format."""
    axes = raw.get("yaxes")
    first_axis = axes[0] if isinstance(axes, list) and axes and isinstance(axes[0], dict) else {}
    for candidate in (defaults.get("unit"), raw.get("format"), first_axis.get("format")):
        if isinstance(candidate, str) and candidate:
            return candidate
    return None


def _thresholds(steps: object, out: Importing) -> list[Threshold]:
    built = (
        out.build(Threshold, step.where, step.get("color"), _number(step.get("value")))
        for step in _objects(steps)
        if isinstance(step.get("color"), str)
    )
    return [threshold for threshold in built if threshold is not None]


def _links(items: object, out: Importing) -> list[Link]:
    """Links to a URL with a title; links that find dashboards by tag have no model counterpart."""
    built = (
        out.build(Link, item.where, item["title"], item["url"], new_tab=item.get("targetBlank") is True)
        for item in _objects(items)
        if _str(item.get("title")) and _str(item.get("url"))
    )
    return [link for link in built if link is not None]


def _grid_pos(value: object) -> tuple[object, ...] | None:
    """(x, y, w, h) as written, Grafana's missing x or y meaning 0; the model refuses a grid that is off."""
    if not isinstance(value, dict):
        return None
    return (value.get("x", 0), value.get("y", 0), value.get("w"), value.get("h"))


def _width(span: object) -> int | None:
    """A legacy panel's `span` (of 12 columns) in the 24-column grid, when it is a whole number of columns."""
    columns = _number(span)
    if columns is None:
        return None
    width = float(columns) * 2
    return int(width) if width.is_integer() and 1 <= width <= 24 else None


def _variable(raw: JsonObject, sources: _Datasources, out: Importing) -> Variable | None:
    kind, name = raw.get("type"), raw.get("name")
    options = _variable_options(raw)
    if kind == "query" and sources.is_prometheus(raw.get("datasource")):
        return out.build(Variable.query, raw.where, name, _query_definition(raw), **options)
    if kind == "custom":
        return out.build(Variable.custom, raw.where, name, _custom_values(raw), **options)
    if kind == "interval":
        values = _split(raw.get("query"))
        return out.build(Variable.interval, raw.where, name, *([values] if values else []), **options)
    current = _current(raw)
    return out.build(Variable, raw.where, "constant", name, current, default=current, **options)


def _variable_options(raw: JsonObject) -> dict[str, Any]:
    options = {
        "label": _str(raw.get("label")) or None,
        "multi": raw.get("multi") if isinstance(raw.get("multi"), bool) else None,
        "include_all": raw.get("includeAll") if isinstance(raw.get("includeAll"), bool) else None,
        "regex": _str(raw.get("regex")) or None,
        "hide": raw.get("hide") == 2,  # 1 hides only the label
    }
    return {key: value for key, value in options.items() if value is not None}


def _query_definition(raw: JsonObject) -> str:
    """A query variable's query: `definition`, else `query`, which newer Grafana makes an object."""
    query = raw.get("query")
    if isinstance(query, dict):
        query = query.get("query")
    return _str(raw.get("definition")) or _str(query) or ""


def _custom_values(raw: JsonObject) -> list[str]:
    values = [value for item in _objects(raw.get("options")) if isinstance(value := item.get("value"), str)]
    if values:
        return values
    # "a,b" or "label : value, ..." as typed in Grafana's editor
    return [item.split(" : ", 1)[-1] for item in _split(raw.get("query"))]


def _current(raw: JsonObject) -> str:
    """The variable's current value (the first, when several are selected), else its query."""
    value = _get(raw, "current", "value")
    if isinstance(value, list):
        value = next((item for item in value if isinstance(item, str)), None)
    return _str(value) or _str(raw.get("query")) or ""


# --- small readers of untrusted JSON ------------------------------------------------------------------------


def _objects(value: object) -> Iterator[JsonObject]:
    """The objects in a JSON array; anything else in it, or a non-array, gives nothing."""
    if isinstance(value, list):
        yield from (item for item in value if isinstance(item, JsonObject))


def _get(value: object, *keys: str) -> object:
    for key in keys:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def _str(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _number(value: object) -> float | None:
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _count(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def _split(value: object) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()] if isinstance(value, str) else []
