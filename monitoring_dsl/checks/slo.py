"""S64x: service-level objectives. Objectives that leave a budget, windows people use, latency thresholds the
histogram can measure, error selectors that count a part of the total, and SLOs that do not clash.

An indicator's unknown metrics and labels are reported by Q210 and Q212 on the SLO's generated recording
rules, at the indicator's line: those checks know the catalog, and this family does not repeat them.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from monitoring_dsl.checks.context import CheckContext
from monitoring_dsl.checks.registry import check, diagnostic
from monitoring_dsl.diagnostics import Diagnostic, Place, Severity
from monitoring_dsl.model.base import SourceLocation, nearest
from monitoring_dsl.model.slo import (
    SLO,
    SLO_WINDOWS,
    WORKBOOK,
    LatencyIndicator,
    RatioIndicator,
    format_number,
    to_decimal,
)
from monitoring_dsl.promql import Matcher, Parsed, parse, selectors
from monitoring_dsl.promql.samples import matching_value, ratio_series


def _slos(ctx: CheckContext) -> list[SLO]:
    return [d.obj for d in ctx.project.declared if isinstance(d.obj, SLO)]


def _keyword(ctx: CheckContext, location: SourceLocation | None, keyword: str) -> Place:
    """Diagnostic fields pointing at `keyword=` of the call at `location`, else at the call."""
    found = ctx.sources.keyword(location, keyword)
    return {"location": found or location, "span": keyword if found else None}


@check(code="S640", name="slo-objective-range", severity=Severity.ERROR)
def slo_objective_range(ctx: CheckContext) -> Iterator[Diagnostic]:
    """An SLO's objective is not a percentage strictly between 0 and 100.

    ## Why is this bad?
    The error budget is `1 - objective / 100`. An objective of 100 leaves no budget, so every single error
    pages; above 100 or at 0 and below the burn-rate thresholds are negative or meaningless. A share such as
    `0.999` instead of `99.9` is almost always meant as a percentage.

    ## Example
        SLO("api", "availability", objective=0.999, indicator=SLO.availability(job="api"))

    ## Use instead
        SLO("api", "availability", objective=99.9, indicator=SLO.availability(job="api"))
    """
    for slo in _slos(ctx):
        if 0 < slo.objective < 100:
            continue
        hint = "objectives are percentages: 99.9 means 99.9% of events good"
        if slo.objective == 100:
            hint = "100% leaves no error budget; promise what the service can keep, e.g. 99.9"
        yield diagnostic(
            "S640",
            f"SLO {slo.service}/{slo.name}: objective {format_number(slo.objective)} is not between 0 and 100",
            help=hint,
            subject=slo,
            **_keyword(ctx, slo.location, "objective"),
        )


@check(code="S641", name="slo-unknown-window", severity=Severity.ERROR)
def slo_unknown_window(ctx: CheckContext) -> Iterator[Diagnostic]:
    """An SLO's window is not one of the supported compliance windows: 7d, 14d, 28d, 30d or 90d.

    ## Why is this bad?
    The burn-rate factors (14.4, 6, 3, 1) and the error-budget dashboard assume a window of days to a
    quarter; a window of hours makes the ticket's 3-day window longer than the budget it guards, and an
    unusual one (`31d`, `4w2d`) is usually a typo. Reports and people compare SLOs over the same windows.

    ## Example
        SLO("api", "availability", objective=99.9, window="1h", indicator=SLO.availability(job="api"))

    ## Use instead
        SLO("api", "availability", objective=99.9, window="30d", indicator=SLO.availability(job="api"))
    """
    for slo in _slos(ctx):
        if slo.window in SLO_WINDOWS:
            continue
        hint = nearest(slo.window, SLO_WINDOWS)
        yield diagnostic(
            "S641",
            f"SLO {slo.service}/{slo.name}: window {slo.window!r} is not a supported SLO window",
            help=(f"did you mean {hint!r}? " if hint else "") + f"SLO windows: {', '.join(SLO_WINDOWS)}",
            subject=slo,
            **_keyword(ctx, slo.location, "window"),
        )


@check(code="S642", name="slo-threshold-not-a-bucket", severity=Severity.ERROR)
def slo_threshold_not_a_bucket(ctx: CheckContext) -> Iterator[Diagnostic]:
    """A latency SLO's threshold is not a bucket boundary of its histogram.

    ## Why is this bad?
    A histogram only counts requests at or below its bucket boundaries. The share of requests faster than
    0.15 s cannot be read from buckets at 0.1 and 0.25: the query would find no `le="0.15"` series and the
    SLO would never report, page or spend budget.

    ## Example
        latency = Histogram("http_request_duration_seconds", "Latency", buckets=[0.05, 0.1, 0.25])
        SLO("api", "latency", objective=99, indicator=SLO.latency(latency, threshold=0.2))

    ## Use instead
        latency = Histogram("http_request_duration_seconds", "Latency", buckets=[0.05, 0.1, 0.2, 0.25])
        SLO("api", "latency", objective=99, indicator=SLO.latency(latency, threshold=0.2))
    """
    for slo in _slos(ctx):
        indicator = slo.indicator
        if not isinstance(indicator, LatencyIndicator):
            continue
        bounds = [to_decimal(bound) for bound in indicator.histogram.buckets]
        if indicator.threshold in bounds:
            continue
        listed = ", ".join(format_number(b) for b in bounds if isinstance(b, Decimal))
        threshold = format_number(indicator.threshold)
        yield diagnostic(
            "S642",
            f"SLO {slo.service}/{slo.name}: threshold {threshold} is not a bucket boundary of "
            f"`{indicator.histogram.name}` ({listed})",
            help=f"add {threshold} to the histogram's buckets, or use one of its boundaries as the threshold",
            subject=slo,
            related=ctx.declared_at("histogram declared", indicator.histogram),
            location=indicator.location,
            span=None,
        )


def _selector(text: str) -> tuple[str | None, frozenset[Matcher]] | None:
    parsed = parse(text)
    if not isinstance(parsed, Parsed):
        return None  # Q200 reports it on the generated rules
    found = selectors(parsed)
    if len(found) != 1:
        return None
    return found[0].name, frozenset(m for m in found[0].matchers if m.label != "__name__")


def _show(matchers: frozenset[Matcher]) -> str:
    return ", ".join(f'{m.label}{m.op}"{m.value}"' for m in sorted(matchers, key=lambda m: (m.label, m.op)))


@check(code="S643", name="slo-errors-not-subset", severity=Severity.ERROR)
def slo_errors_not_subset(ctx: CheckContext) -> Iterator[Diagnostic]:
    """A ratio SLO's error selector is not a part of its total.

    It counts another metric, lacks a matcher of the total, or has no matcher of its own. The errors must
    select the same metric as the total, keep every matcher of the total and add at least one
    (`status=~"5.."`).

    ## Why is this bad?
    The error ratio is errors over total. Errors counted from another metric or from series the total leaves
    out can exceed the total: the ratio goes above 1 and the burn rates mean nothing. Errors that select the
    whole total make the ratio 1 whenever there is traffic, and the SLO pages at once.

    ## Example
        SLO("api", "errors", objective=99.9,
            indicator=SLO.ratio(errors='http_requests_total{status=~"5.."}',
                                total='http_requests_total{endpoint="/api"}'))

    ## Use instead
        SLO("api", "errors", objective=99.9,
            indicator=SLO.ratio(errors='http_requests_total{endpoint="/api", status=~"5.."}',
                                total='http_requests_total{endpoint="/api"}'))
    """
    for slo in _slos(ctx):
        indicator = slo.indicator
        if not isinstance(indicator, RatioIndicator):
            continue
        errors, total = _selector(indicator.errors), _selector(indicator.total)
        if errors is None or total is None:
            continue
        problem = None
        if errors[0] != total[0]:
            problem = f"errors select `{errors[0]}` but the total `{total[0]}`"
            fix = 'count errors and total from one counter, the errors with a matcher more (status=~"5..")'
        elif not total[1] <= errors[1]:
            missing = _show(total[1] - errors[1])
            problem = f"errors lack the total's matcher(s) {missing}"
            fix = f"add {missing} to the errors selector"
        elif errors[1] == total[1]:
            problem = "errors select the same series as the total"
            fix = 'add the matcher that tells errors apart, e.g. status=~"5.."'
        if problem is None:
            continue
        yield diagnostic(
            "S643",
            f"SLO {slo.service}/{slo.name}: error selector is not a subset of the total: {problem}",
            help=fix,
            subject=slo,
            **_keyword(ctx, indicator.location, "errors"),
        )


@check(code="S644", name="duplicate-slo", severity=Severity.ERROR)
def duplicate_slo(ctx: CheckContext) -> Iterator[Diagnostic]:
    """Two SLOs have the same service and name.

    ## Why is this bad?
    An SLO's recording rules and alerts are labelled with its service and name. Two with the same pair
    record the same series twice, with different values: Prometheus keeps one sample per evaluation and
    drops the other, so dashboards and alerts flip between the two objectives.

    ## Example
        SLO("api", "latency", objective=99, indicator=SLO.latency(latency, 0.1))
        SLO("api", "latency", objective=95, indicator=SLO.latency(latency, 0.05))

    ## Use instead
        SLO("api", "latency-100ms", objective=99, indicator=SLO.latency(latency, 0.1))
        SLO("api", "latency-50ms", objective=95, indicator=SLO.latency(latency, 0.05))
    """
    seen: dict[tuple[str, str], SLO] = {}
    for slo in _slos(ctx):
        first = seen.setdefault((slo.service, slo.name), slo)
        if first is not slo:
            yield diagnostic(
                "S644",
                f"SLO {slo.service}/{slo.name} is declared twice",
                help="give each SLO of a service its own name",
                subject=slo,
                related=ctx.declared_at("first declared", first),
                location=slo.location,
            )


@check(code="S645", name="slo-alert-cannot-fire", severity=Severity.WARNING)
def slo_alert_cannot_fire(ctx: CheckContext) -> Iterator[Diagnostic]:
    """An SLO's page or ticket can never fire: its burn-rate thresholds are all above an error ratio of 1.

    A burn-rate alert fires when the error ratio exceeds a factor times the error budget (14.4 and 6 for the
    page, 3 and 1 for the ticket). With a budget of 0.1 (objective 90) or more, 14.4 times it is above 1, a
    ratio no service reaches, so the page is dead; from a budget of 1 (objective 0) the ticket is too.

    ## Why is this bad?
    The SLO looks guarded but one of its alerts is silent whatever happens. A median objective ("p50 under
    50 ms", objective 50) can only open tickets; say so, or watch that target by the ticket alone.

    ## Example
        SLO("api", "latency-p50", objective=50, indicator=SLO.latency(latency, 0.05))

    ## Use instead
        SLO("api", "latency-p50", objective=50, indicator=SLO.latency(latency, 0.05),
            allow={"S645": "a median objective: tickets only"})
    """
    for slo in _slos(ctx):
        if not 0 < slo.objective < 100:
            continue  # S640 reports it
        budget = slo.error_budget
        for alert in WORKBOOK.alerts():
            lowest = min(window.factor for window in alert.windows) * budget
            if lowest < 1:
                continue
            severity = slo.page_severity if alert.kind == "page" else slo.ticket_severity
            yield diagnostic(
                "S645",
                f"SLO {slo.service}/{slo.name}: its {alert.kind} ({severity}) can never fire; its lowest threshold, "
                f"an error ratio of {format_number(lowest)}, is above 1",
                help=f"an objective of {format_number(slo.objective)}% leaves a budget of {format_number(budget)}; "
                "raise the objective, or accept it with allow={'S645': 'why'}",
                subject=slo,
                location=slo.location,
            )


@check(code="S646", name="slo-untested", severity=Severity.INFO)
def slo_untested(ctx: CheckContext) -> Iterator[Diagnostic]:
    """An SLO gets no generated promtool tests: no label values could be derived from its selectors.

    The tests in `build/prometheus/tests/slo-<service>.test.yml` feed input series that the indicator's
    selectors select: a label value for each matcher, and for a ratio one value the error matcher refuses.
    Values are derived from literals and simple patterns (`5..`, `5xx|503`, `[45]..`); a pattern with groups,
    anchors or counted repeats gets none.

    ## Why is this bad?
    The SLO's page and ticket still compile, but nothing shows that they fire when they should: a wrong
    selector or burn factor would only be found during an incident.

    ## Example
        SLO("api", "errors", objective=99.9,
            indicator=SLO.ratio(errors='http_requests_total{status=~"5(0[0-4])"}', total=requests))

    ## Use instead
        SLO("api", "errors", objective=99.9,
            indicator=SLO.ratio(errors='http_requests_total{status=~"500|501|502|503|504"}', total=requests))
    """
    for slo in _slos(ctx):
        indicator = slo.indicator
        if isinstance(indicator, RatioIndicator):
            if ratio_series(indicator.errors, indicator.total) is not None:
                continue
            errors, total = _selector(indicator.errors), _selector(indicator.total)
            if errors is None or total is None or errors[0] != total[0] or errors[1] == total[1]:
                continue  # S643 or Q200 reports it
            if not total[1] <= errors[1]:
                continue
            keyword = "errors"
        elif isinstance(indicator, LatencyIndicator):
            patterns = [
                Matcher(label, "=~" if any(ch in value for ch in "|.*+?[]()$") else "=", value)
                for label, value in indicator.matchers.items()
            ]
            if all(matching_value(matcher) is not None for matcher in patterns):
                continue
            keyword = ""
        else:
            continue
        yield diagnostic(
            "S646",
            f"SLO {slo.service}/{slo.name} gets no generated promtool tests: no test series can be derived "
            "from its selectors' patterns",
            help='write the pattern as literal alternatives or simple classes (status=~"5.."), or test the '
            "alerts by hand",
            subject=slo,
            **(_keyword(ctx, indicator.location, keyword) if keyword else {"location": indicator.location}),
        )
