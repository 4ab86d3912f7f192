"""D550-D551: panels that query nothing, and dashboards that Grafana cannot tell apart in a folder."""

from __future__ import annotations

import posixpath
from collections.abc import Iterator

from monitoring_dsl.checks.context import CheckContext
from monitoring_dsl.checks.registry import check, diagnostic
from monitoring_dsl.diagnostics import Diagnostic, Severity
from monitoring_dsl.model.dashboards import Dashboard, Text


@check(code="D550", name="panel-without-queries", severity=Severity.WARNING, local=True)
def panel_without_queries(ctx: CheckContext) -> Iterator[Diagnostic]:
    """A data panel (time series, stat, table, ...) without a single query.

    Text panels are not data panels. In dashboard JSON, a target with an empty `expr` counts as no query.

    ## Why is this bad?
    The panel shows "No data" forever: it takes room on the dashboard, and readers take the empty panel for
    a quiet system.

    ## Example
        TimeSeries("Requests by endpoint")

    ## Use instead
        TimeSeries("Requests by endpoint", requests.rate(by=["endpoint"]))
    """
    for dashboard in ctx.project.dashboards:
        for panel in dashboard.all_panels():
            if isinstance(panel, Text) or panel.targets:
                continue
            yield diagnostic(
                "D550",
                f"panel {panel.title!r} ({panel.type}) in dashboard {dashboard.title!r} has no query",
                help="give it a query, or remove the panel",
                subject=panel,
                **ctx.at(panel.location, panel.title or None),
            )


def _folder(ctx: CheckContext, dashboard: Dashboard) -> str:
    """Where Grafana files the dashboard: the directory of a dashboard file; one folder for all spec ones."""
    if not ctx.plain:
        return ""
    location = dashboard.location
    return posixpath.dirname(location.path) if location is not None else ""


@check(code="D551", name="duplicate-dashboard-title", severity=Severity.WARNING)
def duplicate_dashboard_title(ctx: CheckContext) -> Iterator[Diagnostic]:
    """Two dashboards with the same title (ignoring case) in one folder.

    Dashboards built from specs are provisioned into one folder; dashboard files count as in one folder
    when they sit in one directory.

    ## Why is this bad?
    Grafana refuses to save (or provision) a second dashboard with a title already used in its folder, and
    in search and links readers cannot tell the two apart.

    ## Example
        Dashboard("API", uid="api-latency", rows=[...])
        Dashboard("API", uid="api-errors", rows=[...])

    ## Use instead
        Dashboard("API latency", uid="api-latency", rows=[...])
        Dashboard("API errors", uid="api-errors", rows=[...])
    """
    seen: dict[tuple[str, str], Dashboard] = {}
    for dashboard in ctx.project.dashboards:
        folder = _folder(ctx, dashboard)
        first = seen.setdefault((folder, dashboard.title.casefold()), dashboard)
        if first is dashboard:
            continue
        where = f"folder {folder!r}" if folder else "the provisioned folder"
        yield diagnostic(
            "D551",
            f"dashboard title {dashboard.title!r} is used twice in {where}",
            help="give each dashboard in a folder its own title",
            subject=dashboard,
            related=ctx.declared_at("the other dashboard", first),
            **ctx.at(dashboard.location, dashboard.title),
        )
