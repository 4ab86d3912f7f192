"""A330-A335: what an alert's condition and annotations do when it is evaluated, offline (pint's alert checks)."""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterator

from monitoring_dsl.checks.context import CheckContext, Query, owner_kind
from monitoring_dsl.checks.registry import check, diagnostic
from monitoring_dsl.diagnostics import Diagnostic, Severity
from monitoring_dsl.model.base import nearest
from monitoring_dsl.model.rules import Alert, parse_duration
from monitoring_dsl.promql import SyntaxProblem, features, function_names, has_condition, parse, selectors
from monitoring_dsl.promql.prometheus import Literal, unquote


def _alert_queries(ctx: CheckContext) -> Iterator[tuple[Query, Alert]]:
    for query in ctx.queries:
        if isinstance(query.owner, Alert) and query.parsed is not None:
            yield query, query.owner


@check(code="A330", name="alert-without-condition", severity=Severity.WARNING, local=True)
def alert_without_condition(ctx: CheckContext) -> Iterator[Diagnostic]:
    """An alert whose expression has no condition: it fires for every series that exists.

    A condition is a comparison (`> 0.01`, `== 0`) without `bool`, `absent()`, a set operation (`and`,
    `unless`) that filters series, or a label matcher that selects a state (`{operstate="down"}`; matchers
    on `job`, `instance`, `namespace`, `cluster` and similar labels only say where series come from). A
    literal such as `vector(1)` is taken as a deliberate always-firing alert (a watchdog) and is not reported.

    ## Why is this bad?
    Prometheus fires an alert for every series its expression returns. Without a condition that is every
    series of the metric, all the time: the alert pages at once and never resolves.

    ## Example
        Alert("HighErrorRate", "sum(rate(http_requests_total{status=~'5..'}[5m]))", ...)

    ## Use instead
        Alert("HighErrorRate", "sum(rate(http_requests_total{status=~'5..'}[5m])) > 1", ...)
    """
    for query, alert in _alert_queries(ctx):
        assert query.parsed is not None
        if has_condition(query.parsed):
            continue
        yield diagnostic(
            "A330",
            f"alert {alert.name!r} has no condition: its expression returns every series that exists, so it "
            "fires all the time",
            help="compare the value with a threshold (`> 0.05`, `== 0`), or use absent() for missing series",
            subject=alert,
            **ctx.in_query(query, None),
        )


_ALERT_SERIES = ("ALERTS", "ALERTS_FOR_STATE")


@check(code="A331", name="unknown-alert-in-alerts-series", severity=Severity.WARNING)
def unknown_alert_in_alerts_series(ctx: CheckContext) -> Iterator[Diagnostic]:
    """A query selects `ALERTS{alertname="X"}` (or `ALERTS_FOR_STATE`) but no alert named X is declared.

    Only runs when the checked rules declare at least one alert; an exact `alertname="..."` matcher is
    checked, regular expressions are not.

    ## Why is this bad?
    Prometheus writes `ALERTS` series only for its own alerting rules: a misspelt or renamed alert name
    selects nothing, so the panel stays empty and an alert built on it never fires.

    ## Example
        Alert("ApiDown", "up{job='api'} == 0", ...)
        Stat("API alerts", 'count(ALERTS{alertname="APIDown"})')

    ## Use instead
        Stat("API alerts", 'count(ALERTS{alertname="ApiDown"})')
    """
    names = {alert.name for alert in ctx.project.alerts}
    if not names:
        return
    for query in ctx.queries:
        # a selector of ALERTS names it in the text, or in a __name__ matcher (where escapes could spell it)
        if query.parsed is None or ("ALERTS" not in query.text and "__name__" not in query.text):
            continue
        for selector in selectors(query.parsed):
            if selector.name not in _ALERT_SERIES:
                continue
            for matcher in selector.matchers:
                if matcher.label != "alertname" or matcher.op != "=" or matcher.value in names:
                    continue
                hint = nearest(matcher.value, sorted(names))
                yield diagnostic(
                    "A331",
                    f"{selector.name}{{alertname={matcher.value!r}}} in {owner_kind(query.owner)} names no "
                    "declared alert, so it selects nothing",
                    help=f"did you mean {hint!r}?" if hint else "use the name of an alert the rules declare",
                    subject=query.owner,
                    **ctx.in_query(query, matcher.value),
                )


_ABSENT = ("absent", "absent_over_time")


@check(code="A332", name="absent-alert-for-too-short", severity=Severity.WARNING, local=True)
def absent_alert_for_too_short(ctx: CheckContext) -> Iterator[Diagnostic]:
    """An alert on `absent()` whose `for` is shorter than two scrape intervals.

    The scrape interval is `scrape_interval` in the settings (1m when not set).

    ## Why is this bad?
    A single failed or late scrape, or a Prometheus restart, leaves the series absent for one evaluation: the
    alert fires on every hiccup instead of on a real outage.

    ## Example
        Alert("ApiMetricsMissing", "absent(up{job='api'})", for_="30s", ...)

    ## Use instead
        Alert("ApiMetricsMissing", "absent(up{job='api'})", for_="5m", ...)
    """
    minimum = 2 * ctx.settings.scrape_interval_seconds
    for query, alert in _alert_queries(ctx):
        assert query.parsed is not None
        used = next((name for name in function_names(query.parsed) if name in _ABSENT), None)
        if used is None:
            continue
        waits = parse_duration(alert.for_) if alert.for_ else 0.0
        if waits is not None and waits >= minimum:
            continue
        yield diagnostic(
            "A332",
            f"alert {alert.name!r} uses {used}() with `for` {alert.for_ or 'unset'}, shorter than two scrape "
            f"intervals ({ctx.settings.scrape_interval} each): one missed scrape fires it",
            help=f"set for_ to at least {int(minimum)}s, e.g. 5m",
            subject=alert,
            **ctx.in_query(query, used + "("),
        )


_LIMITING = ("topk", "bottomk", "limitk", "limit_ratio")


@check(code="A333", name="topk-in-alert", severity=Severity.WARNING, local=True)
def topk_in_alert(ctx: CheckContext) -> Iterator[Diagnostic]:
    """An alert expression uses `topk`, `bottomk`, `limitk` or `limit_ratio`.

    ## Why is this bad?
    Which series make the top k changes from one evaluation to the next: alerts resolve and fire again as
    series swap places, each flap a new notification, and the `for` clock restarts every time.

    ## Example
        Alert("BusiestEndpoint", "topk(3, sum by (endpoint) (rate(http_requests_total[5m]))) > 100", ...)

    ## Use instead
        Alert("BusyEndpoint", "sum by (endpoint) (rate(http_requests_total[5m])) > 100", ...)
    """
    for query, alert in _alert_queries(ctx):
        assert query.parsed is not None
        used = next(
            (use.name for use in features(query.parsed) if use.kind == "aggregation" and use.name in _LIMITING), None
        )
        if used is None:
            continue
        yield diagnostic(
            "A333",
            f"alert {alert.name!r} uses {used}(): the set of alerting series changes as series swap places, "
            "so alerts flap",
            help="alert on a threshold for every series, and show the top k on a dashboard",
            subject=alert,
            **ctx.in_query(query, used),
        )


def _runbook_problem(url: str) -> str | None:
    text = url.strip()
    if text.startswith("{{"):
        return None  # templated from the start: only Prometheus knows the result
    if any(char.isspace() for char in text):
        return "contains spaces"
    parsed = urllib.parse.urlsplit(text)
    if parsed.scheme not in ("http", "https"):
        return "is not an http(s) URL" if parsed.scheme else "is not an absolute URL (no http:// or https://)"
    if not parsed.netloc:
        return "has no host"
    return None


@check(code="A334", name="invalid-runbook-url", severity=Severity.WARNING, local=True)
def invalid_runbook_url(ctx: CheckContext) -> Iterator[Diagnostic]:
    """An alert's `runbook_url` is not an absolute http(s) URL.

    A URL that starts with a template (`{{ $labels.runbook }}`) is not judged.

    ## Why is this bad?
    Alertmanager and its receivers render the runbook as a link; a relative path, a bare word or a URL with
    spaces is a dead link at the moment someone needs the runbook.

    ## Example
        Alert("Down", "up == 0", runbook_url="runbooks/down.md", ...)

    ## Use instead
        Alert("Down", "up == 0", runbook_url="https://runbooks.example.com/down", ...)
    """
    for alert in ctx.project.alerts:
        url = alert.all_annotations().get("runbook_url")
        if url is None:
            continue
        problem = _runbook_problem(url)
        if problem is None:
            continue
        yield diagnostic(
            "A334",
            f"runbook_url {url!r} of alert {alert.name!r} {problem}",
            help="write the full address, e.g. https://runbooks.example.com/<alert>",
            subject=alert,
            **ctx.place(alert, "runbook_url", url),
        )


@check(code="A335", name="invalid-query-in-template", severity=Severity.WARNING, local=True)
def invalid_query_in_template(ctx: CheckContext) -> Iterator[Diagnostic]:
    """A template runs invalid PromQL with the `query` function: `{{ query "sum(up" }}`.

    ## Why is this bad?
    The rule file loads, but the query fails each time the alert's annotations are expanded: the
    notification carries an error instead of the numbers it was meant to show.

    ## Example
        Alert("Down", "up == 0",
              description='{{ with query "count(up == 0" }}{{ . | first | value }}{{ end }} down', ...)

    ## Use instead
        Alert("Down", "up == 0",
              description='{{ with query "count(up == 0)" }}{{ . | first | value }}{{ end }} down', ...)
    """
    for alert in ctx.project.alerts:
        for key, text in alert.all_annotations().items():
            if "query" not in text:
                continue
            for use in ctx.template(text).queries:
                quote = text[use.offset : use.offset + 1]
                value = unquote(Literal(0, 0, quote, use.text)) if quote in ('"', "`") else use.text
                if value is None:
                    continue
                problem = parse(value)
                if not isinstance(problem, SyntaxProblem):
                    continue
                yield diagnostic(
                    "A335",
                    f"the query in annotation {key!r} of alert {alert.name!r} is not valid PromQL: {problem.message}",
                    help=f"the query was: {value}",
                    subject=alert,
                    **ctx.place(alert, key, use.text),
                )
