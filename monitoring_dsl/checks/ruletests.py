"""A32x, R41x: rule tests that cannot mean what they say (an unknown alert, a label the rule never produces,
input series the service never exposes) and rules without any test. `monitoring-dsl test` runs them."""

from __future__ import annotations

from collections.abc import Iterator

from monitoring_dsl import codes
from monitoring_dsl.checks.context import CheckContext, Query
from monitoring_dsl.checks.registry import check, diagnostic, document
from monitoring_dsl.diagnostics import Diagnostic, Severity
from monitoring_dsl.model.base import nearest
from monitoring_dsl.model.metrics import Histogram
from monitoring_dsl.model.rules import Alert, Record, format_duration, parse_duration
from monitoring_dsl.model.ruletests import Fires, RuleTest
from monitoring_dsl.model.series_notation import first_sample
from monitoring_dsl.promql import LabelSet, output_labels
from monitoring_dsl.testplan import boundaries, boundary_tests, generated_by_slo, tested_names

# labels every alert gets from Prometheus itself
_ALERT_LABELS = frozenset({"alertname"})


def _alerts_by_name(ctx: CheckContext) -> dict[str, Alert]:
    found: dict[str, Alert] = {}
    for alert in ctx.project.alerts:
        found.setdefault(alert.name, alert)
    return found


def _records_by_name(ctx: CheckContext) -> dict[str, Record]:
    found: dict[str, Record] = {}
    for record in ctx.project.records:
        found.setdefault(record.name, record)
    return found


def _rule_queries(ctx: CheckContext) -> dict[int, Query]:
    return {id(q.owner): q for q in ctx.queries if isinstance(q.owner, (Alert, Record))}


def _produced_labels(ctx: CheckContext, queries: dict[int, Query], rule: Alert | Record) -> LabelSet:
    """Labels the rule's results can carry: what its expression keeps plus its own labels; None if unknown."""
    query = queries.get(id(rule))
    if query is None or query.parsed is None:
        return None
    kept = output_labels(query.parsed, ctx.catalog.labels_of)
    if kept is None:
        return None
    own = rule.all_labels() if isinstance(rule, Alert) else rule.labels
    return kept | frozenset(own) | (_ALERT_LABELS if isinstance(rule, Alert) else frozenset())


@check(code="A320", name="test-unknown-alert", severity=Severity.ERROR)
def test_unknown_alert(ctx: CheckContext) -> Iterator[Diagnostic]:
    """A rule test expects something of an alert that no spec declares.

    ## Why is this bad?
    promtool finds no such alert and the test checks nothing about the rule it was written for; usually the
    alert was renamed or the name is misspelt.

    ## Example
        RuleTest("errors page", series={...}, at="10m", alerts=[Fires("HighErorRate")])

    ## Use instead
        RuleTest("errors page", series={...}, at="10m", alerts=[Fires("HighErrorRate")])
    """
    alerts = _alerts_by_name(ctx)
    for test in ctx.project.rule_tests:
        for expectation in test.alerts:
            if expectation.alert not in alerts:
                hint = nearest(expectation.alert, alerts)
                yield diagnostic(
                    "A320",
                    f"rule test {test.name!r} names alert {expectation.alert!r}, which no spec declares",
                    help=f"did you mean {hint!r}?" if hint else "name an Alert declared in the specs",
                    subject=test,
                    **ctx.at(expectation.location, expectation.alert),
                )


@check(code="R410", name="test-unknown-record", severity=Severity.ERROR)
def test_unknown_record(ctx: CheckContext) -> Iterator[Diagnostic]:
    """A rule test expects samples of a recording rule that no spec declares.

    ## Why is this bad?
    `Sample` states what a recording rule produces; a name that is no record's tests nothing the specs
    build, usually because the record was renamed.

    ## Example
        RuleTest("rate", series={...}, at="10m", samples=[Sample('job:http_request:rate5m{job="api"}', 1)])

    ## Use instead
        RuleTest("rate", series={...}, at="10m", samples=[Sample('job:http_requests:rate5m{job="api"}', 1)])
    """
    records = _records_by_name(ctx)
    for test in ctx.project.rule_tests:
        for sample in test.samples:
            if sample.name not in records:
                hint = nearest(sample.name, records)
                yield diagnostic(
                    "R410",
                    f"rule test {test.name!r} expects samples of {sample.name!r}, which is no recording rule",
                    help=f"did you mean {hint!r}?" if hint else "Sample names a Record declared in the specs",
                    subject=test,
                    **ctx.at(sample.location, sample.name),
                )


@check(code="A321", name="test-impossible-label", severity=Severity.ERROR)
def test_impossible_label(ctx: CheckContext) -> Iterator[Diagnostic]:
    """A rule test expects an alert with a label that the alert's expression can never produce.

    The labels an alert can carry are those its expression keeps (after `sum by`, `without`, joins), its
    own `severity` and `labels=`, and `alertname`.

    ## Why is this bad?
    The test can never pass: `sum(rate(errors_total[5m])) > 1` keeps no label, so an expected `endpoint`
    is never there. Either the test or the aggregation is wrong.

    ## Example
        Alert("HighErrors", "sum(rate(http_errors_total[5m])) > 1", ...)
        RuleTest("errors", ..., alerts=[Fires("HighErrors", labels={"endpoint": "/pay"})])

    ## Use instead
        Alert("HighErrors", "sum by (endpoint) (rate(http_errors_total[5m])) > 1", ...)
    """
    alerts = _alerts_by_name(ctx)
    queries = _rule_queries(ctx) if ctx.project.rule_tests else {}
    for test in ctx.project.rule_tests:
        for expectation in test.alerts:
            alert = alerts.get(expectation.alert)
            if not isinstance(expectation, Fires) or alert is None:
                continue
            produced = _produced_labels(ctx, queries, alert)
            if produced is None:
                continue
            for label in sorted(set(expectation.labels) - produced):
                yield diagnostic(
                    "A321",
                    f"rule test {test.name!r} expects label {label!r} on alert {alert.name!r}, "
                    "which its expression never produces",
                    help=f"the alert can carry: {', '.join(sorted(produced)) or 'no labels'}",
                    subject=test,
                    related=ctx.declared_at(f"alert {alert.name!r} declared", alert),
                    **ctx.at(expectation.location, label),
                )


@check(code="R412", name="test-impossible-record-label", severity=Severity.ERROR)
def test_impossible_record_label(ctx: CheckContext) -> Iterator[Diagnostic]:
    """A rule test expects a sample of a recording rule with a label its expression can never produce.

    ## Why is this bad?
    The test can never pass: `sum(rate(x[5m]))` keeps no label, so an expected `job` is never there.

    ## Example
        Record("job:http_requests:rate5m", "sum(rate(http_requests_total[5m]))")
        RuleTest("rate", ..., samples=[Sample('job:http_requests:rate5m{job="api"}', 1)])

    ## Use instead
        Record("job:http_requests:rate5m", "sum by (job) (rate(http_requests_total[5m]))")
    """
    records = _records_by_name(ctx)
    queries = _rule_queries(ctx) if ctx.project.rule_tests else {}
    for test in ctx.project.rule_tests:
        for sample in test.samples:
            record = records.get(sample.name)
            produced = _produced_labels(ctx, queries, record) if record is not None else None
            if record is None or produced is None:
                continue
            for label in sorted(set(sample.labels) - produced):
                yield diagnostic(
                    "R412",
                    f"rule test {test.name!r} expects label {label!r} on record {record.name!r}, "
                    "which its expression never produces",
                    help=f"the record can carry: {', '.join(sorted(produced)) or 'no labels'}",
                    subject=test,
                    related=ctx.declared_at(f"record {record.name!r} declared", record),
                    **ctx.at(sample.location, label),
                )


@check(code="A322", name="test-eval-before-series", severity=Severity.ERROR)
def test_eval_before_series(ctx: CheckContext) -> Iterator[Diagnostic]:
    """A rule test evaluates at a time before any of its input series has a sample.

    Input series start at time 0 with one value per test `interval`; `_` is a missing sample.

    ## Why is this bad?
    Nothing exists yet at that time, so every alert is silent and every record empty: a "does not fire"
    expectation passes for the wrong reason, and a "fires" expectation can never pass.

    ## Example
        RuleTest("quiet", series={"queue_depth": "_x10 5x10"}, at="5m", alerts=[DoesNotFire("QueueBacklog")])

    ## Use instead
        RuleTest("quiet", series={"queue_depth": "_x10 5x10"}, at="15m", alerts=[DoesNotFire("QueueBacklog")])
    """
    for test in ctx.project.rule_tests:
        if not test.series:
            continue  # a test of absent(): nothing is fed on purpose
        step = parse_duration(test.interval) or 60.0
        starts = [first_sample(series.samples()) for series in test.series]
        known = [index * step for index in starts if index is not None]
        start = min(known) if known else None
        for expectation in [*test.alerts, *test.samples]:
            at = test.time_of(expectation)
            seconds = parse_duration(at) or 0.0
            if start is None or seconds < start:
                first = (
                    "no input series has a sample"
                    if start is None
                    else f"the first sample is at {format_duration(start)}"
                )
                yield diagnostic(
                    "A322",
                    f"rule test {test.name!r} evaluates at {at}, before its input series start ({first})",
                    help="evaluate later (at=), or start a series earlier",
                    subject=test,
                    **ctx.at(expectation.location if expectation.at else test.location, at),
                )


def _series_checks(ctx: CheckContext) -> Iterator[tuple[str, str, RuleTest, object, str, str | None]]:
    """(code, message, test, location holder, needle, help) for every input series problem."""
    names = ctx.catalog.all_names()
    for test in ctx.project.rule_tests:
        for series in test.series:
            name, labels = series.name, series.labels
            resolved = ctx.catalog.resolve(name)
            if resolved is None:
                hint = nearest(name, names)
                yield (
                    "A323",
                    f"input series {name!r} of rule test {test.name!r} is not a declared metric or record",
                    test,
                    series,
                    name,
                    f"did you mean {hint!r}?" if hint else "declare the metric, or feed a series the service exposes",
                )
                continue
            if isinstance(resolved.metric, Histogram) and not resolved.suffix:
                yield (
                    "A323",
                    f"input series {name!r} of rule test {test.name!r} is a histogram's name; "
                    "a histogram exposes only _bucket, _sum and _count series",
                    test,
                    series,
                    name,
                    f"feed {name}_bucket (with le), {name}_sum or {name}_count",
                )
                continue
            allowed = ctx.catalog.labels_of(name)
            if allowed is not None:
                for label in sorted(set(labels) - allowed):
                    hint = nearest(label, allowed)
                    yield (
                        "A324",
                        f"input series {name!r} of rule test {test.name!r} has label {label!r}, "
                        "which the metric does not have",
                        test,
                        series,
                        label,
                        f"did you mean {hint!r}?" if hint else f"{name} has: {', '.join(sorted(allowed))}",
                    )
            if resolved.suffix == "_bucket" and "le" not in labels:
                yield (
                    "A325",
                    f"input series {name!r} of rule test {test.name!r} has no `le` label",
                    test,
                    series,
                    name,
                    'every bucket series has its upper bound: add le="0.5" (and one series per bucket, with le="+Inf")',
                )


def _series_diagnostics(ctx: CheckContext, code: str) -> Iterator[Diagnostic]:
    for found, message, test, holder, needle, help in _series_checks(ctx):
        if found == code:
            yield diagnostic(
                code, message, help=help, subject=test, **ctx.at(getattr(holder, "location", None), needle)
            )


@check(code="A323", name="test-series-unknown-metric", severity=Severity.ERROR, needs_catalog=True)
def test_series_unknown_metric(ctx: CheckContext) -> Iterator[Diagnostic]:
    """A rule test feeds an input series that no declared metric, record or built-in series exposes.

    ## Why is this bad?
    A test that passes on series the service never exposes proves nothing about production: the alert may
    be silent forever on the real metric.

    ## Example
        RuleTest("errors", series={'http_error_total{status="500"}': "0+1x10"}, ...)

    ## Use instead
        RuleTest("errors", series={'http_errors_total{status="500"}': "0+1x10"}, ...)
    """
    yield from _series_diagnostics(ctx, "A323")


@check(code="A324", name="test-series-unknown-label", severity=Severity.ERROR, needs_catalog=True)
def test_series_unknown_label(ctx: CheckContext) -> Iterator[Diagnostic]:
    """A rule test feeds an input series with a label its metric does not declare.

    Target labels (`job`, `instance` and those of `[tool.monitoring-dsl]`) count as every metric's.

    ## Why is this bad?
    The service never exposes such a series, so the test exercises a case production cannot have.

    ## Example
        RuleTest("errors", series={'http_errors_total{code="500"}': "0+1x10"}, ...)

    ## Use instead
        RuleTest("errors", series={'http_errors_total{status="500"}': "0+1x10"}, ...)
    """
    yield from _series_diagnostics(ctx, "A324")


@check(code="A325", name="test-series-histogram-without-le", severity=Severity.ERROR, needs_catalog=True)
def test_series_histogram_without_le(ctx: CheckContext) -> Iterator[Diagnostic]:
    """A rule test feeds a histogram `_bucket` series without its `le` label.

    ## Why is this bad?
    Every bucket series carries its upper bound in `le`; `histogram_quantile()` over buckets without it
    returns nothing, so the test does not exercise the alert.

    ## Example
        RuleTest("slow", series={"http_request_duration_seconds_bucket": "0+1x10"}, ...)

    ## Use instead
        RuleTest("slow", series={'http_request_duration_seconds_bucket{le="0.5"}': "0+1x10",
                                 'http_request_duration_seconds_bucket{le="+Inf"}': "0+2x10"}, ...)
    """
    yield from _series_diagnostics(ctx, "A325")


def _named_by_tests(ctx: CheckContext) -> set[str]:
    """The alerts and records a declared RuleTest (of any module) or an SLO's generated tests state something
    about. An alert's own boundary tests cover that alert alone (`_boundary_tested`), so whether a rule is
    tested depends on the catalog and the rule itself, and both checks below are local."""
    return tested_names(list(ctx.whole.rule_tests)) | generated_by_slo(ctx.whole)


def _boundary_tested(ctx: CheckContext, alert: Alert) -> bool:
    if not alert.boundary_tests:
        return False
    return alert.name in tested_names(list(boundary_tests(alert, ctx.settings.evaluation_interval_seconds).tests))


@check(code="A326", name="alert-without-test", severity=Severity.INFO, needs_catalog=True, local=True)
def alert_without_test(ctx: CheckContext) -> Iterator[Diagnostic]:
    """An alert that no rule test fires or keeps quiet.

    Counted as tested: an alert named by a `Fires` or `DoesNotFire` of any RuleTest, one with
    `boundary_tests=True` (which tests that alert, not another of the same name), or one an SLO generated
    (with its tests). `monitoring-dsl test --require-tests`
    makes this an error.

    ## Why is this bad?
    An alert that never fires is worse than none, and nobody finds out until the outage. A test on
    Prometheus's own engine shows that it fires when it should and stays quiet when it should.

    ## Example
        Alert("QueueBacklog", "queue_depth > 100", for_="5m", ...)

    ## Use instead
        Alert("QueueBacklog", "queue_depth > 100", for_="5m", ...)
        RuleTest("backlog pages", series={"queue_depth": "150x20"}, at="10m", alerts=[Fires("QueueBacklog")])
    """
    tested = _named_by_tests(ctx)
    for alert in ctx.project.alerts:
        if alert.name not in tested and not _boundary_tested(ctx, alert):
            yield diagnostic(
                "A326",
                f"alert {alert.name!r} has no rule test",
                help="add a RuleTest with Fires(...) and DoesNotFire(...), or boundary_tests=True for a threshold",
                subject=alert,
                **ctx.at(alert.location, alert.name),
            )


@check(code="R411", name="record-without-test", severity=Severity.INFO, needs_catalog=True, local=True)
def record_without_test(ctx: CheckContext) -> Iterator[Diagnostic]:
    """A recording rule whose samples no rule test states.

    Records an SLO generated count as tested by the SLO's generated tests.

    `monitoring-dsl test --require-tests` makes this an error.

    ## Why is this bad?
    Dashboards and alerts read the record; a wrong aggregation or window in it is wrong everywhere, silently.

    ## Example
        Record("job:http_requests:rate5m", "sum by (job) (rate(http_requests_total[5m]))")

    ## Use instead
        Record("job:http_requests:rate5m", "sum by (job) (rate(http_requests_total[5m]))")
        RuleTest("rate", series={'http_requests_total{job="api"}': "0+60x10"}, at="10m",
                 samples=[Sample('job:http_requests:rate5m{job="api"}', 1)])
    """
    tested = _named_by_tests(ctx)
    for record in ctx.project.records:
        if record.name not in tested:
            yield diagnostic(
                "R411",
                f"record {record.name!r} has no rule test",
                help="add a RuleTest with samples=[Sample(...)]",
                subject=record,
                **ctx.at(record.location, record.name),
            )


@check(code="A327", name="test-annotations-incomplete", severity=Severity.ERROR)
def test_annotations_incomplete(ctx: CheckContext) -> Iterator[Diagnostic]:
    """A `Fires` gives some annotations but not every templated annotation of the alert.

    promtool compares annotations exactly. Fixed annotations are filled in from the rule; templated ones
    (`{{ $value }}`) need their expected text. Give them all, or give no annotations and only labels are
    compared.

    ## Why is this bad?
    The test could never pass: the missing annotation would be expected to be absent.

    ## Example
        Alert("Backlog", "queue_depth > 100", summary="Backlog", description="{{ $value }} items", ...)
        Fires("Backlog", annotations={"summary": "Backlog"})

    ## Use instead
        Fires("Backlog", annotations={"description": "150 items"})
    """
    alerts = _alerts_by_name(ctx)
    for test in ctx.project.rule_tests:
        for expectation in test.alerts:
            alert = alerts.get(expectation.alert)
            if not isinstance(expectation, Fires) or alert is None or expectation.annotations is None:
                continue
            templated = {k for k, v in alert.all_annotations().items() if "{{" in v}
            missing = sorted(templated - set(expectation.annotations))
            if missing:
                yield diagnostic(
                    "A327",
                    f"Fires({alert.name!r}) gives annotations but not the templated "
                    f"{', '.join(repr(m) for m in missing)}",
                    help="give the expected text of every templated annotation, or drop annotations= to compare "
                    "labels only",
                    subject=test,
                    related=ctx.declared_at(f"alert {alert.name!r} declared", alert),
                    **ctx.at(expectation.location, "annotations"),
                )


@check(code="A328", name="boundary-tests-unsupported", severity=Severity.WARNING)
def boundary_tests_unsupported(ctx: CheckContext) -> Iterator[Diagnostic]:
    """An alert asks for `boundary_tests=True` but its expression is not a simple threshold.

    Boundary tests are generated for `series > number` (or `<`, `>=`, `<=`) where the series selector
    uses only `=` matchers: one series just past the threshold must fire after `for_`, one just short of
    it must never fire.

    ## Why is this bad?
    No test is generated, so the alert stays untested although the spec says otherwise.

    ## Example
        Alert("HighErrors", "sum(rate(http_errors_total[5m])) > 1", for_="5m", boundary_tests=True, ...)

    ## Use instead
        Alert("HighErrors", "sum(rate(http_errors_total[5m])) > 1", for_="5m", ...)
        RuleTest("errors page", series={...}, at="10m", alerts=[Fires("HighErrors")])
    """
    for boundary in boundaries(ctx.project, ctx.settings.evaluation_interval_seconds):
        if boundary.reason is not None:
            yield diagnostic(
                "A328",
                f"no boundary tests for alert {boundary.alert.name!r}: {boundary.reason}",
                help="write a RuleTest for it instead, and drop boundary_tests=True",
                subject=boundary.alert,
                **ctx.at(boundary.alert.location, "boundary_tests"),
            )


@check(code="A329", name="duplicate-test-name", severity=Severity.ERROR)
def duplicate_test_name(ctx: CheckContext) -> Iterator[Diagnostic]:
    """Two rule tests of one spec module have the same name.

    ## Why is this bad?
    promtool reports failures by test name: with two of the same name, a failure cannot be traced to
    its test.

    ## Example
        RuleTest("errors", ..., alerts=[Fires("HighErrors")])
        RuleTest("errors", ..., alerts=[DoesNotFire("HighErrors")])

    ## Use instead
        RuleTest("errors page", ..., alerts=[Fires("HighErrors")])
        RuleTest("few errors stay quiet", ..., alerts=[DoesNotFire("HighErrors")])
    """
    for tests in ctx.project.rule_tests_by_module().values():
        seen: dict[str, RuleTest] = {}
        for test in tests:
            first = seen.setdefault(test.name, test)
            if first is not test:
                yield diagnostic(
                    "A329",
                    f"rule test {test.name!r} is declared twice in this module",
                    help="give each test a name that says what it shows",
                    subject=test,
                    related=ctx.declared_at("first declared", first),
                    **ctx.at(test.location, test.name),
                )


document(
    codes.RULE_TEST_FAILED,
    """
    A rule test failed when `monitoring-dsl test` ran it with `promtool test rules`.

    The report points at the test and at the rule, and shows the expected and the actual alerts or samples
    as a diff: `-` lines were expected and missing, `+` lines appeared unexpected.

    ## Why is this bad?
    Either the rule does not do what the test says it should (a threshold, a window or a label is wrong),
    or the test's expectation is wrong. Both are worth knowing before the outage.

    ## Example
        Alert("QueueBacklog", "queue_depth > 200", for_="5m", ...)
        RuleTest("backlog pages", series={"queue_depth": "150x20"}, at="10m", alerts=[Fires("QueueBacklog")])

    ## Use instead
        Alert("QueueBacklog", "queue_depth > 100", for_="5m", ...)
    """,
    __name__,
)

document(
    codes.PROMTOOL_NOT_FOUND,
    """
    `monitoring-dsl test` needs `promtool`, Prometheus's own tool, and it is not on PATH.

    ## Why is this bad?
    Rule tests run on Prometheus's real engine; without it nothing can be tested, and the command exits 2.

    ## Example
        $ monitoring-dsl test
        E026 promtool is not installed

    ## Use instead
        $ apt-get install prometheus    # Debian and Ubuntu; or a release from prometheus.io/download
        $ monitoring-dsl test
    """,
    __name__,
)
