"""D5xx: dashboards. Unique, safe uids; links that lead somewhere; variables defined once."""

from __future__ import annotations

from collections.abc import Iterator

from monitoring_dsl.checks.context import CheckContext
from monitoring_dsl.checks.registry import check, diagnostic
from monitoring_dsl.diagnostics import Diagnostic, Severity
from monitoring_dsl.model.base import nearest
from monitoring_dsl.model.dashboards import UID_RE, Dashboard, Link, dashboard_uid


@check(code="D501", name="duplicate-dashboard-uid", severity=Severity.ERROR)
def duplicate_dashboard_uid(ctx: CheckContext) -> Iterator[Diagnostic]:
    """Two dashboards have the same uid (given with `uid=` or derived from the title).

    ## Why is this bad?
    Grafana keys dashboards by uid: one would overwrite the other, and links to it become ambiguous.

    ## Example
        Dashboard("API", uid="api", ...)
        Dashboard("API (old)", uid="api", ...)

    ## Use instead
        Dashboard("API", uid="api", ...)
        Dashboard("API (old)", uid="api-old", ...)
    """
    seen: dict[str, Dashboard] = {}
    for dashboard in ctx.project.dashboards:
        uid = dashboard_uid(dashboard)
        first = seen.setdefault(uid, dashboard)
        if first is not dashboard:
            yield diagnostic(
                "D501",
                f"dashboard {dashboard.title!r} has uid {uid!r}, already used by {first.title!r}",
                help="give one of them another uid= (at most 40 characters: letters, digits, '-' and '_')",
                related=ctx.declared_at("first used", first),
                subject=dashboard,
                **ctx.at(dashboard.location, dashboard.uid),
            )


@check(code="D502", name="invalid-dashboard-uid", severity=Severity.ERROR)
def invalid_dashboard_uid(ctx: CheckContext) -> Iterator[Diagnostic]:
    """A dashboard uid that Grafana does not accept or that is unsafe as a file name.

    Uids are 1 to 40 characters of letters, digits, `-` and `_`. The uid names the file
    `build/grafana/dashboards/<uid>.json`, so anything else (`/`, `..`) is refused.

    ## Why is this bad?
    Grafana rejects uids over 40 characters, and a uid such as `../../etc/passwd` would name a file outside
    the output directory.

    ## Example
        Dashboard("API", uid="team/api performance")

    ## Use instead
        Dashboard("API", uid="team-api-performance")
    """
    for dashboard in ctx.project.dashboards:
        uid = dashboard.uid
        if uid is not None and not UID_RE.match(uid):
            yield diagnostic(
                "D502",
                f"dashboard uid {uid!r} is not 1-40 letters, digits, '-' or '_'",
                help="choose a short uid such as 'api-performance', or leave uid out to derive one from the title",
                subject=dashboard,
                **ctx.at(dashboard.location, uid),
            )


def _links(dashboard: Dashboard) -> Iterator[tuple[object, Link]]:
    """Every link with the object that holds it (the dashboard or a panel)."""
    for link in dashboard.links:
        yield dashboard, link
    for panel in dashboard.all_panels():
        for link in (*panel.links, *panel.data_links):
            yield panel, link


@check(code="D503", name="unknown-link-target", severity=Severity.ERROR)
def unknown_link_target(ctx: CheckContext) -> Iterator[Diagnostic]:
    """A link points at a dashboard uid that no spec declares, or sets a variable that dashboard lacks.

    ## Why is this bad?
    The drill-down leads to "Dashboard not found", or opens the dashboard without the filter the user asked
    for.

    ## Example
        Link("Endpoint", dashboard="api-perf", variables={"endpoint": "${__field.labels.endpoint}"})

    ## Use instead
        Link("Endpoint", dashboard="api-performance", variables={"endpoint": "${__field.labels.endpoint}"})
    """
    by_uid = {dashboard_uid(d): d for d in ctx.project.dashboards}
    for dashboard in ctx.project.dashboards:
        for holder, link in _links(dashboard):
            if link.dashboard is None:
                continue
            target = by_uid.get(link.dashboard)
            if target is None:
                hint = nearest(link.dashboard, by_uid)
                yield diagnostic(
                    "D503",
                    f"link {link.title!r} points at dashboard uid {link.dashboard!r}, which no spec declares",
                    help=f"did you mean {hint!r}?" if hint else f"known uids: {', '.join(sorted(by_uid))}",
                    subject=holder,
                    **ctx.at(link.location, link.dashboard),
                )
                continue
            names = {v.name for v in target.variables}
            for variable in link.variables:
                if variable not in names:
                    yield diagnostic(
                        "D503",
                        f"link {link.title!r} sets variable {variable!r}, which dashboard "
                        f"{target.title!r} does not define",
                        help=f"its variables: {', '.join(sorted(names)) or 'none'}",
                        subject=holder,
                        **ctx.at(link.location, variable),
                    )


@check(code="D504", name="duplicate-variable", severity=Severity.ERROR)
def duplicate_variable(ctx: CheckContext) -> Iterator[Diagnostic]:
    """A dashboard defines two variables with the same name, or one named `datasource`.

    The `datasource` variable is added by monitoring-dsl to every dashboard.

    ## Why is this bad?
    Grafana keeps only one of them; queries silently use whichever it picks.

    ## Example
        variables=[Variable.query("endpoint", ...), Variable.custom("endpoint", [...])]

    ## Use instead
        variables=[Variable.query("endpoint", ...), Variable.custom("endpoint_group", [...])]
    """
    for dashboard in ctx.project.dashboards:
        seen = {"datasource"}
        for variable in dashboard.variables:
            if variable.name in seen:
                yield diagnostic(
                    "D504",
                    f"dashboard {dashboard.title!r} defines variable {variable.name!r} twice"
                    + (" (monitoring-dsl adds `datasource` itself)" if variable.name == "datasource" else ""),
                    help="rename one of them",
                    subject=variable,
                    **ctx.at(variable.location, variable.name),
                )
            seen.add(variable.name)
