"""D530-D549: panel and dashboard options beyond queries: the `extra={...}` escape hatch, table columns that
sorting and overrides name, and repeats by a variable."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, cast

import attrs

from monitoring_dsl.checks.context import CheckContext, Query
from monitoring_dsl.checks.registry import check, diagnostic
from monitoring_dsl.diagnostics import Diagnostic, Place, Severity
from monitoring_dsl.model.base import nearest
from monitoring_dsl.model.dashboards import Dashboard, Panel, Row, Table, Target, Variable
from monitoring_dsl.promql import output_labels

# JSON paths the typed keywords write, and the keyword that writes each. Kept honest by
# tests/test_dashboard_options.py, which sets each keyword and finds the path in the emitted JSON.
PANEL_TYPED_PATHS: dict[str, str] = {
    "type": "the panel class",
    "id": "(numbered for you)",
    "title": "title",
    "description": "description",
    "gridPos": "width=, height= or grid_pos",
    "datasource": "(the datasource variable)",
    "targets": "the panel's queries",
    "links": "links",
    "transparent": "transparent",
    "repeat": "repeat",
    "repeatDirection": "repeat_direction",
    "maxPerRow": "max_per_row",
    "timeFrom": "time_from",
    "timeShift": "time_shift",
    "libraryPanel": "library_panel",
    "transformations": "transformations",
    "fieldConfig.defaults.unit": "unit",
    "fieldConfig.defaults.decimals": "decimals",
    "fieldConfig.defaults.min": "min",
    "fieldConfig.defaults.max": "max",
    "fieldConfig.defaults.thresholds": "thresholds",
    "fieldConfig.defaults.links": "data_links",
    "fieldConfig.defaults.mappings": "mappings",
    "fieldConfig.defaults.noValue": "no_value",
    "fieldConfig.overrides": "overrides",
    "fieldConfig.defaults.custom.thresholdsStyle": "threshold_style",
    "fieldConfig.defaults.custom.scaleDistribution": "log_base",
    "fieldConfig.defaults.custom.stacking": "stacking",
    "fieldConfig.defaults.custom.fillOpacity": "fill_opacity",
    "fieldConfig.defaults.custom.drawStyle": "draw_style",
    "options.legend.displayMode": "legend",
    "options.legend.showLegend": "legend",
    "options.legend.calcs": "legend_calcs",
    "options.reduceOptions.calcs": "reduce",
    "options.graphMode": "graph",
    "options.colorMode": "color_mode",
    "options.orientation": "orientation",
    "options.displayMode": "display_mode",
    "options.sortBy": "sort_by",
    "options.pieType": "pie_type",
    "options.content": "content",
    "options.mode": "mode",
}
DASHBOARD_TYPED_PATHS: dict[str, str] = {
    "title": "title",
    "uid": "uid",
    "description": "description",
    "tags": "tags",
    "panels": "rows= or panels=",
    "templating": "variables",
    "links": "links",
    "annotations": "annotations",
    "refresh": "refresh",
    "time": "time_from",
    "timezone": "timezone",
    "editable": "editable",
    "schemaVersion": "(the Grafana schema monitoring-dsl writes)",
}


def leaf_paths(value: dict[str, Any], prefix: str = "") -> Iterator[str]:
    """Dotted paths of the leaves of `value`: the keys whose values `extra` sets rather than merges into."""
    for key, item in value.items():
        path = f"{prefix}{key}"
        if isinstance(item, dict) and item:
            yield from leaf_paths(item, path + ".")
        else:
            yield path


def typed_overlaps(extra: dict[str, Any], typed: dict[str, str], owner: object) -> list[tuple[str, str]]:
    """(path in `extra`, keyword) for each place `extra` overwrites what a typed keyword writes."""
    fields = {f.name for f in attrs.fields(cast(Any, type(owner)))}
    found: list[tuple[str, str]] = []
    for path in leaf_paths(extra):
        for typed_path, keyword in typed.items():
            relevant = keyword not in _CLASS_KEYWORDS or keyword in fields
            covers = path == typed_path or path.startswith(typed_path + ".") or typed_path.startswith(path + ".")
            if relevant and covers:
                found.append((path, keyword))
                break
    return found


# Keywords that exist on some panel classes only: a path is a clash only where the panel has the keyword.
_CLASS_KEYWORDS = frozenset(
    (
        "threshold_style",
        "log_base",
        "stacking",
        "fill_opacity",
        "draw_style",
        "legend",
        "legend_calcs",
        "reduce",
        "graph",
        "color_mode",
        "orientation",
        "display_mode",
        "sort_by",
        "pie_type",
        "content",
        "mode",
    )
)


def _with_extra(ctx: CheckContext) -> Iterator[tuple[Dashboard | Panel, Dashboard, dict[str, str]]]:
    for dashboard in ctx.project.dashboards:
        if dashboard.extra:
            yield dashboard, dashboard, DASHBOARD_TYPED_PATHS
        for panel in dashboard.all_panels():
            if panel.extra:
                yield panel, dashboard, PANEL_TYPED_PATHS


def _where(ctx: CheckContext, obj: Dashboard | Panel) -> Place:
    """A panel's `extra=` keyword; a dashboard's own line (its `extra=` may follow panels that have one)."""
    return ctx.at(obj.location, None if isinstance(obj, Dashboard) else "extra")


def _name(obj: Dashboard | Panel) -> str:
    return f"dashboard {obj.title!r}" if isinstance(obj, Dashboard) else f"panel {obj.title!r}"


@check(code="D530", name="extra-json", severity=Severity.INFO, local=True)
def extra_json(ctx: CheckContext) -> Iterator[Diagnostic]:
    """A panel, dashboard or variable sets raw Grafana JSON with `extra={...}`.

    `extra` is deep-merged into the emitted JSON last, so it can set any option monitoring-dsl has no
    keyword for. This finding lists the keys it sets, so that reviewers see them in the lint output.

    ## Why is this bad?
    Nothing checks raw JSON: a misspelt key or a value Grafana does not accept is silently ignored by Grafana,
    and the option does not survive a change of Grafana's schema. Typed keywords are checked and documented.

    ## Example
        TimeSeries("Latency", p95, unit="s", extra={"fieldConfig": {"defaults": {"unit": "ms"}}})

    ## Use instead
        TimeSeries("Latency", p95, unit="ms")

    Keep `extra` for options without a keyword (`extra={"options": {"tooltip": {"sort": "desc"}}}`), and
    acknowledge it with `allow={"D530": "why"}` once reviewed.
    """
    for obj, _dashboard, _typed in _with_extra(ctx):
        paths = list(leaf_paths(obj.extra))
        yield diagnostic(
            "D530",
            f"{_name(obj)} sets raw Grafana JSON: {', '.join(paths) if paths else '(nothing)'}",
            help="prefer a typed keyword where one exists; raw keys are not checked against Grafana's schema",
            subject=obj,
            **_where(ctx, obj),
        )
    for dashboard in ctx.project.dashboards:
        for variable in dashboard.variables:
            if variable.extra:
                paths = list(leaf_paths(variable.extra))
                yield diagnostic(
                    "D530",
                    f"variable {variable.name!r} sets raw Grafana JSON: {', '.join(paths)}",
                    help="prefer a typed keyword where one exists; raw keys are not checked against Grafana's schema",
                    subject=variable,
                    **ctx.at(variable.location, "extra"),
                )


@check(code="D531", name="extra-overrides-keyword", severity=Severity.WARNING, local=True)
def extra_overrides_keyword(ctx: CheckContext) -> Iterator[Diagnostic]:
    """`extra={...}` sets a key that a typed keyword of the panel or dashboard also writes.

    ## Why is this bad?
    `extra` is merged last and wins: the spec says one thing through the keyword (`unit="s"`, or its
    default) and the dashboard shows another, and checks that read the keyword (units, thresholds) reason
    about a value Grafana never sees.

    ## Example
        Stat("Errors", errors, unit="percentunit", extra={"fieldConfig": {"defaults": {"unit": "percent"}}})

    ## Use instead
        Stat("Errors", errors, unit="percent")
    """
    for obj, _dashboard, typed in _with_extra(ctx):
        for path, keyword in typed_overlaps(obj.extra, typed, obj):
            yield diagnostic(
                "D531",
                f"extra= of {_name(obj)} sets {path!r}, which monitoring-dsl writes from {keyword}",
                help=f"use {keyword} instead of extra=, or drop {path!r} from extra",
                subject=obj,
                **_where(ctx, obj),
            )


def table_columns(ctx: CheckContext, panel: Table, queries: dict[int, Query]) -> tuple[set[str], bool]:
    """The column names a table will have, and whether that list is complete (every query's labels known).

    One table-format query gives `Value`; several (merged) give `Value #<ref id>`; label columns come from
    what each query keeps; `organize` renames apply in order.
    """
    table_targets = [t for t in panel.targets if t.format == "table" and not t.hide]
    columns: set[str] = {"Time"}
    if len(table_targets) == 1:
        columns.add("Value")
    else:
        letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
        for index, target in enumerate(panel.targets):
            if target.format == "table" and not target.hide:
                ref = target.ref_id or (letters[index] if index < len(letters) else f"Q{index}")
                columns.add(f"Value #{ref}")
    complete = True
    for target in table_targets:
        query = queries.get(id(target))
        labels = output_labels(query.parsed, ctx.catalog.labels_of) if query and query.parsed else None
        if labels is None:
            complete = False
        else:
            columns.update(labels)
    for step in panel.transformations or ():
        if step.kind == "organize":
            for old, new in step.rename.items():
                columns.discard(old)
                columns.add(new)
    return columns, complete


@check(code="D532", name="unknown-table-column", severity=Severity.WARNING, local=True)
def unknown_table_column(ctx: CheckContext) -> Iterator[Diagnostic]:
    """A Table's `sort_by`, or an `Override` by name on it, names a column the table will not have.

    A table of one table-format query has the columns `Time`, the labels the query keeps and `Value`; with
    several queries (merged into one table by default) the values are `Value #A`, `Value #B`, ... by ref id;
    `Transformation.organize(rename=...)` renames them. When a query's labels cannot be known (a series no
    spec declares), only names that look like value columns are checked.

    ## Why is this bad?
    Grafana matches the name exactly: the table is not sorted, or the column keeps the panel's unit, and
    nothing says why.

    ## Example
        Table("Endpoints", [Target(p95, instant=True, format="table"), Target(errors, instant=True, format="table")],
              sort_by="Value")

    ## Use instead
        Table("Endpoints", [Target(p95, instant=True, format="table"), Target(errors, instant=True, format="table")],
              sort_by="Value #A")
    """
    queries = {id(q.owner): q for q in ctx.queries if isinstance(q.owner, Target)}
    for dashboard in ctx.project.dashboards:
        for panel in dashboard.all_panels():
            if not isinstance(panel, Table) or not any(t.format == "table" for t in panel.targets):
                continue
            columns, complete = table_columns(ctx, panel, queries)
            names = [("sort_by", panel.sort_by)] if panel.sort_by else []
            names += [("Override", o.match) for o in panel.overrides if o.by == "name"]
            for what, name in names:
                if name in columns or (not complete and not name.startswith("Value")):
                    continue
                hint = nearest(name, sorted(columns))
                yield diagnostic(
                    "D532",
                    f"{what} {name!r} of table {panel.title!r} names no column of the table"
                    + (f"; did you mean {hint!r}?" if hint else ""),
                    help=f"columns: {', '.join(sorted(columns))}",
                    subject=panel,
                    **ctx.at(panel.location, name),
                )


def _repeats(dashboard: Dashboard) -> Iterator[Panel | Row]:
    yield from (row for row in dashboard.rows if row.repeat)
    yield from (panel for panel in dashboard.all_panels() if panel.repeat)


@check(code="D534", name="repeat-single-value", severity=Severity.WARNING, local=True)
def repeat_single_value(ctx: CheckContext) -> Iterator[Diagnostic]:
    """A panel or row repeats by a variable that can only hold one value.

    Grafana repeats once per selected value; a variable without `multi=True` or `include_all=True` has one.

    ## Why is this bad?
    The repeat never happens: the panel shows one value where the spec promises one panel per value.

    ## Example
        Variable.query("endpoint", "label_values(http_requests_total, endpoint)")
        TimeSeries("Latency $endpoint", p95, unit="s", repeat="endpoint")

    ## Use instead
        Variable.query("endpoint", "label_values(http_requests_total, endpoint)", multi=True, include_all=True)
        TimeSeries("Latency $endpoint", p95, unit="s", repeat="endpoint")
    """
    for dashboard in ctx.project.dashboards:
        variables: dict[str, Variable] = {v.name: v for v in dashboard.variables}
        for obj in _repeats(dashboard):
            variable = variables.get(obj.repeat or "")
            if variable is None or variable.multi or variable.include_all:
                continue
            yield diagnostic(
                "D534",
                f"{type(obj).__name__} {obj.title!r} repeats by {variable.name!r}, which holds one value at a time",
                help=f"give variable {variable.name!r} multi=True (and include_all=True), or drop repeat=",
                subject=obj,
                **ctx.at(obj.location, obj.repeat),
            )
