"""verify: run every panel, variable and rule query of the project against a live Prometheus.

Queries are sent as Grafana would send them: macros from the dashboard's time range and the scrape interval,
each variable's values taken from its own query (or list) and formatted like Grafana's Prometheus datasource
(a multi-value or include-all variable becomes an escaped regex alternation). Each query ends ok, empty or
failing; for an empty one, its selectors are probed one matcher at a time to say which part matched nothing.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable, Collection, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor

import attrs

from monitoring_dsl.checks.context import variable_query
from monitoring_dsl.model.base import SourceLocation
from monitoring_dsl.model.builtins import BUILTIN_METRICS
from monitoring_dsl.model.dashboards import Dashboard, Panel, Target, Variable, dashboard_uid
from monitoring_dsl.model.exposition import created_series, exposed_series
from monitoring_dsl.model.project import Project
from monitoring_dsl.model.rules import Alert, Record, parse_duration
from monitoring_dsl.promql import Parsed, Selector, interpolate, parse, selectors
from monitoring_dsl.verify.api import PrometheusAPI, QueryFailed

OK, EMPTY, FAILING = "ok", "empty", "failing"
DEFAULT_RANGE = 6 * 3600
MAX_POINTS = 100  # points per range query, about what a panel shows


@attrs.frozen
class Options:
    scrape_interval: float = 15.0  # the datasource's scrape interval, as Grafana's $__rate_interval uses it
    concurrency: int = 4
    lookback: float = 3600.0  # how far back rules and the series lists look
    allow: Collection[str] = ()  # uids, panel titles, rule names, $variables whose problems are accepted
    allow_empty: bool = False
    job: str | None = None  # the scrape job of the instrumented service, for the series lists
    now: float | None = None


@attrs.frozen
class Outcome:
    """One query's result: where it is declared, what it is, the query as sent, and the verdict."""

    kind: str  # variable, panel, alert, record
    title: str
    location: SourceLocation | None
    status: str
    sent: str
    detail: str
    allowed: bool = False


@attrs.frozen
class Report:
    outcomes: tuple[Outcome, ...]
    unexposed: tuple[str, ...]  # declared series the target does not expose
    undeclared: tuple[str, ...]  # series the target exposes that nothing declares

    def problems(self, allow_empty: bool = False) -> list[Outcome]:
        """Outcomes that make verify exit 1."""
        return [
            o for o in self.outcomes if o.status != OK and not o.allowed and not (o.status == EMPTY and allow_empty)
        ]

    def counts(self) -> dict[str, int]:
        counts = {OK: 0, EMPTY: 0, FAILING: 0}
        for outcome in self.outcomes:
            counts[outcome.status] += 1
        return counts


# --- Grafana's substitution ----------------------------------------------------------------------------------

_REGEX_SPECIAL = re.compile(r"[$^*{}\[\]'+?.()|]")


def regex_escape(value: str) -> str:
    """A value inside a PromQL regex string, as Grafana's Prometheus datasource escapes it."""
    return _REGEX_SPECIAL.sub(lambda m: "\\\\" + m.group(0), value.replace("\\", "\\\\\\\\"))


def format_variable(variable: Variable, values: list[str]) -> str:
    """The text Grafana puts in place of `$name`: the current value, or for multi-value and include-all
    variables (all values selected) an escaped alternation."""
    if variable.multi or variable.include_all:
        if len(values) == 1:
            return regex_escape(values[0])
        return "(" + "|".join(regex_escape(v) for v in values) + ")"
    if not values:
        return ""
    return variable.default if variable.default in values else values[0]


def macros(range_seconds: int, step: int, scrape: int) -> dict[str, str]:
    """Grafana's built-in macros for a panel over `range_seconds` at `step`."""
    rate = max(step + scrape, 4 * scrape)
    return {
        "__interval": f"{step}s",
        "__interval_ms": str(step * 1000),
        "__rate_interval": f"{rate}s",
        "__rate_interval_ms": str(rate * 1000),
        "__range": f"{range_seconds}s",
        "__range_s": str(range_seconds),
        "__range_ms": str(range_seconds * 1000),
    }


def _range_seconds(time_from: str) -> int:
    if time_from.startswith("now-"):
        seconds = parse_duration(time_from[4:])
        if seconds:
            return int(seconds)
    return DEFAULT_RANGE


def _step(range_seconds: int, scrape: int, minimum: str | None) -> int:
    step = max(scrape, math.ceil(range_seconds / MAX_POINTS))
    if minimum:
        step = max(step, int(parse_duration(minimum) or 0))
    return step


# --- explaining an empty result ------------------------------------------------------------------------------


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def selector_text(selector: Selector) -> str:
    matchers = ", ".join(f"{m.label}{m.op}{_quote(m.value)}" for m in selector.matchers if m.label != "__name__")
    name = selector.name or ""
    if not name:
        matchers = ", ".join(f"{m.label}{m.op}{_quote(m.value)}" for m in selector.matchers)
    return f"{name}{{{matchers}}}" if matchers or not name else name


def explain_empty(api: PrometheusAPI, query: str, start: float, end: float) -> list[str]:
    """Why `query` has no result: the selectors that match no series, down to the matcher at fault."""
    parsed = parse(query)
    if not isinstance(parsed, Parsed):
        return []
    reasons: list[str] = []
    seen: set[str] = set()
    for selector in selectors(parsed):
        text = selector_text(selector)
        if text in seen:
            continue
        seen.add(text)
        try:
            if api.series(text, start, end):
                continue
            if selector.name and not api.series(selector.name, start, end):
                reasons.append(f"no series named `{selector.name}`")
                continue
            own = [m for m in selector.matchers if m.label != "__name__"]
            found = False
            for matcher in own:
                alone = selector_text(Selector(selector.name, (matcher,), None, None))
                if api.series(alone, start, end):
                    continue
                found = True
                known = api.label_values(matcher.label, start, end, selector.name or None)
                where = f" of `{selector.name}`" if selector.name else ""
                if known:
                    shown = ", ".join(known[:8]) + (", ..." if len(known) > 8 else "")
                    reasons.append(
                        f"label `{matcher.label}`{where} has no value matching {matcher.op}{_quote(matcher.value)} "
                        f"(values: {shown})"
                    )
                else:
                    reasons.append(f"no series{where} has a `{matcher.label}` label")
            if not found:
                reasons.append(f"`{text}` matched no series, though each of its matchers alone matches some")
        except QueryFailed:
            continue  # a selector Prometheus will not look up alone (only negative matchers): no verdict
    return reasons


# --- the work ------------------------------------------------------------------------------------------------

Task = Callable[[], Outcome]


def _series_count(result: list[dict[str, object]]) -> str:
    return f"{len(result)} series"


def _run_query(
    api: PrometheusAPI,
    kind: str,
    title: str,
    location: SourceLocation | None,
    sent: str,
    instant: bool,
    start: float,
    end: float,
    step: int,
    allowed: bool,
    empty_variables: Iterable[str] = (),
) -> Outcome:
    def outcome(status: str, detail: str) -> Outcome:
        return Outcome(kind, title, location, status, sent, detail, allowed)

    try:
        result = api.query(sent, end) if instant else api.query_range(sent, start, end, step)
    except QueryFailed as error:
        return outcome(FAILING, error.message)
    if result:
        return outcome(OK, _series_count(result))
    try:
        reasons = explain_empty(api, sent, start, end)
    except QueryFailed as error:
        reasons = [f"could not tell why: {error.message}"]
    empty_vars = [f"variable ${name} has no values" for name in empty_variables]
    if kind == "alert" and not reasons and not empty_vars:
        return outcome(OK, "no alert now: every selector matched series and the condition is false")
    if not empty_vars and _reads_only_alerts(sent):
        return outcome(OK, "no alert firing now")  # a panel of alert state is empty while all is well
    reasons = empty_vars + reasons
    if not reasons:
        reasons = ["every selector matched series; filters, comparisons or label matching left nothing"]
    return outcome(EMPTY, "; ".join(reasons))


def _reads_only_alerts(query: str) -> bool:
    """Whether every series the query reads is Prometheus's own alert state (`ALERTS`, `ALERTS_FOR_STATE`)."""
    parsed = parse(query)
    if not isinstance(parsed, Parsed):
        return False
    names = {selector.name for selector in selectors(parsed)}
    return bool(names) and names <= {"ALERTS", "ALERTS_FOR_STATE"}


def _variable_values(
    api: PrometheusAPI, variable: Variable, values: Mapping[str, str], start: float, end: float
) -> list[str]:
    """The values Grafana would offer for `variable`, its queries sent with the variables before it."""
    if variable.kind in ("custom", "interval"):
        found = list(variable.values)
    elif variable.kind == "constant":
        found = [variable.definition]
    elif variable.kind != "query":
        return []
    else:
        definition = interpolate(variable.definition, values)[0]
        promql, label = variable_query(definition)
        text = definition.strip()
        if label is not None:
            found = api.label_values(label, start, end, promql)
        elif promql is not None:
            found = [_series_text(series) for series in api.query(promql, end)]
        elif text.startswith("label_names"):
            found = api.label_names(start, end)
        elif text.startswith("metrics(") and text.endswith(")"):
            pattern = _compile(text[len("metrics(") : -1].strip() or ".*")
            found = [name for name in api.label_values("__name__", start, end) if pattern.search(name)]
        else:
            raise QueryFailed(f"verify does not know how to run the variable query {variable.definition!r}")
    if variable.regex:
        found = _apply_regex(variable.regex, found)
    return list(dict.fromkeys(found))


def _compile(pattern: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern)
    except re.error as error:
        raise QueryFailed(f"invalid regular expression {pattern!r}: {error}") from None


def _apply_regex(regex: str, values: list[str]) -> list[str]:
    pattern = regex[1:-1] if len(regex) > 1 and regex.startswith("/") and regex.endswith("/") else regex
    compiled = _compile(pattern)
    kept = []
    for value in values:
        match = compiled.search(value)
        if match:
            kept.append(match.group(1) if compiled.groups else value)
    return kept


def _series_text(series: Mapping[str, object]) -> str:
    metric = dict(series.get("metric") or {})  # type: ignore[call-overload]
    name = metric.pop("__name__", "")
    labels = ",".join(f'{k}="{v}"' for k, v in sorted(metric.items()))
    value = series.get("value")
    shown = value[1] if isinstance(value, list) and len(value) == 2 else ""
    return f"{name}{{{labels}}} {shown}".strip()


def _is_allowed(options: Options, *names: str) -> bool:
    return any(name in options.allow for name in names)


def _dashboard_tasks(
    api: PrometheusAPI, dashboard: Dashboard, options: Options, now: float
) -> tuple[list[Outcome], list[Task]]:
    uid = dashboard_uid(dashboard)
    scrape = max(1, round(options.scrape_interval))
    range_seconds = _range_seconds(dashboard.time_from)
    step = _step(range_seconds, scrape, None)
    base_start = now - step * math.ceil(range_seconds / step)
    values: dict[str, str] = macros(range_seconds, step, scrape)
    outcomes: list[Outcome] = []
    empty: set[str] = set()
    for variable in dashboard.variables:
        if variable.kind == "datasource":
            continue
        title = f"variable ${variable.name} of {uid}"
        allowed = _is_allowed(options, uid, f"${variable.name}", f"{uid}/${variable.name}")
        try:
            found = _variable_values(api, variable, values, base_start, now)
        except QueryFailed as error:
            found = []
            outcomes.append(
                Outcome("variable", title, variable.location, FAILING, variable.definition, error.message, allowed)
            )
        else:
            if variable.kind == "query":
                status, detail = (OK, f"{len(found)} values") if found else (EMPTY, "the query returned no values")
                outcomes.append(
                    Outcome("variable", title, variable.location, status, variable.definition, detail, allowed)
                )
        if not found:
            empty.add(variable.name)
        values[variable.name] = format_variable(variable, found)

    tasks: list[Task] = []
    for panel in dashboard.all_panels():
        for index, target in enumerate(panel.targets):
            tasks.append(
                _panel_task(
                    api, dashboard, uid, panel, index, target, values, empty, options, now, scrape, range_seconds
                )
            )
    return outcomes, tasks


def _panel_task(
    api: PrometheusAPI,
    dashboard: Dashboard,
    uid: str,
    panel: Panel,
    index: int,
    target: Target,
    values: Mapping[str, str],
    empty: Collection[str],
    options: Options,
    now: float,
    scrape: int,
    range_seconds: int,
) -> Task:
    step = _step(range_seconds, scrape, target.interval)
    start = now - step * math.ceil(range_seconds / step)
    local = {**values, **macros(range_seconds, step, scrape)}
    sent, _missing = interpolate(target.expr, local)
    ref = target.ref_id or (chr(ord("A") + index) if index < 26 else str(index + 1))
    title = f'panel "{panel.title}" of {uid}' + (f" query {ref}" if len(panel.targets) > 1 else "")
    allowed = _is_allowed(options, uid, panel.title, f"{uid}/{panel.title}")
    used = [name for name in empty if re.search(rf"\$\{{?{re.escape(name)}\b", target.expr)]

    def task() -> Outcome:
        return _run_query(api, "panel", title, target.location, sent, target.instant, start, now, step, allowed, used)

    return task


def _rule_task(api: PrometheusAPI, rule: Alert | Record, options: Options, now: float) -> Task:
    kind = "alert" if isinstance(rule, Alert) else "record"
    title = f"{kind} {rule.name}"
    allowed = _is_allowed(options, rule.name)
    start = now - options.lookback

    def task() -> Outcome:
        return _run_query(api, kind, title, rule.location, rule.expr.strip(), True, start, now, 1, allowed)

    return task


def declared_series(project: Project) -> tuple[set[str], set[str]]:
    """The series names the catalog's metrics expose, and the `_created` companions prometheus_client adds."""
    names: set[str] = set()
    created: set[str] = set()
    for metric in project.metrics:
        names.update(exposed_series(metric))
        companion = created_series(metric)
        if companion:
            created.add(companion)
    return names, created


_BUILTIN_PREFIXES = ("process_", "python_", "scrape_")


def series_lists(api: PrometheusAPI, project: Project, options: Options, now: float) -> tuple[list[str], list[str]]:
    """(declared but not exposed, exposed but not declared), from the names Prometheus holds."""
    match = f"{{job={_quote(options.job)}}}" if options.job else None
    exposed = set(api.label_values("__name__", now - options.lookback, now, match))
    declared, created = declared_series(project)
    known = declared | created | {m.name for m in BUILTIN_METRICS} | {r.name for r in project.records}
    unexposed = sorted(declared - exposed)
    undeclared = sorted(n for n in exposed if n not in known and not n.startswith(_BUILTIN_PREFIXES))
    return unexposed, undeclared


def verify(project: Project, api: PrometheusAPI, options: Options | None = None) -> Report:
    """Run every query of `project` against `api`, at most `options.concurrency` at a time."""
    options = options or Options()
    now = options.now if options.now is not None else time.time()
    outcomes: list[Outcome] = []
    tasks: list[Task] = []
    for dashboard in project.dashboards:
        variable_outcomes, panel_tasks = _dashboard_tasks(api, dashboard, options, now)
        outcomes.extend(variable_outcomes)
        tasks.extend(panel_tasks)
    rules: list[Alert | Record] = [*project.alerts, *project.records]
    tasks.extend(_rule_task(api, rule, options, now) for rule in rules)
    with ThreadPoolExecutor(max_workers=max(1, options.concurrency)) as pool:
        outcomes.extend(pool.map(lambda task: task(), tasks))
    unexposed, undeclared = series_lists(api, project, options, now)
    return Report(tuple(outcomes), tuple(unexposed), tuple(undeclared))
