"""Grafana dashboard JSON, built through grafanalib: the only module that imports it.

grafanalib knows the panel types' structure; where its model lags Grafana 10+ (thresholds steps, gauge
options, data links, the heatmap panel), the panel's `extraJson` supplies the current shape. The result targets
schemaVersion 39 (Grafana 10.4 and later); every panel and target queries through the `datasource` variable.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

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
            intervalFactor=1,
            datasource=DATASOURCE,
        )
        for index, target in enumerate(panel.targets)
    ]


def _link_url(link: m.Link) -> str:
    if link.url is not None:
        return link.url
    params = [f"var-{quote(name)}={value}" for name, value in sorted(link.variables.items())]
    if link.keep_time:
        params.append("${__url_time_range}")
    return f"/d/{link.dashboard}" + ("?" + "&".join(params) if params else "")


def _data_link(link: m.Link) -> dict[str, Any]:
    return {"title": link.title, "url": _link_url(link), "targetBlank": link.new_tab}


def _thresholds(panel: m.Panel) -> dict[str, Any]:
    steps = [{"color": t.color, "value": t.value} for t in panel.thresholds]
    if not steps:
        steps = [{"color": "green", "value": None}]
    elif steps[0]["value"] is not None:
        steps.insert(0, {"color": "green", "value": None})
    return {"mode": "absolute", "steps": steps}


def _field_defaults(panel: m.Panel) -> dict[str, Any]:
    defaults: dict[str, Any] = {
        "thresholds": _thresholds(panel),
        "unit": panel.unit or "none",
        "links": [_data_link(link) for link in panel.data_links],
    }
    for key in ("decimals", "min", "max"):
        value = getattr(panel, key)
        if value is not None:
            defaults[key] = value
    return defaults


def _reduce(calc: str) -> dict[str, Any]:
    return {"calcs": [calc], "fields": "", "values": False}


def _common(panel: m.Panel, box: Box, panel_id: int) -> dict[str, Any]:
    return {
        "dataSource": DATASOURCE,
        "targets": _targets(panel),
        "title": panel.title,
        "description": panel.description,
        "id": panel_id,
        "gridPos": G.GridPos(h=box.h, w=box.w, x=box.x, y=box.y),
        "links": [G.DataLink(link.title, _link_url(link), link.new_tab) for link in panel.links],
        "transparent": panel.transparent,
        "maxDataPoints": None,  # let Grafana derive the resolution from the panel's width
    }


def _panel(panel: m.Panel, box: Box, panel_id: int) -> G.Panel:
    """One grafanalib panel for one model panel."""
    common = _common(panel, box, panel_id)
    defaults = _field_defaults(panel)
    unit = defaults["unit"]
    if isinstance(panel, m.TimeSeries):
        return G.TimeSeries(
            **common,
            unit=unit,
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
    if isinstance(panel, m.Stat):
        return G.Stat(
            **common,
            format=unit,
            reduceCalc=panel.reduce,
            graphMode="area" if panel.graph else "none",
            colorMode=panel.color_mode,
            extraJson={"fieldConfig": {"defaults": {**defaults, "color": {"mode": "thresholds"}}}},
        )
    if isinstance(panel, m.GaugePanel):
        return G.GaugePanel(
            **common,
            format=unit,
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
    if isinstance(panel, m.BarGauge):
        return G.BarGauge(
            **common,
            format=unit,
            calc=panel.reduce,
            orientation=panel.orientation,
            displayMode=panel.display_mode,
            extraJson={
                "fieldConfig": {"defaults": {**defaults, "color": {"mode": "thresholds"}}},
                "options": {"reduceOptions": _reduce(panel.reduce), "showUnfilled": True},
            },
        )
    if isinstance(panel, m.Table):
        sort = [{"displayName": panel.sort_by, "desc": panel.sort_desc}] if panel.sort_by else []
        return G.Table(
            **common,
            unit=unit,
            extraJson={"fieldConfig": {"defaults": defaults}, "options": {"sortBy": sort}},
        )
    if isinstance(panel, m.Heatmap):
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
                    "yAxis": {"axisPlacement": "left", "unit": unit},
                    "rowsFrame": {"layout": "auto"},
                    "legend": {"show": True},
                    "tooltip": {"mode": "single", "yHistogram": False},
                },
            },
        )
    if isinstance(panel, m.PieChart):
        return G.PieChartv2(
            **common,
            unit=unit,
            pieType=panel.pie_type,
            reduceOptionsCalcs=[panel.reduce],
            extraJson={"fieldConfig": {"defaults": defaults}},
        )
    if isinstance(panel, m.Text):
        return G.Text(**common, content=panel.content, mode=panel.mode)
    raise TypeError(f"no Grafana panel for {type(panel).__name__}")


def _template(variable: m.Variable) -> G.Template:
    common: dict[str, Any] = {
        "name": variable.name,
        "label": variable.label,
        "multi": variable.multi,
        "includeAll": variable.include_all,
        "hide": 2 if variable.hide else 0,
    }
    if variable.kind == "query":
        return G.Template(
            **common,
            query=variable.definition,
            type="query",
            dataSource=DATASOURCE,
            default=variable.default,
            regex=variable.regex or "",
            refresh=2,
        )
    if variable.kind in ("custom", "interval", "constant"):
        return G.Template(
            **common,
            query=variable.definition,
            type=variable.kind,
            default=variable.default or variable.sample_value,
        )
    return G.Template(**common, query="prometheus", type="datasource")


def _datasource_template() -> G.Template:
    return G.Template(
        name="datasource", label="Data source", query="prometheus", type="datasource", default=DATASOURCE_UID
    )


def _dashboard_link(link: m.Link) -> G.DashboardLink:
    return G.DashboardLink(
        title=link.title,
        type="link",
        uri=_link_url(link),
        keepTime=link.keep_time,
        targetBlank=link.new_tab,
        includeVars=False,
    )


def dashboard_json(dashboard: m.Dashboard, uid: str) -> dict[str, Any]:
    """The dashboard as plain JSON-ready data, panels laid out and numbered in reading order."""
    panels: list[G.Panel] = []
    panel_id = 0
    for placed in layout(dashboard):
        row = placed.row
        row_id = panel_id = panel_id + (1 if row is not None else 0)
        row_panels = []
        for panel, box in placed.panels:
            panel_id += 1
            row_panels.append(_panel(panel, box, panel_id))
        if row is None:
            panels.extend(row_panels)
            continue
        collapsed = row.collapsed
        panels.append(
            G.RowPanel(
                title=row.title,
                id=row_id,
                gridPos=G.GridPos(h=1, w=24, x=0, y=placed.y),
                collapsed=collapsed,
                panels=row_panels if collapsed else [],
                extraJson={"repeat": row.repeat} if row.repeat else None,
            )
        )
        if not collapsed:
            panels.extend(row_panels)
    built = G.Dashboard(
        title=dashboard.title,
        uid=uid,
        description=dashboard.description,
        tags=list(dashboard.tags),
        panels=panels,
        templating=G.Templating([_datasource_template(), *(_template(v) for v in dashboard.variables)]),
        links=[_dashboard_link(link) for link in dashboard.links],
        refresh=dashboard.refresh,
        time=G.Time(dashboard.time_from, "now"),
        timezone=dashboard.timezone,
        editable=dashboard.editable,
        schemaVersion=SCHEMA_VERSION,
        graphTooltip=1,
    )
    data: dict[str, Any] = _plain(built)
    return _tidy(data)


# Keys grafanalib writes in the shape of Grafana 6 and 7, which Grafana 10+ no longer reads.
_LEGACY_KEYS: dict[str, dict[str, tuple[str, ...]]] = {
    "gauge": {"defaults": ("calcs", "limit", "override", "title", "values"), "options": ("fieldOptions",)},
    "bargauge": {"options": ("fieldOptions", "showThresholdLabels", "showThresholdMarkers")},
    "stat": {"defaults": ("custom",)},
    "row": {"panel": ("fieldConfig", "targets", "datasource")},
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
_TARGET_LEGACY = ("target", "metric", "step", "query")


def _modernise(panel: dict[str, Any]) -> None:
    legacy = _LEGACY_KEYS.get(panel.get("type", ""), {})
    for key in legacy.get("panel", ()):
        panel.pop(key, None)
    for key in legacy.get("options", ()):
        panel.get("options", {}).pop(key, None)
    defaults = panel.get("fieldConfig", {}).get("defaults", {})
    for key in legacy.get("defaults", ()):
        defaults.pop(key, None)
    for mapping in (panel, defaults):
        for key in [k for k, v in mapping.items() if v is None]:
            del mapping[key]
    for target in panel.get("targets", []):
        for key in _TARGET_LEGACY:
            target.pop(key, None)
    for child in panel.get("panels", []):
        _modernise(child)


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
    """Drop what grafanalib emits only for Grafana before 7, and null options that mean "unset"."""
    for key in ("rows", "hideControls", "sharedCrosshair", "style", "gnetId", "id", "__inputs"):
        data.pop(key, None)
    for panel in data["panels"]:
        _modernise(panel)
    return data
