"""D5xx: dashboards. Unique, safe uids; links that lead somewhere; variables defined once, used, and known;
units that match what the queries return; rate windows that follow the time range; distinct titles; and
groupings a panel can draw."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator

import attrs

from monitoring_dsl.checks.context import CheckContext, Query
from monitoring_dsl.checks.grafana_facts import (
    COLOR_FUNCTION_RE,
    CSS_COLOR_NAMES,
    GRAFANA_COLOR_NAMES,
    VARIABLE_QUERY_FUNCTIONS,
)
from monitoring_dsl.checks.metrics import HIGH_CARDINALITY_LABELS
from monitoring_dsl.checks.registry import check, diagnostic
from monitoring_dsl.diagnostics import Diagnostic, Place, Related, Severity
from monitoring_dsl.model.base import SourceLocation, nearest
from monitoring_dsl.model.dashboards import (
    FIELD_LABEL_RE,
    UID_RE,
    Dashboard,
    Heatmap,
    ImportedFacts,
    Link,
    Panel,
    Row,
    Table,
    Target,
    Text,
    Variable,
    dashboard_uid,
    variable_references,
)
from monitoring_dsl.model.rules import Record
from monitoring_dsl.model.units import (
    COUNT,
    CUSTOM_UNIT_RE,
    DATA,
    DECLARED_UNITS,
    FRACTION,
    GRAFANA_UNIT_IDS,
    GRAFANA_UNITS,
    NUMBER,
    TIME,
    UNIT_IN_NAME_RE,
    UNIT_WORDS,
    Quantity,
    merge,
    unit_from_name,
)
from monitoring_dsl.promql import (
    PLACEHOLDER_PREFIX,
    Parsed,
    aggregation_operators,
    groupings,
    output_labels,
    parse,
    references,
    selectors,
    substitute,
)
from monitoring_dsl.promql.values import value_of
from monitoring_dsl.promql.written import exact_matchers, fixed_rate_windows


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


@check(code="D502", name="invalid-dashboard-uid", severity=Severity.ERROR, local=True)
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


@check(code="D504", name="duplicate-variable", severity=Severity.ERROR, local=True)
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
        seen = (
            set() if ctx.plain else {"datasource"}
        )  # specs get a datasource variable added; plain files have their own
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


# --- units ----------------------------------------------------------------------------------------------------


def _target_queries(ctx: CheckContext) -> dict[int, Query]:
    """id(target) -> its parsed query."""
    return {id(query.owner): query for query in ctx.queries if isinstance(query.owner, Target)}


def _panel_quantity(units: _Units, queries: dict[int, Query], panel: Panel) -> Quantity | None:
    """What every shown query of `panel` returns, when they all return the same known thing."""
    found: Quantity | None = None
    shown = [target for target in panel.targets if not target.hide]
    for target in shown:
        query = queries.get(id(target))
        if query is None or query.parsed is None or target.format == "heatmap":
            return None
        quantity = units.of(query.parsed)
        if quantity is None or quantity.dimension == NUMBER or (found is not None and not found.same(quantity)):
            return None
        found = quantity if found is None else merge(found, quantity)
    return found


def _from_series(quantity: Quantity) -> str:
    """Where a unit came from, for messages: "`x_seconds_bucket`; unit inferred from the name"."""
    names = ", ".join(f"`{name}`" for name in quantity.series[:3]) + (", ..." if len(quantity.series) > 3 else "")
    inferred = "unit inferred from the name" if quantity.inferred else ""
    return "; ".join(part for part in (names and f"from {names}", inferred) if part)


def _declared_unit(ctx: CheckContext, quantity: Quantity) -> tuple[Related, ...]:
    for name in quantity.series:
        metric = ctx.catalog.describe(name).metric
        if metric is not None and metric.unit is not None:
            return ctx.declared_at(f"`{metric.name}` declared with unit={metric.unit!r}", metric)
    return ()


@check(code="D505", name="panel-without-unit", severity=Severity.WARNING, local=True)
def panel_without_unit(ctx: CheckContext) -> Iterator[Diagnostic]:
    """A panel sets no unit although its queries return something with one: seconds, bytes, a ratio, a rate.

    The unit a query returns comes from its series (the `unit=` of their declaration, else the name's unit
    suffix: `_seconds`, `_bytes`, `_ratio`) and what the query does to them: `rate()` makes a per-second
    rate, `histogram_quantile()` returns the unit of the buckets' bounds, the mean `_sum / _count` keeps the
    unit, and a division of like units is a 0-1 ratio. A panel whose queries return a bare count, or whose
    unit cannot be told, is not reported. Text panels take no unit; heatmaps and tables are not reported:
    a heatmap's axis shows bucket bounds, and a table's columns carry units of their own.

    ## Why is this bad?
    Grafana shows `0.25` where `250 ms` was meant, and `1.2e+9` where `1.12 GiB` was: the reader has to
    know the metric to read the panel, and cannot tell requests per second from requests per minute.

    ## Example
        TimeSeries("p95 latency", latency.quantile(0.95))

    ## Use instead
        TimeSeries("p95 latency", latency.quantile(0.95), unit="s")
    """
    units = _Units(ctx)
    queries = _target_queries(ctx)
    for dashboard in ctx.project.dashboards:
        for panel in dashboard.all_panels():
            if panel.unit is not None or isinstance(panel, (Text, Heatmap, Table)):
                continue
            quantity = _panel_quantity(units, queries, panel)
            if quantity is None or (quantity.dimension == COUNT and not quantity.per_second):
                continue
            suggestion = _suggest(quantity)
            verb = "query returns" if len(panel.targets) == 1 else "queries return"
            setting = "unit=" if not ctx.plain else "the panel's unit to "
            yield diagnostic(
                "D505",
                f"panel {panel.title!r} has no unit, but its {verb} {_words(quantity)} ({_from_series(quantity)})",
                help=f'set {setting}"{suggestion}"' if suggestion else "set the unit the query returns",
                related=_declared_unit(ctx, quantity),
                subject=panel,
                **ctx.at(panel.location, panel.title),
            )


@check(code="D506", name="unit-mismatch", severity=Severity.WARNING, local=True)
def unit_mismatch(ctx: CheckContext) -> Iterator[Diagnostic]:
    """A panel's unit contradicts what its queries return: `ms` over seconds, `percent` over a 0-1 ratio.

    What a query returns is worked out as for D505: from the `unit=` of the series' declarations or their
    name suffixes (`_seconds`, `_bytes`, `_ratio`) and what the query does to them (`* 1000` turns seconds into
    milliseconds, `* 100` a ratio into a percentage; a division of like units is a 0-1 ratio; `rate()` of
    a `_seconds_total` counter is seconds per second, a 0-1 share of time). Only a panel whose shown queries
    all return the same known unit is checked, and only a unit that would show a wrong number is reported:
    `bytes` on a rate of bytes lacks only "/s", and is accepted. Grafana's time units (`ns`...`d`), data
    units (`bytes`, `bits`, `kbytes`...), data rates (`Bps`, `bps`...), `percent`, `percentunit` and
    throughputs (`reqps`, `ops`, `rpm`...) are known; other units are not checked. Heatmaps are not checked,
    since their unit is the bucket bounds'.

    ## Why is this bad?
    The panel shows a wrong number: a 250 ms latency as 250 µs under `ms`, a 5% error ratio as 0.05%
    under `percent`. Thresholds and the reader's judgement are off by the same factor.

    ## Example
        TimeSeries("Error ratio", f"{errors.rate()} / {requests.rate()}", unit="percent")

    ## Use instead
        TimeSeries("Error ratio", f"{errors.rate()} / {requests.rate()}", unit="percentunit")
    """
    units = _Units(ctx)
    queries = _target_queries(ctx)
    for dashboard in ctx.project.dashboards:
        for panel in dashboard.all_panels():
            expected = GRAFANA_UNITS.get(panel.unit or "")
            if expected is None or isinstance(panel, (Text, Heatmap)) or (ctx.plain and isinstance(panel, Table)):
                continue
            quantity = _panel_quantity(units, queries, panel)
            if quantity is None or not _contradicts(quantity, expected):
                continue
            suggestion = _suggest(quantity)
            verb = "query returns" if len(panel.targets) == 1 else "queries return"
            yield diagnostic(
                "D506",
                f'panel {panel.title!r} has unit "{panel.unit}" ({_words(expected)}), but its {verb} '
                f"{_words(quantity)} ({_from_series(quantity)})",
                help=(f'use unit "{suggestion}", or ' if suggestion else "")
                + "convert the value in the query to the unit the panel shows",
                related=_declared_unit(ctx, quantity),
                subject=panel,
                **_unit_location(ctx, panel),
            )


def _unit_location(ctx: CheckContext, panel: Panel) -> Place:
    for needle in (
        f'unit="{panel.unit}"',
        f"unit='{panel.unit}'",
        f'"unit": "{panel.unit}"',
    ):
        fields = ctx.at(panel.location, needle)
        if fields["span"] is not None:
            return fields
    return ctx.at(panel.location, None)


# --- what a query's numbers measure ---------------------------------------------------------------------------
#
# A panel's unit tells Grafana what its numbers are. To check it, we work out what a query returns from the
# series it reads (the unit= of their declaration, else their name's unit suffix) and what the query does to
# them. That walk is promql's value fact (monitoring_dsl.promql.values); the catalog's part, what each series
# measures, is here. A query the walk does not model gives no unit, so it is never reported.


class _Units:
    """Works out the Quantity of queries, given the catalog."""

    def __init__(self, ctx: CheckContext):
        self.ctx = ctx
        self._records: set[str] = set()

    def of(self, parsed: Parsed) -> Quantity | None:
        """What the numbers of `parsed` measure: promql's value fact, given the catalog's series."""
        return value_of(parsed, self.series, self._is_counter)

    def _is_counter(self, name: str) -> bool:
        return self.ctx.catalog.describe(name).series_type == "counter"

    def series(self, name: str) -> Quantity | None:
        """The Quantity of one series: from its declaration's unit=, else its name."""
        if name.startswith(PLACEHOLDER_PREFIX):
            return None
        info = self.ctx.catalog.describe(name)
        if info.record is not None:
            return self.record(info.record)
        declared = info.metric.unit if info.metric is not None else None
        base = name
        for suffix in ("_total", "_bucket", "_sum", "_count"):
            if base.endswith(suffix):
                base = base[: -len(suffix)]
                break
        if declared is not None:
            found = DECLARED_UNITS.get(declared.lower())
            unit = Quantity(found[0], found[1], series=(name,)) if found else None
        else:
            unit = unit_from_name(base, name)
        if name.endswith("_bucket"):
            return Quantity(COUNT, bounds=unit, series=(name,), inferred=True) if unit is not None else None
        if name.endswith("_count") and info.series_type == "counter":
            return Quantity(COUNT, series=(name,), inferred=declared is None)
        if unit is None and name.endswith("_total") and ":" not in name and not UNIT_IN_NAME_RE.search(base):
            return Quantity(COUNT, series=(name,), inferred=True, certain=False)
        return unit

    def record(self, record: Record) -> Quantity | None:
        if record.name in self._records:
            return None
        self._records.add(record.name)
        try:
            parsed = parse(record.expr)
            return self.of(parsed) if isinstance(parsed, Parsed) else None
        finally:
            self._records.discard(record.name)


def _comparable(query: Quantity) -> Quantity:
    """Seconds per second are a share of time: a 0-1 fraction."""
    if query.dimension == TIME and query.per_second:
        return query.with_(dimension=FRACTION, per_second=False)
    return query


def _contradicts(query: Quantity, unit: Quantity) -> bool:
    """Whether Grafana would show the numbers of `query` wrongly under a unit that expects `unit`.

    A unit that only leaves out "/s" (bytes on a byte rate, seconds on seconds per second) shows the right
    number, and a count over a window may be read as a rate per window: neither is reported.
    """
    if query.same(unit) or _comparable(query).same(unit):
        return False
    if query.dimension in (TIME, DATA) and unit.dimension == query.dimension and math.isclose(unit.scale, query.scale):
        return False  # only "/s" differs
    if query.dimension == COUNT and not query.per_second and unit.dimension == COUNT:
        return False
    # a counter without a unit in its name may still count bytes
    return not (query.dimension == COUNT and not query.certain and unit.dimension == DATA)


_TIME_WORDS = {
    1e-9: "nanoseconds",
    1e-6: "microseconds",
    1e-3: "milliseconds",
    1.0: "seconds",
    60.0: "minutes",
    3600.0: "hours",
    86400.0: "days",
}
_DATA_WORDS = {
    0.125: "bits",
    1.0: "bytes",
    2.0**10: "KiB",
    1e3: "kB",
    2.0**20: "MiB",
    1e6: "MB",
    2.0**30: "GiB",
    1e9: "GB",
    2.0**40: "TiB",
    1e12: "TB",
}


def _words(quantity: Quantity) -> str:
    """`quantity` in words: "seconds", "a 0-1 ratio", "bytes per second"."""
    scale, dimension = quantity.scale, quantity.dimension
    if dimension == TIME and quantity.per_second:
        return f"{_words(_comparable(quantity))} (seconds per second)"
    if dimension == FRACTION:
        if math.isclose(scale, 1):
            return "a 0-1 ratio"
        return "a 0-100 percentage" if math.isclose(scale, 0.01) else f"a fraction in units of {scale:g}"
    words = {TIME: _TIME_WORDS, DATA: _DATA_WORDS}.get(dimension, {})
    base = next((word for size, word in words.items() if math.isclose(size, scale)), None)
    if dimension == COUNT:
        base = "events" if math.isclose(scale, 1) else None
        if not quantity.per_second:
            return "a count"
    if base is None:
        base = f"units of {scale:g} {'seconds' if dimension == TIME else 'bytes' if dimension == DATA else 'events'}"
    if quantity.per_second:
        if dimension == COUNT and math.isclose(scale, 1 / 60):
            return "events per minute"
        return f"{base} per second"
    return base


# The unit to suggest for each Quantity, in order of preference.
_PREFERRED = (
    "s",
    "ms",
    "µs",
    "ns",
    "m",
    "h",
    "d",
    "bytes",
    "bits",
    "kbytes",
    "mbytes",
    "gbytes",
    "percentunit",
    "percent",
    "Bps",
    "bps",
    "KiBs",
    "MiBs",
    "ops",
    "opm",
)


def _suggest(query: Quantity) -> str | None:
    comparable = _comparable(query)
    return next((unit for unit in _PREFERRED if GRAFANA_UNITS[unit].same(comparable)), None)


def _in_query(ctx: CheckContext, query: Query, needle: str) -> Place:
    """`ctx.in_query`; in a plain file, else `needle` on the query's own line (JSON escapes the query's quotes,
    so the query is not found verbatim)."""
    fields = ctx.in_query(query, needle)
    if fields["span"] is not None or not ctx.plain:
        return fields
    return ctx.at(query.location, needle)


# --- rate windows ---------------------------------------------------------------------------------------------

_WINDOW_WORDS = {
    "ms": ("ms", "millisecond"),
    "s": ("s", "sec", "second"),
    "m": ("m", "min", "minute"),
    "h": ("h", "hr", "hour"),
    "d": ("d", "day"),
    "w": ("w", "week"),
    "y": ("y", "year"),
}

_PERIODIC = {"h": "hourly", "d": "daily", "w": "weekly", "y": "yearly"}


def _names_window(window: str, *texts: str | None) -> bool:
    """Whether any of `texts` names the window ("5m average", "last 5 minutes", "per hour")."""
    parts = re.findall(r"(\d+)(ms|[smhdwy])", window)
    if len(parts) != 1:
        return False
    number, unit = parts[0]
    words = "|".join(_WINDOW_WORDS[unit])
    pattern = rf"\b{number}\s*(?:{words})s?\b"
    if number == "1":
        pattern += rf"|\b(?:per|an?|one|last)\s+(?:{words})\b"
        if unit in _PERIODIC:
            pattern += rf"|\b{_PERIODIC[unit]}\b"
    return any(text and re.search(pattern, text, re.IGNORECASE) for text in texts)


@check(code="D507", name="fixed-rate-window", severity=Severity.WARNING, local=True)
def fixed_rate_window(ctx: CheckContext) -> Iterator[Diagnostic]:
    """A panel query takes `rate()` over a fixed range such as `[5m]` instead of `$__rate_interval`.

    Only `rate()` in range queries is reported. A fixed window is deliberate, and accepted, in an instant
    query (`instant=True`: there is no step to follow), in `increase()` (whose window is the quantity
    shown, "failures per hour"), and when the panel's title or description or the query's legend names the
    window ("Request rate, 5m average", "per hour"). `irate()` is not reported: it reads only the last two
    samples of its window, so any window of two scrape intervals or more gives the same graph (Q206 reports
    shorter ones). Subquery ranges (`[1h:5m]`) and variables (`[$window]`) are not fixed windows.

    ## Why is this bad?
    Grafana's step between points grows with the time range. Zoomed out, a step of 10 minutes over a `[5m]`
    rate skips half the samples, so spikes vanish and the graph changes with the zoom; zoomed in, a window
    shorter than four scrape intervals leaves gaps. `$__rate_interval` is always at least four scrape
    intervals and at least one step.

    ## Example
        TimeSeries("Requests", "sum(rate(http_requests_total[5m]))", unit="reqps")

    ## Use instead
        TimeSeries("Requests", "sum(rate(http_requests_total[$__rate_interval]))", unit="reqps")
    """
    for query in ctx.queries:
        target = query.owner
        if not isinstance(target, Target) or target.instant or query.parsed is None:
            continue
        panel = ctx.panels_by_target.get(id(target))
        title = panel.title if panel is not None else None
        description = panel.description if panel is not None else None
        for window in dict.fromkeys(fixed_rate_windows(query.original)):
            if _names_window(window, title, description, target.legend):
                continue
            yield diagnostic(
                "D507",
                f"rate() over a fixed {window} in a panel query: the window does not follow the dashboard's time range",
                help=f"use [$__rate_interval]; if {window} is deliberate, say so in the title or legend "
                f'("{window[1:-1]} average")',
                subject=target,
                **_in_query(ctx, query, window),
            )


# --- variables ------------------------------------------------------------------------------------------------

# Grafana's global variables that do not start with `__` (those that do are Grafana's own by definition), and
# the datasource variable monitoring-dsl adds to every dashboard.
_GLOBAL_VARIABLES = frozenset({"datasource", "timeFilter"})


def _link_texts(link: Link) -> Iterator[str]:
    yield link.title
    if link.url:
        yield link.url
    yield from link.variables.values()


def _texts(dashboard: Dashboard) -> Iterator[tuple[object, str]]:
    """(holder, text) for every text of `dashboard` in which Grafana substitutes variables."""
    yield dashboard, dashboard.title
    yield dashboard, dashboard.description
    for link in dashboard.links:
        yield from ((dashboard, text) for text in _link_texts(link))
    for variable in dashboard.variables:
        for text in (variable.definition, variable.regex, variable.default):
            if text:
                yield variable, text
    for row in dashboard.rows:
        yield row, row.title
    for panel in dashboard.all_panels():
        yield panel, panel.title
        for text in (panel.description, panel.content if isinstance(panel, Text) else None):
            if text:
                yield panel, text
        for link in (*panel.links, *panel.data_links):
            yield from ((panel, text) for text in _link_texts(link))
        for target in panel.targets:
            for text in (target.expr, target.legend, target.interval):
                if text:
                    yield target, text


@check(code="D508", name="unused-variable", severity=Severity.INFO, local=True)
def unused_variable(ctx: CheckContext) -> Iterator[Diagnostic]:
    """A dashboard variable that no panel query, title, link, row or other variable uses.

    A use is `$name`, `${name}` (with any format, `${name:csv}`) or `[[name]]` in a panel query, legend,
    title, description or link, in a row title or in another variable's query, or a row repeated by the
    variable. In a plain dashboard JSON any mention anywhere in the file counts (a panel's `datasource`,
    `repeat`, a Loki query), and ad hoc filters, which apply themselves to every query, are not reported.

    ## Why is this bad?
    The dashboard shows a drop-down that changes nothing: users pick a value and trust a view that ignores
    it. Either a query forgot its filter or the variable can go.

    ## Example
        Dashboard("API", variables=[Variable.query("endpoint", "label_values(http_requests_total, endpoint)")],
                  panels=[TimeSeries("Requests", "sum(rate(http_requests_total[$__rate_interval]))")])

    ## Use instead
        Dashboard("API", variables=[Variable.query("endpoint", "label_values(http_requests_total, endpoint)")],
                  panels=[TimeSeries("Requests",
                                     'sum(rate(http_requests_total{endpoint=~"$endpoint"}[$__rate_interval]))')])
    """
    for dashboard in ctx.project.dashboards:
        used: set[str] = {row.repeat for row in dashboard.rows if row.repeat}
        used.update(panel.repeat for panel in dashboard.all_panels() if panel.repeat)
        for holder, text in _texts(dashboard):
            own = holder.name if isinstance(holder, Variable) else None
            used.update(name for name in variable_references(text) if name != own)
        if dashboard.imported is not None:
            used.update(dashboard.imported.references)
            used.update(name for name, _ in dashboard.imported.repeats)
        for variable in dashboard.variables:
            if variable.name in used:
                continue
            if variable.kind == "adhoc":
                continue  # ad hoc filters apply themselves to every query of the dashboard
            if ctx.plain and variable.kind == "constant" and not variable.definition:
                continue  # an ad hoc filter (or an empty text box): the import cannot tell them apart
            yield diagnostic(
                "D508",
                f"variable {variable.name!r} of dashboard {dashboard.title!r} is defined but nothing uses it",
                help=f'filter the queries it is meant for (`{{label=~"${variable.name}"}}`), or remove it',
                subject=variable,
                **ctx.at(variable.location, variable.name),
            )


def _reference(text: str, name: str) -> str:
    """How `text` refers to the variable `name`: `$name`, `${name:csv}` or `[[name]]`."""
    pattern = rf"\$\{{{name}(?:[.:][^}}]*)?\}}|\[\[{name}(?::[^\]]*)?\]\]|\${name}(?!\w)"
    match = re.search(pattern, text)
    return match.group() if match else f"${name}"


@check(code="D509", name="undefined-variable", severity=Severity.ERROR, local=True)
def undefined_variable(ctx: CheckContext) -> Iterator[Diagnostic]:
    """A panel query, variable query or title uses a variable the dashboard does not define.

    `$name`, `${name}`, `${name:format}` and `[[name]]` are references. Grafana's own variables
    (`$__rate_interval`, `$__interval`, `$__range`, `$__from`, `$__to`, `$__dashboard`, `$__user`, `$__org`,
    anything else starting with `__`, and `$timeFilter`) and the `datasource` variable that monitoring-dsl
    adds are always defined. In a plain dashboard JSON a name the file declares elsewhere (an `__inputs`
    constant) counts as defined. In a query the finding is an error (the query returns nothing); in a
    title it is a warning.

    ## Why is this bad?
    Grafana leaves an unknown `$name` as it is: the query is sent with a literal `$name` in it, and either
    fails to parse or matches nothing. The panel is empty and nothing says why.

    ## Example
        Dashboard("API", panels=[TimeSeries("Requests",
                                            'sum(rate(http_requests_total{endpoint=~"$endpoint"}[5m]))')])

    ## Use instead
        Dashboard("API", variables=[Variable.query("endpoint", "label_values(http_requests_total, endpoint)")],
                  panels=[TimeSeries("Requests",
                                     'sum(rate(http_requests_total{endpoint=~"$endpoint"}[5m]))')])
    """
    queries = _target_queries(ctx)
    for dashboard in ctx.project.dashboards:
        defined = {variable.name for variable in dashboard.variables} | _GLOBAL_VARIABLES
        if dashboard.imported is not None:
            defined.update(dashboard.imported.names)
        places: list[tuple[object, str, str]] = [
            (variable, variable.definition, "the query of variable")
            for variable in dashboard.variables
            if variable.kind == "query"
        ]
        places += [(row, row.title, "the title of row") for row in dashboard.rows]
        for panel in dashboard.all_panels():
            places.append((panel, panel.title, "the title of panel"))
            places += [(target, target.expr, "a query of panel") for target in panel.targets]
        for holder, text, where in places:
            for name in dict.fromkeys(substitute(text, {}).references):
                if name in defined:
                    continue
                reference = _reference(text, name)
                hint = nearest(name, defined - _GLOBAL_VARIABLES)
                owner = getattr(holder, "name", None) or getattr(holder, "title", None)
                if isinstance(holder, Target):
                    panel_ = ctx.panels_by_target.get(id(holder))
                    owner = panel_.title if panel_ is not None else None
                place = f"{where} {owner!r}" if owner else where
                query = queries.get(id(holder))
                if query is not None:
                    fields = _in_query(ctx, query, reference)
                else:
                    fields = ctx.at(getattr(holder, "location", None), reference)
                found = diagnostic(
                    "D509",
                    f"{reference} in {place}: dashboard {dashboard.title!r} defines no variable {name!r}",
                    help=f"did you mean ${hint}?" if hint else f"add a variable named {name!r} to the dashboard",
                    subject=holder,
                    **fields,
                )
                if where.startswith("the title"):
                    found = attrs.evolve(found, severity=Severity.WARNING)  # a wrong title, not an empty query
                yield found


# --- titles and groupings -------------------------------------------------------------------------------------


def _sections(ctx: CheckContext, dashboard: Dashboard) -> list[tuple[Panel, ...]]:
    """The groups of panels a reader sees together: each row's, or all of a dashboard without rows.

    A plain dashboard's rows are not imported; one with rows gives no section, since its panels cannot be
    told apart by row.
    """
    if dashboard.rows:
        return [section for section in (dashboard.panels, *(row.panels for row in dashboard.rows)) if section]
    if dashboard.imported is not None and dashboard.imported.has_rows:
        return []
    return [dashboard.panels]


@check(code="D510", name="duplicate-panel-title", severity=Severity.WARNING, local=True)
def duplicate_panel_title(ctx: CheckContext) -> Iterator[Diagnostic]:
    """Two panels of the same type in the same row (or on a dashboard without rows) have the same title.

    Empty titles are not compared, nor titles holding a variable (`$instance`), which a repeated panel
    needs. Some repeats are layout, not mistakes, and are accepted: panels in different rows ("Errors"
    under "Reads" and under "Writes"), and panels of different types (a Stat of the value now beside a
    TimeSeries of its history). The rows of a plain dashboard JSON are not known, so only a plain dashboard
    without rows is checked.

    ## Why is this bad?
    A copied panel whose title was not changed: two panels claim to show the same thing while their queries
    differ, and "look at the Latency panel" is ambiguous during an incident.

    ## Example
        Row("Latency", [TimeSeries("p95 latency", p95, unit="s"), TimeSeries("p95 latency", p99, unit="s")])

    ## Use instead
        Row("Latency", [TimeSeries("p95 latency", p95, unit="s"), TimeSeries("p99 latency", p99, unit="s")])
    """
    for dashboard in ctx.project.dashboards:
        for panels in _sections(ctx, dashboard):
            seen: dict[str, Panel] = {}
            for panel in panels:
                title = panel.title.strip()
                if not title or "$" in title or "[[" in title:
                    continue
                first = seen.setdefault(f"{panel.type} {title.casefold()}", panel)
                if first is panel:
                    continue
                yield diagnostic(
                    "D510",
                    f"dashboard {dashboard.title!r} has two panels titled {panel.title!r}",
                    help="give each panel a title that says what it shows",
                    related=ctx.declared_at("first panel with this title", first),
                    subject=panel,
                    **ctx.at(panel.location, panel.title),
                )


@check(code="D511", name="unbounded-grouping", severity=Severity.WARNING, local=True)
def unbounded_grouping(ctx: CheckContext) -> Iterator[Diagnostic]:
    """A panel query groups `by` a high-cardinality label (a path, user, IP, request id) with no `topk`.

    The labels are those M108 calls unbounded (`path`, `url`, `user_id`, `email`, `client_ip`,
    `request_id`, `trace_id`...). Not reported: a query with `topk`, `bottomk` or `limitk`; a label an outer
    aggregation removes again; and a label the query filters to chosen values (`user_id="$user"`,
    `path=~"/a|/b"`).

    ## Why is this bad?
    The panel draws one series per value: thousands of lines that no one can read, a legend that fills the
    screen, and a query that loads Prometheus and the browser in proportion to the label's values.

    ## Example
        TimeSeries("Requests by path", "sum by (path) (rate(http_requests_total[$__rate_interval]))")

    ## Use instead
        TimeSeries("Busiest paths", "topk(10, sum by (path) (rate(http_requests_total[$__rate_interval])))")
    """
    for query in ctx.queries:
        if not isinstance(query.owner, Target) or query.parsed is None:
            continue
        if _LIMITING.intersection(aggregation_operators(query.parsed)):
            continue
        output = output_labels(query.parsed, ctx.catalog.labels_of)
        if not output:
            continue
        bounded = {
            matcher.label
            for selector in selectors(query.parsed)
            for matcher in selector.matchers
            if matcher.op == "=" or (matcher.op == "=~" and _BOUNDED_REGEX_RE.fullmatch(matcher.value))
        }
        reported: set[str] = set()
        for grouping in groupings(query.parsed, ctx.catalog.labels_of):
            if grouping.clause != "by":
                continue
            for label in grouping.labels:
                if label in reported or label not in output or label in bounded:
                    continue
                if label.lower() not in HIGH_CARDINALITY_LABELS:
                    continue
                reported.add(label)
                yield diagnostic(
                    "D511",
                    f"`by ({label})` without topk: the panel draws a series for every {label} value, "
                    "and their number has no bound",
                    help=f'show the busiest: topk(10, ...); or filter {label} with a variable ({label}=~"${label}")',
                    subject=query.owner,
                    **ctx.in_query(query, label),
                )


_LIMITING = frozenset({"topk", "bottomk", "limitk", "limit_ratio"})
# A regex matcher that lists values (`a|b|c`) rather than matching a pattern.
_BOUNDED_REGEX_RE = re.compile(r"[\w:/.-]+(?:\|[\w:/.-]+)*")


# --- variables used as they can be -------------------------------------------------------------------------


def _repeated_by(ctx: CheckContext) -> dict[int, set[str]]:
    """id(target) -> the variables its panel is repeated by, which hold one value in each repetition.

    A plain dashboard's rows and panel repeats are not imported: any variable the file repeats by counts.
    """
    found: dict[int, set[str]] = {}
    for dashboard in ctx.project.dashboards:
        everywhere: set[str] = set()
        if dashboard.imported is not None:
            everywhere = {name for name, _ in dashboard.imported.repeats}
        for row in dashboard.rows:
            for panel in row.panels:
                for target in panel.targets:
                    found.setdefault(id(target), set()).update({row.repeat} if row.repeat else set())
        for panel in dashboard.all_panels():
            for target in panel.targets:
                found.setdefault(id(target), set()).update(everywhere)
    return found


@check(code="D512", name="exact-match-on-multi-value-variable", severity=Severity.ERROR, local=True)
def exact_match_on_multi_value_variable(ctx: CheckContext) -> Iterator[Diagnostic]:
    """A `=` or `!=` matcher takes its value from a variable that allows several values or "All".

    A variable with `multi=True` or `include_all=True` can stand for more than one value. Grafana then
    writes a regex alternation into the query, `(a|b)` or the pattern for "All", which only `=~` and `!~`
    understand. A row repeated by the variable gives each copy one value, so its panels are not reported.

    ## Why is this bad?
    With two values or "All" selected, `queue="$queue"` asks for a queue literally named `(emails|sms)`:
    the panel goes empty exactly when the user widens the selection, and `!=` stops filtering anything.

    ## Example
        variables=[Variable.query("queue", "label_values(jobs_queued, queue)", multi=True)]
        TimeSeries("Backlog", 'sum(jobs_queued{queue="$queue"})')

    ## Use instead
        TimeSeries("Backlog", 'sum(jobs_queued{queue=~"$queue"})')
    """
    repeated = _repeated_by(ctx)
    for query in ctx.queries:
        dashboard = query.dashboard
        if dashboard is None or query.text == query.original:
            continue
        several = {v.name: v for v in dashboard.variables if v.multi or v.include_all}
        for name in repeated.get(id(query.owner), ()):
            several.pop(name, None)
        if not several:
            continue
        seen: set[tuple[str, str]] = set()
        for matcher in exact_matchers(query.original):
            for reference in references(matcher.value):
                variable = several.get(reference.name)
                if variable is None or (matcher.label, reference.name) in seen:
                    continue
                seen.add((matcher.label, reference.name))
                why = "several values" if variable.multi else "All"
                regex_op = "=~" if matcher.op == "=" else "!~"
                fields = _in_query(ctx, query, matcher.text)
                if fields["span"] is None:
                    fields = _in_query(ctx, query, reference.text)
                yield diagnostic(
                    "D512",
                    f"`{matcher.label}{matcher.op}` with variable {reference.text}, which can hold {why}:"
                    " Grafana then sends a regex, and an exact matcher matches no series",
                    help=f'write `{matcher.label}{regex_op}"{reference.text}"`'
                    + (", or make the variable single-valued" if variable.multi else ""),
                    related=ctx.declared_at("variable declared", variable),
                    subject=query.owner,
                    **fields,
                )


@check(code="D514", name="undefined-repeat-variable", severity=Severity.ERROR, local=True)
def undefined_repeat_variable(ctx: CheckContext) -> Iterator[Diagnostic]:
    """A row or panel is repeated by a variable the dashboard does not define.

    Specs repeat rows and panels (`Row(repeat=...)`, `TimeSeries(..., repeat=...)`); in plain dashboard JSON
    every `"repeat"` of a row or panel is checked.

    ## Why is this bad?
    Grafana repeats the row once per value of the variable; with no such variable the row is shown once,
    with the `$name` in its title and queries left as they are, so the per-value view never appears.

    ## Example
        Dashboard("API", variables=[Variable.query("endpoint", ...)],
                  rows=[Row("Endpoint $endpoint", [...], repeat="endpiont")])

    ## Use instead
        Dashboard("API", variables=[Variable.query("endpoint", ...)],
                  rows=[Row("Endpoint $endpoint", [...], repeat="endpoint")])
    """
    for dashboard in ctx.project.dashboards:
        defined = {variable.name for variable in dashboard.variables}
        repeated: list[Row | Panel] = [*dashboard.rows, *dashboard.all_panels()]
        for obj in repeated:
            if not obj.repeat or obj.repeat in defined:
                continue
            hint = nearest(obj.repeat, defined)
            kind = "row" if isinstance(obj, Row) else "panel"
            yield diagnostic(
                "D514",
                f"{kind} {obj.title!r} is repeated by variable {obj.repeat!r}, which dashboard {dashboard.title!r}"
                " does not define",
                help=f"did you mean {hint!r}?"
                if hint
                else f"add Variable.query({obj.repeat!r}, ...) to the dashboard, or remove repeat=",
                subject=obj,
                **ctx.at(obj.location, obj.repeat),
            )
        if dashboard.imported is not None and dashboard.location is not None:
            yield from _undefined_json_repeats(ctx, dashboard, dashboard.imported, defined)


def _undefined_json_repeats(
    ctx: CheckContext, dashboard: Dashboard, facts: ImportedFacts, defined: set[str]
) -> Iterator[Diagnostic]:
    """D514 for the `"repeat": "name"` keys of a plain dashboard JSON, whose rows and repeats are not imported."""
    for name, line in facts.repeats:
        if name in defined:
            continue
        hint = nearest(name, defined)
        yield diagnostic(
            "D514",
            f"a row or panel of dashboard {dashboard.title!r} is repeated by variable {name!r}, which it does not"
            " define",
            help=f"did you mean {hint!r}?" if hint else f"define a variable named {name!r}, or remove the repeat",
            subject=dashboard,
            **ctx.at(SourceLocation(dashboard.location.path, line), name),
        )


_FUNCTION_CALL_RE = re.compile(r"^\s*(?P<name>[A-Za-z_]\w*)\s*\((?P<args>.*)\)\s*$", re.S)


def _top_level_arguments(text: str) -> list[str] | None:
    """The comma-separated arguments of a call, respecting brackets and quotes; None when they do not
    balance (Q200 reports the PromQL inside)."""
    arguments: list[str] = []
    depth = 0
    quote = ""
    current = ""
    for char in text:
        if quote:
            current += char
            if char == quote:
                quote = ""
            continue
        if char in "\"'`":
            quote = char
        elif char in "({[":
            depth += 1
        elif char in ")}]":
            depth -= 1
        elif char == "," and depth == 0:
            arguments.append(current.strip())
            current = ""
            continue
        current += char
    if depth != 0 or quote:
        return None
    if current.strip() or arguments:
        arguments.append(current.strip())
    return arguments


def _variable_query_problem(definition: str, plain: bool) -> tuple[str, str, str] | None:
    """(what is wrong, how to fix it, the text to point at) for a Prometheus variable query, or None."""
    match = _FUNCTION_CALL_RE.match(definition)
    if match is None:
        return None  # a series selector: Grafana lists the matching series
    name = match.group("name")
    if name not in VARIABLE_QUERY_FUNCTIONS:
        hint = nearest(name, VARIABLE_QUERY_FUNCTIONS)
        if plain and hint is None:
            return None  # another data source's function (CloudWatch's regions(), say)
        known = ", ".join(f"{f}()" for f in VARIABLE_QUERY_FUNCTIONS)
        return (
            f"`{name}()` is not a function of Grafana's Prometheus variable queries",
            (f"did you mean `{hint}()`? " if hint else "") + f"the functions are {known}",
            name,
        )
    arguments = _top_level_arguments(match.group("args"))
    if arguments is None:
        return None
    low, high = VARIABLE_QUERY_FUNCTIONS[name]
    if not low <= len(arguments) <= high or any(not argument for argument in arguments):
        shapes = {
            "label_names": "label_names() or label_names(metric{...})",
            "label_values": "label_values(label) or label_values(metric{...}, label)",
            "metrics": "metrics(regex)",
            "query_result": "query_result(promql)",
        }
        count = "no argument" if not arguments else f"{len(arguments)} arguments"
        return f"`{name}()` given {count}", f"write {shapes[name]}", name
    if name == "label_values":
        label = arguments[-1]
        if not re.fullmatch(r"[A-Za-z_]\w*|\$\{?\w+\}?", label):
            return (
                f"`label_values()` takes a label name last, not {label!r}",
                "write label_values(metric{...}, label)",
                label,
            )
    return None


@check(code="D515", name="invalid-variable-query", severity=Severity.ERROR, local=True)
def invalid_variable_query(ctx: CheckContext) -> Iterator[Diagnostic]:
    """A query variable's definition calls a function Grafana does not have, or gives it wrong arguments.

    Grafana's Prometheus variable queries are `label_names()` (optionally with a series selector),
    `label_values(label)` and `label_values(metric{...}, label)`, `metrics(regex)` and `query_result(promql)`;
    anything else that is not a function call is taken as a series selector. In plain dashboards, which may
    use other data sources, only a name close to one of these is reported.

    ## Why is this bad?
    Grafana sends the misspelt call to Prometheus as a series selector, which fails: the variable has no
    values, and every panel filtered by it is empty.

    ## Example
        Variable.query("queue", "label_value(jobs_queued, queue)")

    ## Use instead
        Variable.query("queue", "label_values(jobs_queued, queue)")
    """
    for dashboard in ctx.project.dashboards:
        for variable in dashboard.variables:
            if variable.kind != "query" or not variable.definition.strip():
                continue
            problem = _variable_query_problem(variable.definition, ctx.plain)
            if problem is None:
                continue
            what, fix, needle = problem
            yield diagnostic(
                "D515",
                f"variable {variable.name!r}: {what}",
                help=fix,
                subject=variable,
                **ctx.at(variable.location, needle),
            )


# --- legends and data links ------------------------------------------------------------------------------

_LEGEND_LABEL_RE = re.compile(r"\{\{\s*([A-Za-z_]\w*)\s*\}\}")
_DATA_FIELD_RE = re.compile(r"\$\{__data\.fields\.([A-Za-z_]\w*)(?::\w+)?\}")
_NOT_LABEL_FIELDS = frozenset({"Time", "Value", "Metric", "__name__"})


@check(code="D516", name="label-not-in-panel-result", severity=Severity.WARNING, local=True)
def label_not_in_panel_result(ctx: CheckContext) -> Iterator[Diagnostic]:
    """A legend or data link reads a label that the panel's query result does not carry.

    Legends (`{{endpoint}}`) are checked against their own query, data links (`${__field.labels.endpoint}`,
    `${__data.fields.endpoint}`) against every shown query of the panel. The labels a query returns are worked
    out as for alerts: `sum by (endpoint)` keeps `endpoint` only, a selector keeps the metric's declared labels,
    `job`, `instance` and the declared target labels. A query whose labels cannot be known is not checked;
    in plain dashboards, which have no catalog, only labels an aggregation keeps are known.

    ## Why is this bad?
    Grafana prints an empty legend for every series, so the lines cannot be told apart, and a drill-down link
    opens the next dashboard with an empty filter.

    ## Example
        TimeSeries("Jobs", Target("sum by (queue) (rate(jobs_done_total[$__rate_interval]))",
                                  legend="{{jobtype}}"))

    ## Use instead
        TimeSeries("Jobs", Target("sum by (queue, jobtype) (rate(jobs_done_total[$__rate_interval]))",
                                  legend="{{jobtype}}"))
    """
    queries = _target_queries(ctx)
    # Without a catalog only what aggregations keep is known: a bare selector may carry any label.
    labels_of = ctx.catalog.labels_of if not ctx.plain else (lambda _name: None)
    for dashboard in ctx.project.dashboards:
        for panel in dashboard.all_panels():
            union: set[str] | None = set()
            for target in panel.targets:
                query = queries.get(id(target))
                labels = (
                    output_labels(query.parsed, labels_of) if query is not None and query.parsed is not None else None
                )
                if labels is None or any(label.startswith(PLACEHOLDER_PREFIX) for label in labels):
                    union = None
                    continue
                if union is not None and not target.hide:
                    union |= labels
                for written, label in dict.fromkeys(
                    (m.group(), m.group(1)) for m in _LEGEND_LABEL_RE.finditer(target.legend or "")
                ):
                    if label in labels or label in _NOT_LABEL_FIELDS:
                        continue
                    yield diagnostic(
                        "D516",
                        f"legend {target.legend!r} of panel {panel.title!r} reads label `{label}`, which its query"
                        f" does not return (it returns {_label_list(labels)})",
                        help=_missing_label_help(label, labels),
                        subject=target,
                        **ctx.at(target.location, written),
                    )
            if not union:
                continue
            for link in panel.data_links:
                for text in _link_texts(link):
                    found = FIELD_LABEL_RE.findall(text) + _DATA_FIELD_RE.findall(text)
                    for label in dict.fromkeys(found):
                        if label in union or label in _NOT_LABEL_FIELDS or label.startswith("Value"):
                            continue
                        yield diagnostic(
                            "D516",
                            f"data link {link.title!r} of panel {panel.title!r} reads label `{label}`, which the"
                            f" panel's queries do not return (they return {_label_list(frozenset(union))})",
                            help=_missing_label_help(label, frozenset(union)),
                            subject=panel,
                            **ctx.at(link.location, label),
                        )


def _label_list(labels: frozenset[str]) -> str:
    return "{" + ", ".join(sorted(labels)) + "}" if labels else "no labels"


def _missing_label_help(label: str, labels: frozenset[str]) -> str:
    hint = nearest(label, sorted(labels))
    if hint:
        return f"did you mean `{hint}`?"
    return f"keep the label in the query (`sum by (..., {label})`), or read one it returns"


# --- layout, thresholds and colours ------------------------------------------------------------------------


def _overlap(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> bool:
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    return ax < bx + bw and bx < ax + aw and ay < by + bh and by < ay + ah


@check(code="D517", name="overlapping-panels", severity=Severity.WARNING, local=True)
def overlapping_panels(ctx: CheckContext) -> Iterator[Diagnostic]:
    """Two panels of the same row (or of a dashboard without rows) have `grid_pos` rectangles that overlap.

    `grid_pos=(x, y, w, h)` places a panel on the 24-column grid, `y` counted from the top of its row.
    Panels without `grid_pos` are placed around the others and never overlap. Plain dashboard JSON is not
    checked: its rows are not imported, so which panels share a row is not known.

    ## Why is this bad?
    Grafana cannot draw two panels in one place: it pushes one of them down, so the dashboard does not look
    as declared, and which panel moves depends on their order.

    ## Example
        Row("Traffic", [Stat("Up", "min(up)", grid_pos=(0, 0, 12, 4)),
                        Stat("Targets", "count(up)", grid_pos=(6, 0, 12, 4))])

    ## Use instead
        Row("Traffic", [Stat("Up", "min(up)", grid_pos=(0, 0, 12, 4)),
                        Stat("Targets", "count(up)", grid_pos=(12, 0, 12, 4))])
    """
    if ctx.plain:
        return
    for dashboard in ctx.project.dashboards:
        sections = [dashboard.panels, *(row.panels for row in dashboard.rows)]
        for panels in sections:
            placed = [panel for panel in panels if panel.grid_pos is not None]
            for index, panel in enumerate(placed):
                other = next((p for p in placed[:index] if _overlap(p.grid_pos, panel.grid_pos)), None)  # type: ignore[arg-type]
                if other is None:
                    continue
                yield diagnostic(
                    "D517",
                    f"panel {panel.title!r} at grid_pos={panel.grid_pos} overlaps panel {other.title!r}"
                    f" at grid_pos={other.grid_pos}",
                    help="move one of them: x + w of the left panel must not exceed the right panel's x, or "
                    "y + h of the upper the lower's y",
                    related=ctx.declared_at("the other panel", other),
                    subject=panel,
                    **ctx.at(panel.location, "grid_pos"),
                )


@check(code="D518", name="threshold-order", severity=Severity.WARNING, local=True)
def threshold_order(ctx: CheckContext) -> Iterator[Diagnostic]:
    """A panel's thresholds are not in ascending order, or a step without a value is not the first.

    The first `Threshold` is the base colour and has no value; every later one starts at its value, which
    must be higher than the one before.

    ## Why is this bad?
    Grafana applies the steps in the order given: a value past a lower step that comes later is coloured
    by the wrong step, so a critical value shows green.

    ## Example
        thresholds=[Threshold("green"), Threshold("red", 0.9), Threshold("orange", 0.8)]

    ## Use instead
        thresholds=[Threshold("green"), Threshold("orange", 0.8), Threshold("red", 0.9)]
    """
    for dashboard in ctx.project.dashboards:
        for panel in dashboard.all_panels():
            previous: float | None = None
            for index, threshold in enumerate(panel.thresholds):
                problem = None
                if threshold.value is None:
                    if index > 0:
                        problem = f"threshold {threshold.color!r} has no value but is not the first step"
                elif previous is not None and threshold.value < previous:
                    problem = (
                        f"threshold {threshold.color!r} at {threshold.value:g} comes after a step at {previous:g}:"
                        " steps must be in ascending order"
                    )
                elif previous is not None and threshold.value == previous:
                    problem = (
                        f"threshold {threshold.color!r} at {threshold.value:g} has the value of the step before it,"
                        " which therefore never shows"
                    )
                if threshold.value is not None:
                    previous = threshold.value if previous is None else max(previous, threshold.value)
                if problem is None:
                    continue
                yield diagnostic(
                    "D518",
                    f"panel {panel.title!r}: {problem}",
                    help="list the base colour first without a value, then the steps from lowest to highest value",
                    subject=panel,
                    **ctx.at(threshold.location or panel.location, threshold.color),
                )


def _known_color(color: str) -> bool:
    lowered = color.strip().lower()
    return lowered in GRAFANA_COLOR_NAMES or lowered in CSS_COLOR_NAMES or bool(COLOR_FUNCTION_RE.match(lowered))


@check(code="D519", name="unknown-color", severity=Severity.WARNING, local=True)
def unknown_color(ctx: CheckContext) -> Iterator[Diagnostic]:
    """A threshold colour that is neither one of Grafana's colour names, a CSS colour name nor a colour value.

    Grafana's names are `green`, `red`, `orange`, `yellow`, `blue`, `purple` with an optional shade
    (`dark-red`, `semi-dark-green`, `light-blue`, `super-light-orange`), `text` and `transparent`; colour
    values are `#rgb`, `#rrggbb`, `#rrggbbaa`, `rgb(...)`, `rgba(...)`, `hsl(...)`.

    ## Why is this bad?
    Grafana cannot draw an unknown colour: the step is shown in a default colour, so a warning level looks
    like every other.

    ## Example
        thresholds=[Threshold("green"), Threshold("amber", 0.8)]

    ## Use instead
        thresholds=[Threshold("green"), Threshold("orange", 0.8)]
    """
    names = sorted(GRAFANA_COLOR_NAMES)
    for dashboard in ctx.project.dashboards:
        for panel in dashboard.all_panels():
            for threshold in panel.thresholds:
                if _known_color(threshold.color):
                    continue
                hint = nearest(threshold.color.lower(), names)
                yield diagnostic(
                    "D519",
                    f"panel {panel.title!r}: threshold colour {threshold.color!r} is not a colour Grafana knows",
                    help=(f"did you mean {hint!r}? " if hint else "")
                    + "use a Grafana colour name (green, orange, red, dark-red...) or a value such as '#e02f44'",
                    subject=panel,
                    **ctx.at(threshold.location or panel.location, threshold.color),
                )


# --- units ---------------------------------------------------------------------------------------------------


def _unit_suggestion(unit: str) -> str | None:
    lowered = unit.strip().lower()
    if lowered in UNIT_WORDS:
        return UNIT_WORDS[lowered]
    by_lower = {known.lower(): known for known in GRAFANA_UNIT_IDS}
    if lowered in by_lower:
        return by_lower[lowered]
    if lowered.endswith("s") and lowered[:-1] in UNIT_WORDS:
        return UNIT_WORDS[lowered[:-1]]
    return nearest(unit, sorted(GRAFANA_UNIT_IDS)) if len(unit) >= 4 else None


@check(code="D513", name="unknown-grafana-unit", severity=Severity.WARNING, local=True)
def unknown_grafana_unit(ctx: CheckContext) -> Iterator[Diagnostic]:
    """A panel's `unit=` is not one of Grafana's unit ids.

    Grafana's ids are short and exact: `s`, `ms`, `bytes`, `percent`, `percentunit`, `reqps`, `short`...
    (`monitoring-dsl explain D513` lists the common ones; Grafana's unit picker shows them all). Custom
    units written as Grafana spells them (`suffix:jobs`, `si:B`, `currency:CHF`) are accepted. In plain
    dashboard JSON, where a unit Grafana does not know is often a deliberate suffix ("/ sec"), only a word
    that names a Grafana unit ("seconds", "Percent") is reported.

    ## Why is this bad?
    Grafana prints an unknown unit verbatim after the raw number: `unit="seconds"` shows `0.25 seconds`
    instead of `250 ms`, never scales to minutes or hours, and the unit checks (D505, D506) cannot help.

    ## Example
        TimeSeries("p95 latency", latency.quantile(0.95), unit="seconds")

    ## Use instead
        TimeSeries("p95 latency", latency.quantile(0.95), unit="s")
    """
    for dashboard in ctx.project.dashboards:
        for panel in dashboard.all_panels():
            unit = panel.unit
            if not unit or unit in GRAFANA_UNIT_IDS or CUSTOM_UNIT_RE.match(unit) or isinstance(panel, Text):
                continue
            hint = _unit_suggestion(unit)
            if ctx.plain and (hint is None or hint == nearest(unit, sorted(GRAFANA_UNIT_IDS))):
                continue  # a custom suffix such as "/ sec", which Grafana prints as written
            yield diagnostic(
                "D513",
                f'panel {panel.title!r} has unit "{unit}", which is not a Grafana unit id',
                help=(f'did you mean "{hint}"? ' if hint else "")
                + 'for a unit Grafana does not have, write "suffix:<text>"',
                subject=panel,
                **_unit_location(ctx, panel),
            )
