"""SLOs compile to plain spec objects (rule groups, a dashboard per service) and to promtool test files.

`expand_slos` adds the generated objects to the project before the checks run, so the whole check catalog
sees them like hand-written ones and the rules and grafana emitters write them; `slo_test_files` writes the
tests. Pure functions, no I/O. Arithmetic is exact (`decimal.Decimal`): a 99.9% objective pages above
`0.0144`, never above `0.014400000000000001`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from decimal import Decimal

import attrs

from monitoring_dsl.model.base import SourceLocation
from monitoring_dsl.model.dashboards import Dashboard, Row, Stat, Target, Threshold, TimeSeries
from monitoring_dsl.model.project import Declared, Project
from monitoring_dsl.model.rules import Alert, Record, RuleGroup, parse_duration
from monitoring_dsl.model.slo import (
    SLO,
    WORKBOOK,
    AvailabilityIndicator,
    BurnAlert,
    BurnPolicy,
    BurnWindow,
    LatencyIndicator,
    RatioIndicator,
    format_number,
)
from monitoring_dsl.promql import Matcher
from monitoring_dsl.promql.samples import matching_value, ratio_series

# The error ratio is recorded over every window a burn-rate alert reads, and over the SLO's own window.
RATIO_WINDOWS = ("5m", "30m", "1h", "2h", "6h", "1d", "3d")
SLI_RECORD = "slo:sli_error:ratio_rate{window}"
OBJECTIVE_RECORD = "slo:objective:ratio"
BUDGET_RATIO_RECORD = "slo:error_budget:ratio"
BUDGET_RECORD = "slo:error_budget:remaining"


# --- names -------------------------------------------------------------------------------------------------


def _camel(text: str) -> str:
    return "".join(word[:1].upper() + word[1:] for word in re.split(r"[^A-Za-z0-9]+", text) if word)


def alert_name(slo: SLO) -> str:
    """`ApiAvailabilityErrorBudgetBurn`: one name for the page and the ticket, told apart by severity."""
    return f"{_camel(slo.service)}{_camel(slo.name)}ErrorBudgetBurn"


def group_name(slo: SLO) -> str:
    return f"slo-{slo.service}-{slo.name}"


def windows(slo: SLO) -> tuple[str, ...]:
    """The windows whose error ratio is recorded, shortest first, the SLO window included once."""
    listed = list(RATIO_WINDOWS)
    if slo.window not in listed:
        listed.append(slo.window)
    return tuple(sorted(listed, key=lambda w: parse_duration(w) or 0))


def slo_labels(slo: SLO) -> dict[str, str]:
    return {"service": slo.service, "slo": slo.name}


def _selector_of(record: str, slo: SLO) -> str:
    return f'{record}{{service="{slo.service}", slo="{slo.name}"}}'


def series(slo: SLO, window: str) -> str:
    """The recorded error ratio of `slo` over `window`, as a selector."""
    return _selector_of(SLI_RECORD.format(window=window), slo)


def budget_series(slo: SLO) -> str:
    return _selector_of(BUDGET_RECORD, slo)


def _percent(value: Decimal) -> str:
    return format_number(value) + "%"


# --- rules -------------------------------------------------------------------------------------------------


def _burn_expr(slo: SLO, alert: BurnAlert) -> str:
    budget = slo.error_budget
    legs = []
    for window in alert.windows:
        threshold = format_number(window.factor * budget)
        legs.append(
            f"(\n  {series(slo, window.long)} > {threshold}\nand\n  {series(slo, window.short)} > {threshold}\n)"
        )
    return "\n or \n".join(legs).replace("\n or \n", "\nor\n")


def _burn_description(slo: SLO, alert: BurnAlert) -> str:
    parts = [f"{format_number(w.factor)}x over {w.long} and {w.short}" for w in alert.windows]
    return (f"{slo.description} " if slo.description else "") + (
        f"SLO {slo.service}/{slo.name} ({_percent(slo.objective)} over {slo.window}) is burning its error budget "
        f"at {' or '.join(parts)} the rate that would spend it exactly in {slo.window}."
    )


def _burn_alert(slo: SLO, alert: BurnAlert) -> Alert:
    severity = slo.page_severity if alert.kind == "page" else slo.ticket_severity
    speed = "fast" if alert.kind == "page" else "steadily"
    return Alert(
        alert_name(slo),
        _burn_expr(slo, alert),
        for_=alert.for_,
        severity=severity,
        summary=f"{slo.service} {slo.name}: error budget burning {speed}",
        description=_burn_description(slo, alert),
        runbook_url=slo.runbook_url,
        labels={**slo_labels(slo), **slo.labels},
    )


def slo_rule_group(slo: SLO, policy: BurnPolicy = WORKBOOK) -> RuleGroup:
    """The SLO's group: error ratio per window, budget remaining, then the page and the ticket."""
    indicator = slo.indicator
    rules: list[Alert | Record] = [
        Record(SLI_RECORD.format(window=window), indicator.error_ratio(window), labels=slo_labels(slo))
        for window in windows(slo)
    ]
    # The objective and the budget as series, for dashboards and ad-hoc queries; the budget left divides by the
    # budget series, so it reads as the share of the budget it is (a literal divisor would scale a ratio).
    rules.append(Record(OBJECTIVE_RECORD, f"vector({format_number(slo.objective / 100)})", labels=slo_labels(slo)))
    rules.append(Record(BUDGET_RATIO_RECORD, f"vector({format_number(slo.error_budget)})", labels=slo_labels(slo)))
    budget = _selector_of(BUDGET_RATIO_RECORD, slo)
    rules.append(Record(BUDGET_RECORD, f"1 - {series(slo, slo.window)} / {budget}", labels=slo_labels(slo)))
    rules.extend(_burn_alert(slo, alert) for alert in policy.alerts())
    group = RuleGroup(group_name(slo), tuple(rules))
    _place(group, slo.location)
    for rule in rules:
        # The error-ratio records carry the indicator's selectors: their findings belong at the indicator.
        at_indicator = isinstance(rule, Record) and rule.name.startswith("slo:sli")
        _place(rule, indicator.location if at_indicator else slo.location)
    return group


# --- dashboard ---------------------------------------------------------------------------------------------


def _slo_row(slo: SLO) -> Row:
    budget = format_number(slo.error_budget) if slo.error_budget > 0 else "1"
    burn = tuple(Target(f"{series(slo, w)} / {budget}", legend=w) for w in windows(slo) if w in RATIO_WINDOWS)
    alerts = (
        f'sum by (severity) (ALERTS{{alertname="{alert_name(slo)}", alertstate="firing", '
        f'service="{slo.service}", slo="{slo.name}"}})'
    )
    target = slo.objective / 100
    return Row(
        f"{slo.name}: {_percent(slo.objective)} over {slo.window}",
        (
            Stat(
                f"{slo.name}: indicator ({slo.window})",
                (Target(f"1 - {series(slo, slo.window)}"),),
                unit="percentunit",
                decimals=3,
                thresholds=(Threshold("red"), Threshold("green", float(target))),
                description=(f"{slo.description} " if slo.description else "")
                + f"Share of good events over {slo.window}; the objective is {_percent(slo.objective)}.",
            ),
            Stat(
                f"{slo.name}: error budget remaining",
                (Target(budget_series(slo)),),
                unit="percentunit",
                decimals=1,
                thresholds=(Threshold("red"), Threshold("orange", 0.0), Threshold("green", 0.25)),
                description=f"Share of the {slo.window} error budget not yet spent; below 0 the SLO is missed.",
            ),
            TimeSeries(
                f"{slo.name}: burn rate by window",
                burn,
                unit="none",
                description="Error ratio over each window divided by the error budget: 1 spends the budget in "
                f"exactly {slo.window}; the page fires above "
                + " or ".join(f"{format_number(w.factor)} ({w.long} and {w.short})" for w in WORKBOOK.page.windows)
                + ".",
            ),
            TimeSeries(
                f"{slo.name}: burn-rate alerts firing",
                (Target(alerts, legend="{{severity}}"),),
                unit="none",
                draw_style="bars",
                description=f"Firing {alert_name(slo)} alerts, by severity (page: {slo.page_severity}, "
                f"ticket: {slo.ticket_severity}).",
            ),
        ),
    )


def slo_dashboard(service: str, slos: list[SLO]) -> Dashboard:
    """One dashboard per service: a row per SLO with indicator, budget left, burn rates and alert state."""
    dashboard = Dashboard(
        f"SLOs: {service}",
        uid=f"slo-{service}"[:40],
        rows=tuple(_slo_row(slo) for slo in slos),
        tags=("slo", service),
        time_from="now-7d",
        description=f"Service-level objectives of {service}, generated from the SLO declarations.",
    )
    for slo, row in zip(slos, dashboard.rows, strict=True):
        _place(row, slo.location)
        for panel in row.panels:
            _place(panel, slo.location)
            for target in panel.targets:
                _place(target, slo.location)
    _place(dashboard, slos[0].location)
    return dashboard


def _place(obj: object, location: SourceLocation | None) -> None:
    """Generated objects are reported at the SLO that made them, never at the code that built them."""
    object.__setattr__(obj, "location", location)


# --- the project -------------------------------------------------------------------------------------------


def slos_by_service(project: Project) -> dict[str, list[tuple[SLO, str]]]:
    """Each service's SLOs with the spec module that declared them, in declaration order."""
    grouped: dict[str, list[tuple[SLO, str]]] = {}
    for declared in project.declared:
        if isinstance(declared.obj, SLO):
            grouped.setdefault(declared.obj.service, []).append((declared.obj, declared.module))
    return grouped


def expand_slos(project: Project, policy: BurnPolicy = WORKBOOK) -> Project:
    """The project with each SLO's rule group (in the rule file of the module declaring it) and each service's
    dashboard (declared by the module of its first SLO) added, so checks and emitters treat them as written."""
    grouped = slos_by_service(project)
    if not grouped:
        return project
    added: list[Declared] = []
    origins = dict(project.origins)
    for service, slos in grouped.items():
        for slo, module in slos:
            group = slo_rule_group(slo, policy)
            origins[id(group)] = slo
            added.append(Declared(group, module))
            added.extend(Declared(rule, module) for rule in group.rules)
        dashboard = slo_dashboard(service, [slo for slo, _ in slos])
        for row, (slo, _) in zip(dashboard.rows, slos, strict=True):
            origins[id(row)] = slo  # a row's panels belong to its SLO, whose `allow` covers them
        added.append(Declared(dashboard, slos[0][1]))
    return Project(project.modules, project.declared + tuple(added), origins)


# --- promtool tests ----------------------------------------------------------------------------------------

STEP_MINUTES = 1
FAST_WARMUP = 20  # minutes of healthy traffic before the fast burn starts
SLOW_MINUTES = 30  # the slow burn and the quiet run: long enough for the ticket's `for` and a margin
TOTAL_PER_STEP = Decimal(1000)
TOLERANCE = 2  # minutes either side of the predicted firing time


def _series_text(name: str, labels: dict[str, str]) -> str:
    """A promtool input series, label values escaped as in PromQL strings."""
    inner = ", ".join(f'{k}="{_escape(v)}"' for k, v in sorted(labels.items()))
    return f"{name}{{{inner}}}" if inner else name


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')


@attrs.frozen
class _Inputs:
    """How to feed an indicator: the promtool input series for a run whose error ratio is `ratios[minute]`."""

    build: Callable[[list[Decimal]], list[dict[str, str]]]
    gauge: bool  # True: the ratio is an average of samples (availability); False: a ratio of counter increases


def _counter_values(increments: Iterable[Decimal]) -> str:
    """Cumulative counter samples, one per step, in promtool's notation `0 5 10` (exact decimals)."""
    total = Decimal(0)
    values = ["0"]
    for step in increments:
        total += step
        values.append(format_number(total))
    return _compress(values)


def _compress(values: list[str]) -> str:
    """Runs of a constant increment written as promtool's `a+bxn`, so files stay short and readable."""
    parts: list[str] = []
    i = 0
    while i < len(values):
        start = Decimal(values[i])
        if i + 1 < len(values):
            step = Decimal(values[i + 1]) - start
            j = i + 1
            while j + 1 < len(values) and Decimal(values[j + 1]) - Decimal(values[j]) == step:
                j += 1
            count = j - i
            sign = "+" if step >= 0 else "-"
            parts.append(f"{values[i]}{sign}{format_number(abs(step))}x{count}")
            i = j + 1
        else:
            parts.append(values[i])
            i += 1
    return " ".join(parts)


def _inputs(slo: SLO) -> _Inputs | None:
    indicator = slo.indicator
    if isinstance(indicator, RatioIndicator):
        found = ratio_series(indicator.errors, indicator.total)
        if found is None:
            return None
        name, bad, good = found

        def counters(ratios: list[Decimal]) -> list[dict[str, str]]:
            return [
                {"series": _series_text(name, bad), "values": _counter_values(r * TOTAL_PER_STEP for r in ratios)},
                {
                    "series": _series_text(name, good),
                    "values": _counter_values((1 - r) * TOTAL_PER_STEP for r in ratios),
                },
            ]

        return _Inputs(counters, gauge=False)
    if isinstance(indicator, LatencyIndicator):
        labels: dict[str, str] = {}
        for label, value in indicator.matchers.items():
            op = "=~" if any(ch in value for ch in "|.*+?[]()$") else "="
            matched = matching_value(Matcher(label, op, value))
            if matched is None:
                return None
            labels[label] = matched
        le = format_number(indicator.threshold)
        le = le if "." in le else le + ".0"
        histogram = indicator.histogram.name

        def buckets(ratios: list[Decimal]) -> list[dict[str, str]]:
            return [
                {
                    "series": _series_text(histogram + "_bucket", {**labels, "le": le}),
                    "values": _counter_values((1 - r) * TOTAL_PER_STEP for r in ratios),
                },
                {
                    "series": _series_text(histogram + "_count", labels),
                    "values": _counter_values(TOTAL_PER_STEP for _ in ratios),
                },
            ]

        return _Inputs(buckets, gauge=False)
    assert isinstance(indicator, AvailabilityIndicator)
    job = indicator.job

    def up(ratios: list[Decimal]) -> list[dict[str, str]]:
        values = [format_number(1 - r) for r in [ratios[0], *ratios]]
        return [{"series": _series_text("up", {"job": job}), "values": _compress(values)}]

    return _Inputs(up, gauge=True)


def _window_ratio(ratios: list[Decimal], minute: int, window: str, gauge: bool) -> Decimal | None:
    """The error ratio Prometheus computes at `minute` over `window` for a run whose step `i` (from minute
    i-1 to i) had error ratio ratios[i-1]: the samples in [minute - window, minute], both ends included."""
    span = int((parse_duration(window) or 0) // 60)
    start = max(0, minute - span)
    if gauge:
        samples = [ratios[0], *ratios][start : minute + 1]
        return sum(samples, Decimal(0)) / len(samples) if samples else None
    steps = ratios[start:minute]
    return sum(steps, Decimal(0)) / len(steps) if steps else None


def _firing_from(ratios: list[Decimal], alert: BurnAlert, budget: Decimal, gauge: bool) -> int | None:
    """The first minute the alert fires (its condition true, then held for `for_`), or None."""
    hold = int((parse_duration(alert.for_) or 0) // 60)
    for minute in range(1, len(ratios) + 1):
        if any(_burning(ratios, minute, window, budget, gauge) for window in alert.windows):
            return minute + hold
    return None


def _burning(ratios: list[Decimal], minute: int, window: BurnWindow, budget: Decimal, gauge: bool) -> bool:
    threshold = window.factor * budget
    long = _window_ratio(ratios, minute, window.long, gauge)
    short = _window_ratio(ratios, minute, window.short, gauge)
    return long is not None and short is not None and long > threshold and short > threshold


def _minutes(minute: int) -> str:
    hours, rest = divmod(minute, 60)
    return (f"{hours}h" if hours else "") + (f"{rest}m" if rest or not hours else "")


def _state(starts: dict[str, int | None], minute: int) -> list[BurnAlert] | None:
    """The alerts predicted firing at `minute`; None when one starts too close to it to say for sure."""
    firing = []
    for alert in WORKBOOK.alerts():
        start = starts[alert.kind]
        if start is not None and abs(start - minute) < TOLERANCE:
            return None
        if start is not None and start < minute:
            firing.append(alert)
    return firing


def _expected(slo: SLO, alert: BurnAlert) -> dict[str, object]:
    rule = _burn_alert(slo, alert)
    return {"exp_labels": rule.all_labels(), "exp_annotations": rule.all_annotations()}


def _check_at(slo: SLO, minute: int, firing: list[BurnAlert]) -> dict[str, object]:
    return {
        "eval_time": _minutes(minute),
        "alertname": alert_name(slo),
        "exp_alerts": [_expected(slo, alert) for alert in firing],
    }


def slo_tests(slo: SLO) -> list[dict[str, object]]:
    """promtool test groups for one SLO, predicted from the workbook's factors (not from the rules under
    test): a fast burn pages within the predicted minutes, a slow burn opens a ticket and does not page,
    no burn fires nothing. An indicator whose selectors are too intricate to feed gets no tests."""
    inputs = _inputs(slo)
    budget = slo.error_budget
    if inputs is None or budget <= 0:
        return []
    tests: list[dict[str, object]] = []
    page, ticket = WORKBOOK.page, WORKBOOK.ticket
    # A fast burn at twice the page's first factor, after healthy traffic: it pages, and not before predicted.
    fast_rate = min(Decimal(1), 2 * page.windows[0].factor * budget)
    if fast_rate > page.windows[0].factor * budget:
        horizon = FAST_WARMUP + 60
        ratios = [Decimal(0)] * FAST_WARMUP + [fast_rate] * (horizon - FAST_WARMUP)
        pages_at = _firing_from(ratios, page, budget, inputs.gauge)
        tickets_at = _firing_from(ratios, ticket, budget, inputs.gauge)
        if pages_at is not None and pages_at + 2 * TOLERANCE <= horizon:
            starts = {"page": pages_at, "ticket": tickets_at}
            checks = []
            for minute in (FAST_WARMUP, pages_at - TOLERANCE - 1, pages_at + TOLERANCE, pages_at + 2 * TOLERANCE):
                state = _state(starts, minute)
                if minute >= FAST_WARMUP and state is not None:
                    checks.append(_check_at(slo, minute, state))
            if any(page in (_state(starts, m) or []) for m in (pages_at + TOLERANCE, pages_at + 2 * TOLERANCE)):
                tests.append(
                    {
                        "name": f"{slo.service}/{slo.name}: a burn at {format_number(fast_rate / budget)}x the "
                        f"budget pages after {_minutes(pages_at - FAST_WARMUP)}",
                        "interval": f"{STEP_MINUTES}m",
                        "input_series": inputs.build(ratios),
                        "alert_rule_test": checks,
                    }
                )
    # A slow burn at twice the budget: a ticket, never a page.
    slow_rate = min(Decimal(1), 2 * ticket.windows[-1].factor * budget)
    if slow_rate < page.windows[-1].factor * budget:
        ratios = [slow_rate] * SLOW_MINUTES
        tickets_at = _firing_from(ratios, ticket, budget, inputs.gauge)
        if tickets_at is not None and _firing_from(ratios, page, budget, inputs.gauge) is None:
            at = [m for m in (tickets_at + TOLERANCE, SLOW_MINUTES) if m <= SLOW_MINUTES]
            tests.append(
                {
                    "name": f"{slo.service}/{slo.name}: a burn at {format_number(slow_rate / budget)}x the "
                    "budget opens a ticket and does not page",
                    "interval": f"{STEP_MINUTES}m",
                    "input_series": inputs.build(ratios),
                    "alert_rule_test": [_check_at(slo, minute, [ticket]) for minute in dict.fromkeys(at)],
                }
            )
    quiet = [Decimal(0)] * SLOW_MINUTES
    tests.append(
        {
            "name": f"{slo.service}/{slo.name}: no errors fire nothing",
            "interval": f"{STEP_MINUTES}m",
            "input_series": inputs.build(quiet),
            "alert_rule_test": [_check_at(slo, minute, []) for minute in (10, SLOW_MINUTES)],
        }
    )
    return tests


def slo_test_files(project: Project) -> dict[str, tuple[str, dict[str, object]]]:
    """`prometheus/tests/slo-<service>.test.yml` for each service: its SLOs' tests, reading the rule files
    (relative to the test file) of the modules that declared them. Keyed by path: the module of the service's
    first SLO (for the header) and the file's plain data."""
    files: dict[str, tuple[str, dict[str, object]]] = {}
    for service, slos in slos_by_service(project).items():
        tests = [test for slo, _ in slos for test in slo_tests(slo)]
        if not tests:
            continue
        rule_files = sorted({f"../rules/{module}.yml" for _, module in slos})
        data: dict[str, object] = {
            "rule_files": rule_files,
            "evaluation_interval": f"{STEP_MINUTES}m",
            "tests": tests,
        }
        files[f"prometheus/tests/slo-{service}.test.yml"] = (slos[0][1], data)
    return files
