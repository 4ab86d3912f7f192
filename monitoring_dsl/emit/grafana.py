"""Grafana dashboard JSON, built through grafanalib: the only module that imports it.

grafanalib knows the panel types' structure; where its model lags Grafana 10+ (thresholds steps, gauge
options, data links, the heatmap panel), the panel's `extraJson` supplies the current shape, and keys that only
Grafana 6 and 7 read are dropped. Options grafanalib has no words for (overrides, value mappings,
transformations, repeat, time shift, annotations) are added as plain JSON here, and a spec's `extra={...}` is
deep-merged last. The result targets schemaVersion 39 (Grafana 10.4 and later); every panel and target queries
through the `datasource` variable.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import attrs
import grafanalib.core as G

from monitoring_dsl.emit.layout import Box, layout
from monitoring_dsl.model import dashboards as m
from monitoring_dsl.model.stack import DATASOURCE_UID

SCHEMA_VERSION = 39
DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}
_REF_IDS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _ref_id(index: int) -> str:
    return _REF_IDS[index] if index < len(_REF_IDS) else f"Q{index}"


def _targets(panel: m.Panel) -> list[G.Target]:
    return [
        G.Target(
            expr=target.expr.strip(),
            legendFormat=target.legend or "",
            refId=target.ref_id or _ref_id(index),
            instant=target.instant,
            format=target.format,
            interval=target.interval or "",
            hide=target.hide,
            datasource=DATASOURCE,
        )
        for index, target in enumerate(panel.targets)
    ]


@attrs.frozen
class _Links:
    """How links of one panel are written: the dashboard's variable names, and whether the panel's queries
    are tables (whose rows carry labels as fields, `${__data.fields.x}`, not as series labels)."""

    variables: frozenset[str] = frozenset()
    table: bool = False


def _link_url(link: m.Link, links: _Links, *, panel: bool = True) -> str:
    """The URL of a link. On a panel or data link the time range and variables travel in the URL; a dashboard
    link says so with `keepTime`/`includeVars` instead, so its URL carries neither."""
    if link.url is not None:
        if panel and link.include_vars:
            return link.url + ("&" if "?" in link.url else "?") + "${__all_variables}"
        return link.url
    params = []
    for name, value in sorted(link.variables.items()):
        if value in (f"${name}", f"${{{name}}}") and name in links.variables:
            params.append(f"${{{name}:queryparam}}")  # every selected value, as var-name=a&var-name=b
            continue
        if links.table:
            value = m.FIELD_LABEL_RE.sub(lambda label: f"${{__data.fields.{label.group('name')}}}", value)
        params.append(f"var-{quote(name)}={value}")
    if panel and link.include_vars:
        params.append("${__all_variables}")
    if panel and link.keep_time:
        params.append("${__url_time_range}")
    return f"/d/{link.dashboard}" + ("?" + "&".join(params) if params else "")


def _data_link(link: m.Link, links: _Links) -> dict[str, Any]:
    return {"title": link.title, "url": _link_url(link, links), "targetBlank": link.new_tab}


def _thresholds(panel: m.Panel) -> dict[str, Any]:
    return _thresholds_of(panel.thresholds)


def _thresholds_of(thresholds: tuple[m.Threshold, ...]) -> dict[str, Any]:
    steps = [{"color": t.color, "value": t.value} for t in thresholds]
    if not steps:
        steps = [{"color": "green", "value": None}]
    elif steps[0]["value"] is not None:
        steps.insert(0, {"color": "green", "value": None})
    return {"mode": "absolute", "steps": steps}


def _mapping(mapping: m.ValueMapping, index: int) -> dict[str, Any]:
    result: dict[str, Any] = {"text": mapping.text, "index": index}
    if mapping.color is not None:
        result["color"] = mapping.color
    if mapping.kind == "value":
        assert mapping.match is not None
        return {"type": "value", "options": {mapping.match: result}}
    if mapping.kind == "range":
        return {"type": "range", "options": {"from": mapping.low, "to": mapping.high, "result": result}}
    if mapping.kind == "regex":
        return {"type": "regex", "options": {"pattern": mapping.match, "result": result}}
    return {"type": "special", "options": {"match": mapping.match, "result": result}}


def _mappings(mappings: tuple[m.ValueMapping, ...]) -> list[dict[str, Any]]:
    return [_mapping(mapping, index) for index, mapping in enumerate(mappings)]


def _field_defaults(panel: m.Panel, links: _Links) -> dict[str, Any]:
    defaults: dict[str, Any] = {
        "thresholds": _thresholds(panel),
        "unit": panel.unit or "none",
        "links": [_data_link(link, links) for link in panel.data_links],
    }
    if panel.mappings:
        defaults["mappings"] = _mappings(panel.mappings)
    for key in ("decimals", "min", "max"):
        value = getattr(panel, key)
        if value is not None:
            defaults[key] = value
    return defaults


_MATCHERS = {"name": "byName", "regex": "byRegexp", "type": "byType", "query": "byFrameRefID"}


def _override_property(key: str, value: Any, panel: m.Panel) -> dict[str, Any]:
    if key == "display_name":
        return {"id": "displayName", "value": value}
    if key == "no_value":
        return {"id": "noValue", "value": value}
    if key == "color":
        return {"id": "color", "value": {"mode": "fixed", "fixedColor": value}}
    if key == "thresholds":
        return {"id": "thresholds", "value": _thresholds_of(value)}
    if key == "mappings":
        return {"id": "mappings", "value": _mappings(value)}
    if key == "width":
        return {"id": "custom.width", "value": value}
    if key == "hidden":
        if isinstance(panel, m.Table):
            return {"id": "custom.hidden", "value": True}
        return {"id": "custom.hideFrom", "value": {"legend": True, "tooltip": True, "viz": True}}
    if key == "axis_placement":
        return {"id": "custom.axisPlacement", "value": value}
    return {"id": key, "value": value}  # unit, decimals, min, max: Grafana's own names


def _overrides(panel: m.Panel) -> list[dict[str, Any]]:
    return [
        {
            "matcher": {"id": _MATCHERS[override.by], "options": override.match},
            "properties": [_override_property(k, v, panel) for k, v in override.properties().items()],
        }
        for override in panel.overrides
    ]


def _transformation(step: m.Transformation) -> dict[str, Any]:
    if step.kind == "merge":
        return {"id": "merge", "options": {}}
    if step.kind == "organize":
        return {
            "id": "organize",
            "options": {
                "excludeByName": {name: True for name in step.exclude},
                "indexByName": {name: index for index, name in enumerate(step.order)},
                "renameByName": dict(step.rename),
            },
        }
    if step.kind == "join":
        return {"id": "joinByField", "options": {"byField": step.field, "mode": step.mode}}
    include: dict[str, Any] = {"names": list(step.include)} if step.include else {}
    if step.pattern:
        include["pattern"] = step.pattern
    return {"id": "filterFieldsByName", "options": {"include": include}}


def table_queries(panel: m.Panel) -> int:
    """How many visible table-format queries the panel has."""
    return sum(1 for target in panel.targets if target.format == "table" and not target.hide)


def _transformations(panel: m.Panel) -> list[dict[str, Any]]:
    """The panel's transformations: as declared, else a merge for a Table of several table-format queries
    (without it Grafana shows one table per query behind a picker)."""
    if panel.transformations is not None:
        return [_transformation(step) for step in panel.transformations]
    if isinstance(panel, m.Table) and table_queries(panel) >= 2:
        return [{"id": "merge", "options": {}}]
    return []


def _reduce(calc: str) -> dict[str, Any]:
    return {"calcs": [calc], "fields": "", "values": False}


def _common(panel: m.Panel, box: Box, panel_id: int, links: _Links) -> dict[str, Any]:
    return {
        "dataSource": DATASOURCE,
        "targets": _targets(panel),
        "title": panel.title,
        "description": panel.description,
        "id": panel_id,
        "gridPos": G.GridPos(h=box.h, w=box.w, x=box.x, y=box.y),
        "links": [G.DataLink(link.title, _link_url(link, links), link.new_tab) for link in panel.links],
        "transparent": panel.transparent,
        "maxDataPoints": None,  # let Grafana derive the resolution from the panel's width
    }


def _links_for(panel: m.Panel, variables: frozenset[str]) -> _Links:
    table = isinstance(panel, m.Table) or bool(panel.targets and all(t.format == "table" for t in panel.targets))
    return _Links(variables, table)


def _panel(panel: m.Panel, box: Box, panel_id: int, variables: frozenset[str]) -> dict[str, Any]:
    """One panel's JSON: grafanalib's panel, modernised, with the options grafanalib lacks, then `extra`."""
    links = _links_for(panel, variables)
    data: dict[str, Any] = _plain(_grafanalib_panel(panel, box, panel_id, links))
    _modernise(data)
    _add_options(data, panel)
    return deep_merge(data, panel.extra)


def _time_series(panel: m.TimeSeries, common: dict[str, Any], defaults: dict[str, Any]) -> G.Panel:
    return G.TimeSeries(
        **common,
        unit=defaults["unit"],
        legendDisplayMode="list" if panel.legend == "hidden" else panel.legend,
        legendCalcs=list(panel.legend_calcs),
        stacking={"mode": panel.stacking, "group": "A"},
        fillOpacity=panel.fill_opacity,
        drawStyle=panel.draw_style,
        tooltipMode="multi",
        extraJson={
            "fieldConfig": {"defaults": defaults},
            "options": {"legend": {"showLegend": panel.legend != "hidden"}},
        },
    )


def _stat(panel: m.Stat, common: dict[str, Any], defaults: dict[str, Any]) -> G.Panel:
    return G.Stat(
        **common,
        format=defaults["unit"],
        reduceCalc=panel.reduce,
        graphMode="area" if panel.graph else "none",
        colorMode=panel.color_mode,
        extraJson={"fieldConfig": {"defaults": {**defaults, "color": {"mode": "thresholds"}}}},
    )


def _gauge(panel: m.GaugePanel, common: dict[str, Any], defaults: dict[str, Any]) -> G.Panel:
    return G.GaugePanel(
        **common,
        format=defaults["unit"],
        calc=panel.reduce,
        extraJson={
            "fieldConfig": {"defaults": {**defaults, "color": {"mode": "thresholds"}}},
            "options": {
                "reduceOptions": _reduce(panel.reduce),
                "showThresholdLabels": False,
                "showThresholdMarkers": True,
            },
        },
    )


def _bar_gauge(panel: m.BarGauge, common: dict[str, Any], defaults: dict[str, Any]) -> G.Panel:
    return G.BarGauge(
        **common,
        format=defaults["unit"],
        calc=panel.reduce,
        orientation=panel.orientation,
        displayMode=panel.display_mode,
        extraJson={
            "fieldConfig": {"defaults": {**defaults, "color": {"mode": "thresholds"}}},
            "options": {"reduceOptions": _reduce(panel.reduce), "showUnfilled": True},
        },
    )


def _table(panel: m.Table, common: dict[str, Any], defaults: dict[str, Any]) -> G.Panel:
    sort = [{"displayName": panel.sort_by, "desc": panel.sort_desc}] if panel.sort_by else []
    return G.Table(
        **common,
        unit=defaults["unit"],
        extraJson={"fieldConfig": {"defaults": defaults}, "options": {"sortBy": sort}},
    )


def _heatmap(panel: m.Heatmap, common: dict[str, Any], defaults: dict[str, Any]) -> G.Panel:
    return G.Heatmap(
        **common,
        extraJson={
            "fieldConfig": {"defaults": defaults},
            "options": {
                "calculate": False,
                "cellGap": 1,
                "color": {
                    "mode": "scheme",
                    "scheme": panel.color_scheme,
                    "fill": "dark-orange",
                    "scale": "exponential",
                    "exponent": 0.5,
                    "steps": 64,
                    "reverse": False,
                },
                "yAxis": {"axisPlacement": "left", "unit": defaults["unit"]},
                "rowsFrame": {"layout": "auto"},
                "legend": {"show": True},
                "tooltip": {"mode": "single", "yHistogram": False},
            },
        },
    )


def _pie_chart(panel: m.PieChart, common: dict[str, Any], defaults: dict[str, Any]) -> G.Panel:
    return G.PieChartv2(
        **common,
        unit=defaults["unit"],
        pieType=panel.pie_type,
        reduceOptionsCalcs=[panel.reduce],
        extraJson={"fieldConfig": {"defaults": defaults}},
    )


def _text(panel: m.Text, common: dict[str, Any], defaults: dict[str, Any]) -> G.Panel:
    return G.Text(**common, content=panel.content, mode=panel.mode)


# The grafanalib panel for each panel type of the model.
_BUILDERS: dict[type[m.Panel], Callable[[Any, dict[str, Any], dict[str, Any]], G.Panel]] = {
    m.TimeSeries: _time_series,
    m.Stat: _stat,
    m.GaugePanel: _gauge,
    m.BarGauge: _bar_gauge,
    m.Table: _table,
    m.Heatmap: _heatmap,
    m.PieChart: _pie_chart,
    m.Text: _text,
}


def _grafanalib_panel(panel: m.Panel, box: Box, panel_id: int, links: _Links) -> G.Panel:
    """One grafanalib panel for one model panel."""
    for kind in type(panel).__mro__:
        build = _BUILDERS.get(kind)
        if build is not None:
            return build(panel, _common(panel, box, panel_id, links), _field_defaults(panel, links))
    raise TypeError(f"no Grafana panel for {type(panel).__name__}")


def _add_options(data: dict[str, Any], panel: m.Panel) -> None:
    """Options grafanalib has no words for, in Grafana's own keys."""
    if panel.type != "text":  # a text panel has no fields to configure or transform
        _add_field_options(data, panel)
        data["transformations"] = _transformations(panel)
    if panel.repeat:
        data["repeat"] = panel.repeat
        data["repeatDirection"] = panel.repeat_direction
        if panel.max_per_row is not None and panel.repeat_direction == "h":
            data["maxPerRow"] = panel.max_per_row
    if panel.time_from:
        data["timeFrom"] = panel.time_from
    if panel.time_shift:
        data["timeShift"] = panel.time_shift
    if panel.library_panel:
        data["libraryPanel"] = {"uid": panel.library_panel, "name": panel.title}


def _add_field_options(data: dict[str, Any], panel: m.Panel) -> None:
    field_config = data.setdefault("fieldConfig", {"defaults": {}, "overrides": []})
    field_config["overrides"] = _overrides(panel)
    if panel.no_value is not None:
        field_config["defaults"]["noValue"] = panel.no_value
    if isinstance(panel, m.TimeSeries):
        custom = field_config["defaults"].setdefault("custom", {})
        custom["thresholdsStyle"] = {"mode": panel.thresholds_mode}
        if panel.log_base is not None:
            custom["scaleDistribution"] = {"type": "log", "log": panel.log_base}
        else:
            custom["scaleDistribution"] = {"type": "linear"}


def deep_merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """`base` with `extra` merged in: dicts merge key by key, anything else in `extra` replaces."""
    merged = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = _copy(value)
    return merged


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _copy(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_copy(item) for item in value]
    return value


def _template(variable: m.Variable) -> dict[str, Any]:
    common: dict[str, Any] = {
        "name": variable.name,
        "label": variable.label,
        "multi": variable.multi,
        "includeAll": variable.include_all,
        "hide": 2 if variable.hide or variable.kind == "constant" else 0,
    }
    if variable.kind == "query":
        built = G.Template(
            **common,
            query=variable.definition,
            type="query",
            dataSource=DATASOURCE,
            default=variable.default,
            regex=variable.regex or "",
            refresh=2,
        )
    elif variable.kind == "adhoc":
        built = G.Template(**common, query="", type="adhoc", dataSource=DATASOURCE)
    elif variable.kind in ("custom", "interval", "constant", "textbox"):
        built = G.Template(
            **common,
            query=variable.definition,
            type=variable.kind,
            default=variable.default or variable.sample_value,
        )
    else:
        built = G.Template(**common, query="prometheus", type="datasource")
    data: dict[str, Any] = _plain(built)
    _modern_variable(data)
    if variable.kind == "query":
        data["definition"] = variable.definition
    if variable.all_value is not None:
        data["allValue"] = variable.all_value
    if variable.kind == "adhoc":
        for key in ("current", "options", "query", "refresh", "sort", "includeAll", "multi"):
            data.pop(key, None)
    return deep_merge(data, variable.extra)


# Keys grafanalib writes on every variable that Grafana 10+ no longer reads (tags were removed in Grafana 8;
# `auto*` belong to interval variables only, and are off there).
_VARIABLE_LEGACY = ("useTags", "tagsQuery", "tagValuesQuery", "auto", "auto_min", "auto_count")


def _modern_variable(data: dict[str, Any]) -> None:
    for key in _VARIABLE_LEGACY:
        data.pop(key, None)
    current = data.get("current")
    if isinstance(current, dict):
        current.pop("tags", None)
        if current.get("text") is None and current.get("value") is None:
            data.pop("current")
    for key in [k for k, v in data.items() if v is None]:
        del data[key]


def _datasource_template() -> dict[str, Any]:
    data: dict[str, Any] = _plain(
        G.Template(
            name="datasource", label="Data source", query="prometheus", type="datasource", default=DATASOURCE_UID
        )
    )
    _modern_variable(data)
    return data


def _dashboard_link(link: m.Link, variables: frozenset[str]) -> G.DashboardLink:
    return G.DashboardLink(
        title=link.title,
        type="link",
        uri=_link_url(link, _Links(variables), panel=False),
        keepTime=link.keep_time,
        targetBlank=link.new_tab,
        includeVars=link.include_vars,
    )


def _annotation(annotation: m.Annotation) -> dict[str, Any]:
    """A Prometheus annotation query, in the keys Grafana's Prometheus data source reads."""
    return {
        "name": annotation.name,
        "datasource": DATASOURCE,
        "enable": annotation.enabled,
        "hide": annotation.hide,
        "iconColor": annotation.color,
        "expr": annotation.expr.strip(),
        "step": annotation.step,
        "titleFormat": annotation.title,
        "textFormat": annotation.text,
        "tagKeys": ",".join(annotation.tags),
    }


def _row(row: m.Row, row_id: int, y: int, children: list[dict[str, Any]]) -> dict[str, Any]:
    data: dict[str, Any] = {
        "type": "row",
        "id": row_id,
        "title": row.title,
        "gridPos": {"h": 1, "w": 24, "x": 0, "y": y},
        "collapsed": row.collapsed,
        "panels": children if row.collapsed else [],
    }
    if row.repeat:
        data["repeat"] = row.repeat
    return data


def dashboard_json(dashboard: m.Dashboard, uid: str) -> dict[str, Any]:
    """The dashboard as plain JSON-ready data, panels laid out and numbered in reading order."""
    variables = frozenset(v.name for v in dashboard.variables)
    panels: list[dict[str, Any]] = []
    panel_id = 0
    for placed in layout(dashboard):
        row = placed.row
        row_id = panel_id = panel_id + (1 if row is not None else 0)
        row_panels = []
        for panel, box in placed.panels:
            panel_id += 1
            row_panels.append(_panel(panel, box, panel_id, variables))
        if row is None:
            panels.extend(row_panels)
            continue
        panels.append(_row(row, row_id, placed.y, row_panels))
        if not row.collapsed:
            panels.extend(row_panels)
    built = G.Dashboard(
        title=dashboard.title,
        uid=uid,
        description=dashboard.description,
        tags=list(dashboard.tags),
        panels=[],
        links=[_dashboard_link(link, variables) for link in dashboard.links],
        refresh=dashboard.refresh,
        time=G.Time(dashboard.time_from, "now"),
        timezone=dashboard.timezone,
        editable=dashboard.editable,
        schemaVersion=SCHEMA_VERSION,
        graphTooltip=1,
    )
    data: dict[str, Any] = _tidy(_plain(built))
    data["panels"] = panels
    data["templating"] = {"list": [_datasource_template(), *(_template(v) for v in dashboard.variables)]}
    data["annotations"] = {"list": [_annotation(a) for a in dashboard.annotations]}
    return deep_merge(data, dashboard.extra)


# Keys grafanalib writes in the shape of Grafana 6 and 7, which Grafana 10+ no longer reads.
_LEGACY_KEYS: dict[str, dict[str, tuple[str, ...]]] = {
    "gauge": {
        "defaults": ("calcs", "limit", "override", "title", "values"),
        "options": ("fieldOptions",),
        "fieldConfig": ("showThresholdLabels", "showThresholdMarkers"),
    },
    "bargauge": {"options": ("fieldOptions", "showThresholdLabels", "showThresholdMarkers")},
    "stat": {"defaults": ("custom",)},
    "table": {"panel": ("color", "columns", "fontSize", "mappings", "styles")},
    "heatmap": {
        "panel": (
            "cards",
            "color",
            "dataFormat",
            "heatmap",
            "hideZeroBuckets",
            "highlightCards",
            "legend",
            "reverseYBuckets",
            "tooltip",
            "xAxis",
            "xBucketNumber",
            "xBucketSize",
            "yAxis",
            "yBucketBound",
            "yBucketNumber",
            "yBucketSize",
        )
    },
}
# On every panel: `error` and `editable` were dropped from the panel model in Grafana 7 and 8; the time
# override flag means something only with a time override.
_PANEL_LEGACY = ("error", "editable")
_TARGET_LEGACY = ("target", "metric", "step", "query", "intervalFactor")


def _drop_nulls(node: Any) -> None:
    """Remove null options (grafanalib's "unset") everywhere but in threshold steps, where null is the base."""
    if isinstance(node, dict):
        for key in [k for k, v in node.items() if v is None]:
            del node[key]
        for key, value in node.items():
            if key != "steps":
                _drop_nulls(value)
    elif isinstance(node, list):
        for item in node:
            _drop_nulls(item)


def _modernise(panel: dict[str, Any]) -> None:
    legacy = _LEGACY_KEYS.get(panel.get("type", ""), {})
    for key in (*legacy.get("panel", ()), *_PANEL_LEGACY):
        panel.pop(key, None)
    if not panel.get("timeFrom") and not panel.get("timeShift"):
        panel.pop("hideTimeOverride", None)
    for key in legacy.get("options", ()):
        panel.get("options", {}).pop(key, None)
    for key in legacy.get("fieldConfig", ()):
        panel.get("fieldConfig", {}).pop(key, None)
    defaults = panel.get("fieldConfig", {}).get("defaults", {})
    for key in legacy.get("defaults", ()):
        defaults.pop(key, None)
    defaults.pop("noValue", None)  # grafanalib's "none" hides "No data"; set only when the spec asks
    _drop_nulls(panel)
    for target in panel.get("targets", []):
        for key in _TARGET_LEGACY:
            target.pop(key, None)


def _plain(node: Any) -> Any:
    """grafanalib objects to plain dicts and lists, as grafanalib's own JSON encoder does, without a JSON
    round trip. Copies as it goes, so tidying never touches grafanalib's defaults."""
    while hasattr(node, "to_json_data"):
        node = node.to_json_data()
    if isinstance(node, dict):
        return {key: _plain(value) for key, value in node.items()}
    if isinstance(node, (list, tuple)):
        return [_plain(item) for item in node]
    return node


def _tidy(data: dict[str, Any]) -> dict[str, Any]:
    """Drop what grafanalib emits only for Grafana before 7."""
    for key in ("rows", "hideControls", "sharedCrosshair", "style", "gnetId", "id", "__inputs"):
        data.pop(key, None)
    data.get("timepicker", {}).pop("time_options", None)  # removed in Grafana 8
    _drop_nulls(data)
    return data
