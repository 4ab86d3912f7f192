"""A3xx: alerting rules. Names that Prometheus can tell apart, labels and annotations it accepts."""

from __future__ import annotations

import math
import re
import weakref
from collections.abc import Iterator

import attrs

from monitoring_dsl.checks.context import CheckContext, Query
from monitoring_dsl.checks.registry import check, diagnostic
from monitoring_dsl.diagnostics import Diagnostic, Severity
from monitoring_dsl.gotemplate import Template
from monitoring_dsl.model.base import nearest
from monitoring_dsl.model.metrics import LABEL_NAME_RE
from monitoring_dsl.model.rules import Alert, Record, RuleGroup, parse_duration
from monitoring_dsl.model.units import UNIT_SUFFIX_WORDS
from monitoring_dsl.promql import Parsed, SeriesUse, output_labels, selectors, series_uses, values


@check(code="A301", name="duplicate-alert", severity=Severity.ERROR)
def duplicate_alert(ctx: CheckContext) -> Iterator[Diagnostic]:
    """Two alerts in one rule group with the same name and the same labels.

    The same name with different labels is a common, valid pattern (a `warning` and a `critical` alert of
    one condition); the same name with the same labels produces indistinguishable alerts.

    ## Why is this bad?
    Both produce series `ALERTS{alertname="X", ...}` with identical labels: Alertmanager cannot tell them
    apart, and which annotations it shows is arbitrary.

    ## Example
        RuleGroup("api", [Alert("HighLatency", "... > 0.5", severity="warning", ...),
                          Alert("HighLatency", "... > 1", severity="warning", ...)])

    ## Use instead
        RuleGroup("api", [Alert("HighLatency", "... > 0.5", severity="warning", ...),
                          Alert("HighLatency", "... > 1", severity="critical", ...)])
    """
    for groups in ctx.project.rule_groups_by_module().values():
        for group in groups:
            seen: dict[tuple[str, tuple[tuple[str, str], ...]], Alert] = {}
            for rule in group.rules:
                if not isinstance(rule, Alert):
                    continue
                key = (rule.name, tuple(sorted(rule.all_labels().items())))
                first = seen.setdefault(key, rule)
                if first is not rule:
                    yield diagnostic(
                        "A301",
                        f"alert {rule.name!r} appears twice in group {group.name!r} with the same labels",
                        location=rule.location,
                        subject=rule,
                        related=ctx.declared_at("first declared", first),
                        help="rename one, or tell them apart by severity or another label",
                    )


@check(code="A302", name="invalid-rule-label", severity=Severity.ERROR, local=True)
def invalid_rule_label(ctx: CheckContext) -> Iterator[Diagnostic]:
    """A rule's label or annotation name is not a valid Prometheus label name.

    Label and annotation names match `[a-zA-Z_][a-zA-Z0-9_]*`; names starting with `__` are reserved.

    ## Why is this bad?
    Prometheus refuses to load the whole rule file.

    ## Example
        Alert("Down", "up == 0", labels={"team-name": "payments"}, ...)

    ## Use instead
        Alert("Down", "up == 0", labels={"team": "payments"}, ...)
    """
    rules: list[Alert | Record] = [*ctx.project.alerts, *ctx.project.records]
    for rule in rules:
        fields = {"labels": rule.labels}
        if isinstance(rule, Alert):
            fields["annotations"] = rule.annotations
        for field, mapping in fields.items():
            for key in mapping:
                if LABEL_NAME_RE.match(key) and not key.startswith("__"):
                    continue
                yield diagnostic(
                    "A302",
                    f"{field} name {key!r} of {type(rule).__name__.lower()} {rule.name!r} is not a valid label name",
                    help="use letters, digits and underscores, not starting with a digit or '__'",
                    subject=rule,
                    **ctx.at(rule.location, key),
                )


# --- helpers shared by the A303+ checks -------------------------------------------------------------------

KNOWN_SEVERITIES = ("critical", "error", "warning", "info", "page", "ticket", "none")
_COMPARISONS = frozenset({"==", "!=", ">", "<", ">=", "<="})
_OTHER_LABELS = "__other_labels__"  # stands for "whatever labels the series carry" in the label analysis


def _templates(ctx: CheckContext, alert: Alert) -> Iterator[tuple[str, str, Template]]:
    """("annotation" or "label", its name, the parsed template) for every annotation and label of `alert`."""
    for key, text in alert.all_annotations().items():
        yield "annotation", key, ctx.template(text)
    for key, text in alert.all_labels().items():
        yield "label", key, ctx.template(text)


def _excerpt(template: Template, offset: int, length: int) -> str:
    return template.text[offset : offset + max(length, 1)]


def _group_of(ctx: CheckContext, alert: Alert) -> RuleGroup | None:
    parent = ctx.parents.get(id(alert))
    return parent if isinstance(parent, RuleGroup) else None


_QUERIES: weakref.WeakKeyDictionary[CheckContext, dict[int, Query]] = weakref.WeakKeyDictionary()


def _query_of(ctx: CheckContext, alert: Alert) -> Query | None:
    """The alert's parsed expression (indexed once per context: twenty thousand alerts, five checks)."""
    by_owner = _QUERIES.get(ctx)
    if by_owner is None:
        by_owner = _QUERIES[ctx] = {id(q.owner): q for q in ctx.queries if isinstance(q.owner, Alert)}
    return by_owner.get(id(alert))


def _format_seconds(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"


@check(code="A303", name="missing-for", severity=Severity.WARNING, local=True)
def missing_for(ctx: CheckContext) -> Iterator[Diagnostic]:
    """An alert without `for`, or with a `for` shorter than the evaluation interval.

    Without `for`, one evaluation where the expression holds fires the alert. A `for` shorter than the rule
    group's evaluation interval (its `interval`, else the project's `evaluation_interval`; in plain rule files
    only a group's own `interval`) waits one whole interval anyway. Not reported: an explicit `for_="0s"` (a
    deliberate choice), alerts whose expression reads no series (`vector(1)`, the always-firing watchdog),
    and alerts on `ALERTS`, whose source alerts already waited.

    ## Why is this bad?
    A single scrape glitch, a restart or a short spike pages someone, and the alert resolves a minute later.
    A `for` below the evaluation interval promises a reaction time Prometheus cannot give.

    ## Example
        Alert("HighErrorRate", "... > 0.05", severity="critical", summary="...")

    ## Use instead
        Alert("HighErrorRate", "... > 0.05", for_="5m", severity="critical", summary="...")
    """
    for alert in ctx.project.alerts:
        group = _group_of(ctx, alert)
        interval = parse_duration(group.interval) if group is not None and group.interval else None
        interval = interval or ctx.settings.evaluation_interval_seconds
        if alert.for_ is None:
            query = _query_of(ctx, alert)
            if query is None or query.parsed is None:
                continue
            names = {s.name for s in selectors(query.parsed)}
            if not names or names <= {"ALERTS", "ALERTS_FOR_STATE"}:
                continue
            yield diagnostic(
                "A303",
                f"alert {alert.name!r} has no `for`: one evaluation where the expression holds fires it",
                help="wait a few evaluations (for_='5m', `for: 5m`); a `for` of 0s says firing at once is intended",
                subject=alert,
                **ctx.place(alert, None),
            )
            continue
        seconds = parse_duration(alert.for_)
        if ctx.plain and (group is None or not group.interval):
            continue  # a rule file does not say how often its Prometheus evaluates it
        if seconds and seconds < interval:
            yield diagnostic(
                "A303",
                f"alert {alert.name!r} has `for: {alert.for_}`, shorter than the evaluation interval "
                f"{_format_seconds(interval)}: it waits one interval anyway",
                help=f"wait {_format_seconds(interval)} or longer, or evaluate the group more often",
                subject=alert,
                **ctx.place(alert, "for_", alert.for_),
            )


def _severity(alert: Alert) -> str | None:
    return alert.all_labels().get("severity")


@check(code="A304", name="missing-severity", severity=Severity.WARNING, local=True)
def missing_severity(ctx: CheckContext) -> Iterator[Diagnostic]:
    """An alert without a `severity` label.

    The severity is `Alert(severity=...)` or a `severity` entry of `labels`.

    ## Why is this bad?
    Alertmanager routes on it: an alert without severity misses the routes that page or that stay quiet,
    and lands wherever the default route sends it.

    ## Example
        Alert("DiskFull", "... < 0.05", for_="10m", summary="...")

    ## Use instead
        Alert("DiskFull", "... < 0.05", for_="10m", severity="critical", summary="...")
    """
    for alert in ctx.project.alerts:
        if not _severity(alert):
            yield diagnostic(
                "A304",
                f"alert {alert.name!r} has no severity label",
                help=f"add a severity label, one of {', '.join(KNOWN_SEVERITIES)}",
                subject=alert,
                **ctx.place(alert, None),
            )


@check(code="A305", name="unknown-severity", severity=Severity.WARNING, local=True)
def unknown_severity(ctx: CheckContext) -> Iterator[Diagnostic]:
    """An alert's severity is not one of the usual values.

    Known: `critical`, `error`, `warning`, `info` (kube-prometheus and most mixins), `page` and `ticket` (the
    SRE workbook's scheme), and `none` (kube-prometheus's Watchdog and InfoInhibitor). Values are compared
    exactly, as Alertmanager matchers do; a templated severity is not checked.

    ## Why is this bad?
    Routes match exact strings: `Critical`, `crit` or `warn` slip past the routes written for `critical`
    and `warning`, so the alert pages nobody or the wrong team.

    ## Example
        Alert("DiskFull", "... < 0.05", for_="10m", severity="Critical", summary="...")

    ## Use instead
        Alert("DiskFull", "... < 0.05", for_="10m", severity="critical", summary="...")
    """
    for alert in ctx.project.alerts:
        severity = _severity(alert)
        if not severity or severity in KNOWN_SEVERITIES or "{{" in severity:
            continue
        hint = nearest(severity.lower(), KNOWN_SEVERITIES)
        if severity.lower() in KNOWN_SEVERITIES:
            hint = severity.lower()
        yield diagnostic(
            "A305",
            f"alert {alert.name!r} has severity {severity!r}, not one of {', '.join(KNOWN_SEVERITIES)}"
            + (f"; did you mean {hint!r}?" if hint else ""),
            help="Alertmanager routes match the value exactly; use the values the routes expect",
            subject=alert,
            **ctx.place(alert, "severity", severity),
        )


@check(code="A306", name="missing-summary", severity=Severity.WARNING, local=True)
def missing_summary(ctx: CheckContext) -> Iterator[Diagnostic]:
    """An alert without a `summary` annotation.

    ## Why is this bad?
    The summary is the one line a notification, a pager and Alertmanager's overview show. Without it the
    person paged sees only the alert's name and labels.

    ## Example
        Alert("DiskFull", "... < 0.05", for_="10m", severity="critical")

    ## Use instead
        Alert("DiskFull", "... < 0.05", for_="10m", severity="critical",
              summary="Disk {{ $labels.device }} on {{ $labels.instance }} is almost full")
    """
    for alert in ctx.project.alerts:
        if not alert.all_annotations().get("summary"):
            yield diagnostic(
                "A306",
                f"alert {alert.name!r} has no summary annotation",
                help="add a summary annotation: one line saying what is wrong and where",
                subject=alert,
                **ctx.place(alert, None),
            )


@check(code="A307", name="invalid-template", severity=Severity.ERROR, local=True)
def invalid_template(ctx: CheckContext) -> Iterator[Diagnostic]:
    """An annotation or label is not a valid Go template for Prometheus.

    Prometheus parses every annotation and label of an alerting rule as a Go text/template when it loads the
    rule file: `{{` without `}}`, an `{{ if }}`, `{{ with }}` or `{{ range }}` without its `{{ end }}`, a
    function that neither Go nor Prometheus provides (`humanise`), a variable other than `$labels`, `$value`,
    `$externalLabels`, `$externalURL` or one the template declares, a bad escape in a string (`"\\d"`).

    ## Why is this bad?
    Prometheus refuses to load the whole rule file, and `promtool check rules` fails.

    ## Example
        Alert("Down", "up == 0", for_="5m", severity="critical",
              summary="{{ $labels.instance is down", description="{{ humanise $value }}")

    ## Use instead
        Alert("Down", "up == 0", for_="5m", severity="critical",
              summary="{{ $labels.instance }} is down", description="{{ humanize $value }}")
    """
    for alert in ctx.project.alerts:
        for kind, key, template in _templates(ctx, alert):
            problem = template.fatal
            if problem is None:
                continue
            yield diagnostic(
                "A307",
                f"{kind} {key!r} of alert {alert.name!r}: {problem.message}",
                help=problem.help or "see https://pkg.go.dev/text/template for the syntax",
                subject=alert,
                **ctx.place(alert, key, _excerpt(template, problem.offset, problem.length)),
            )


@check(code="A308", name="suspicious-template", severity=Severity.WARNING, local=True)
def suspicious_template(ctx: CheckContext) -> Iterator[Diagnostic]:
    """An annotation or label template that loads but prints something unintended.

    Reported: a field the alert's data does not have (`.labels.instance`, `.Value.x`), a `{{ template }}` of a
    name the text does not define (both fail when the alert fires, and the annotation shows an error), a
    `}}` with no `{{`, and `$labels.x` or `$value` written outside `{{ }}` (both printed as they are).

    ## Why is this bad?
    The notification shows `<error expanding template ...>` or a literal `$labels.instance` instead of the
    instance: the person paged loses exactly the detail the template was written for.

    ## Example
        Alert("Down", "up == 0", for_="5m", severity="critical",
              summary="{{ .labels.instance }} is down", description="job $labels.job")

    ## Use instead
        Alert("Down", "up == 0", for_="5m", severity="critical",
              summary="{{ .Labels.instance }} is down", description="job {{ $labels.job }}")
    """
    for alert in ctx.project.alerts:
        for kind, key, template in _templates(ctx, alert):
            if template.fatal is not None:
                continue
            for problem in template.problems:
                yield diagnostic(
                    "A308",
                    f"{kind} {key!r} of alert {alert.name!r}: {problem.message}",
                    help=problem.help,
                    subject=alert,
                    **ctx.place(alert, key, _excerpt(template, problem.offset, problem.length)),
                )


def _mentioned_labels(parsed: Parsed) -> set[str]:
    """Every label name a query names: matchers, `by`/`without` and `on`/`ignoring` clauses."""
    names = {matcher.label for selector in selectors(parsed) for matcher in selector.matchers}
    for use in series_uses(parsed):
        for step in use.path:
            names.update(step.labels)
    return names


def _result_labels(ctx: CheckContext, parsed: Parsed, wanted: set[str]) -> tuple[frozenset[str], bool] | None:
    """The labels the query's result carries and whether that set is complete, or None when unknown.

    From the catalog when it knows every series; otherwise from the query's structure alone, assuming every
    series carries every label: what an aggregation, `on (...)` or `without (...)` removes is gone whatever
    the series carry.
    """
    # The catalog only for specs, and only when it knows every series: output_labels() treats `number <op>
    # unknown` as label-less, and in plain files `up` carries whatever relabelling gave the targets.
    names = [selector.name for selector in selectors(parsed)]
    if not ctx.plain and all(name and ctx.catalog.labels_of(name) is not None for name in names):
        known = output_labels(parsed, ctx.catalog.labels_of)
        if known is not None:
            return known, True
    universe = frozenset(wanted | _mentioned_labels(parsed) | {_OTHER_LABELS})
    structural = output_labels(parsed, lambda _name: universe)
    if structural is None:
        return None
    return structural - {_OTHER_LABELS}, _OTHER_LABELS not in structural


@check(code="A309", name="label-not-in-result", severity=Severity.WARNING, local=True)
def label_not_in_result(ctx: CheckContext) -> Iterator[Diagnostic]:
    """An annotation or label template reads a label that the alert's query result does not carry.

    `$labels` holds the labels of the series the expression returns, nothing else: not the rule's own
    `labels` (`$labels.severity` is empty), not `alertname`, and not what an aggregation removed
    (`{{ $labels.instance }}` with `sum by (job) (...)`). With declared metrics the check knows each series'
    labels; in plain rule files it knows what the query's `by`, `without` and `on` clauses keep. Uses guarded
    by `{{ if $labels.x }}` or `{{ with $labels.x }}` are not reported.

    ## Why is this bad?
    The label prints as an empty string: "High error rate on " tells the person paged nothing, and the
    template author believes it works.

    ## Example
        Alert("HighErrorRate", "sum by (job) (rate(http_errors_total[5m])) > 1", for_="5m",
              severity="warning", summary="Errors on {{ $labels.instance }}")

    ## Use instead
        Alert("HighErrorRate", "sum by (job, instance) (rate(http_errors_total[5m])) > 1", for_="5m",
              severity="warning", summary="Errors on {{ $labels.instance }}")
    """
    for alert in ctx.project.alerts:
        query = _query_of(ctx, alert)
        if query is None or query.parsed is None:
            continue
        templates = list(_templates(ctx, alert))
        wanted = {use.name for _, _, template in templates for use in template.labels if not use.guarded}
        if not wanted:
            continue
        result = _result_labels(ctx, query.parsed, wanted)
        if result is None:
            continue
        carried, complete = result
        for kind, key, template in templates:
            reported: set[str] = set()
            for use in template.labels:
                if use.guarded or use.name in carried or use.name in reported:
                    continue
                reported.add(use.name)
                static = use.name in alert.all_labels() or use.name == "alertname"
                if static:
                    why = "it is a label of the rule, and $labels holds only the labels of the query's result"
                elif complete:
                    kept = ", ".join(sorted(carried))
                    why = f"the query's result carries only {kept}" if kept else "the query's result has no labels"
                else:
                    why = "the query's aggregation or matching removes it"
                yield diagnostic(
                    "A309",
                    f"{kind} {key!r} of alert {alert.name!r} uses label {use.name!r}, which its result "
                    f"does not carry: {why}",
                    help=(
                        f"keep {use.name!r} in the query's `by (...)`/`on (...)`, or drop it from the text"
                        if not static
                        else f"write the value itself, or keep {use.name!r} out of the annotation"
                    ),
                    subject=alert,
                    **ctx.place(alert, key, _excerpt(template, use.offset, use.length)),
                )


@check(code="A310", name="value-in-label", severity=Severity.WARNING, local=True)
def value_in_label(ctx: CheckContext) -> Iterator[Diagnostic]:
    """A label of an alert prints the alert's value (`$value` or `.Value`).

    Comparing the value to choose a label (`{{ if gt $value 100.0 }}critical{{ else }}warning{{ end }}`) is
    not reported: that label changes only when the value crosses the threshold.

    ## Why is this bad?
    Labels identify an alert. When a label changes with every evaluation, every evaluation is a new alert:
    the old one resolves, a new one fires, notifications repeat and silences stop matching.

    ## Example
        Alert("QueueBacklog", "queue_depth > 1000", for_="10m", severity="warning", summary="...",
              labels={"depth": "{{ $value }}"})

    ## Use instead
        Alert("QueueBacklog", "queue_depth > 1000", for_="10m", severity="warning", summary="...",
              description="{{ $value }} items are waiting")
    """
    for alert in ctx.project.alerts:
        for kind, key, template in _templates(ctx, alert):
            if kind != "label":
                continue
            printed = next((use for use in template.values if use.printed), None)
            if printed is None:
                continue
            yield diagnostic(
                "A310",
                f"label {key!r} of alert {alert.name!r} prints the alert's value, so every evaluation "
                "makes a new alert",
                help="move the value into an annotation such as description",
                subject=alert,
                **ctx.place(alert, key, _excerpt(template, printed.offset, printed.length)),
            )


@check(code="A311", name="duplicate-alert-across-groups", severity=Severity.WARNING)
def duplicate_alert_across_groups(ctx: CheckContext) -> Iterator[Diagnostic]:
    """Two alerts with the same name and the same labels in different rule groups.

    The same name with different labels (a `warning` and a `critical` alert of one condition, even in
    separate groups) is a common, valid pattern and is not reported; A301 covers one group. Spec modules are
    compared across the whole project, which becomes one Prometheus; plain rule files are compared within
    each file, since files linted together may belong to different Prometheus servers.

    ## Why is this bad?
    Alertmanager identifies an alert by its labels. When both rules fire for the same series they become one
    alert whose annotations come from whichever rule was evaluated last, and silencing one silences both.

    ## Example
        RuleGroup("api", [Alert("HighLatency", "... > 0.5", severity="warning", ...)])
        RuleGroup("api-slo", [Alert("HighLatency", "... > 0.3", severity="warning", ...)])

    ## Use instead
        RuleGroup("api", [Alert("HighLatency", "... > 0.5", severity="warning", ...)])
        RuleGroup("api-slo", [Alert("HighLatencySLO", "... > 0.3", severity="warning", ...)])
    """
    seen: dict[tuple[str, str, tuple[tuple[str, str], ...]], tuple[Alert, RuleGroup]] = {}
    for module, groups in ctx.project.rule_groups_by_module().items():
        scope = module if ctx.plain else ""
        for group in groups:
            for rule in group.rules:
                if not isinstance(rule, Alert):
                    continue
                key = (scope, rule.name, tuple(sorted(rule.all_labels().items())))
                first = seen.setdefault(key, (rule, group))
                if first[0] is rule or first[1] is group:
                    continue  # the same group is A301's
                yield diagnostic(
                    "A311",
                    f"alert {rule.name!r} in group {group.name!r} has the same name and labels as the one "
                    f"in group {first[1].name!r}",
                    help="rename one, or tell them apart by a label (severity, or what the rules differ in)",
                    subject=rule,
                    related=ctx.declared_at("the other declared", first[0]),
                    **ctx.place(rule, None),
                )


@check(code="A312", name="missing-runbook", severity=Severity.INFO, local=True)
def missing_runbook(ctx: CheckContext) -> Iterator[Diagnostic]:
    """An alert without a `runbook_url` annotation.

    Informational by default: `lint --fail-on info` (or `fail_on = "info"`) makes it a gate for teams that
    require a runbook for every alert. When other alerts of the same module or file have one, the message
    points at one of them.

    ## Why is this bad?
    The person paged at night gets no link to what to check and how to mitigate.

    ## Example
        Alert("DiskFull", "... < 0.05", for_="10m", severity="critical", summary="...")

    ## Use instead
        Alert("DiskFull", "... < 0.05", for_="10m", severity="critical", summary="...",
              runbook_url="https://runbooks.example.com/disk-full")
    """
    by_module: dict[str, list[tuple[Alert, bool]]] = {}
    for alert in ctx.project.alerts:
        has_runbook = bool(alert.all_annotations().get("runbook_url"))
        by_module.setdefault(ctx.project.module_of(alert), []).append((alert, has_runbook))
    for alerts in by_module.values():
        with_runbook = [alert for alert, has_runbook in alerts if has_runbook]
        for alert, has_runbook in alerts:
            if has_runbook:
                continue
            yield diagnostic(
                "A312",
                f"alert {alert.name!r} has no runbook_url",
                help="add a runbook_url annotation linking what to check and how to mitigate",
                subject=alert,
                related=ctx.declared_at("an alert with a runbook", with_runbook[0]) if with_runbook else (),
                **ctx.place(alert, None),
            )


_PERCENT_NUMBER_RE = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)\s*%")
_NEUTRAL_SUFFIXES = ("_info",)  # info metrics are 1, joined in for their labels
_RATIO_SUFFIXES = ("_ratio",)
_PERCENT_SUFFIXES = ("_percent", "_percentage", "_pct")
_COUNTER_SUFFIXES = ("_total", "_count", "_sum", "_bucket")
_TIME_SPENT_SUFFIXES = ("_seconds_total", "_seconds_sum", "_time_total")  # rate() of these: a fraction of time
_RATE_FUNCTIONS = frozenset({"rate", "irate", "deriv"})


def _feeds_value(use: SeriesUse) -> bool:
    """Whether the series' values reach the alert's value: not the threshold side of a comparison, not the
    right side of `and`/`unless`."""
    return not any(
        step.kind == "binary" and step.argument == 1 and (step.name in _COMPARISONS or step.name in ("and", "unless"))
        for step in use.path
    )


def _nature(ctx: CheckContext, name: str, function: str | None) -> tuple[str, str]:
    """("ratio" | "percent" | "neutral" | "not-ratio" | "unknown", what the series is, for messages)."""
    info = ctx.catalog.describe(name)
    inferred = " (type inferred from the name)" if info.inferred else ""
    declared_unit = info.metric.unit if info.metric is not None and not info.suffix else None
    if name.endswith(_NEUTRAL_SUFFIXES):
        return "neutral", name
    if name.endswith(_RATIO_SUFFIXES) or declared_unit == "ratio":
        return "ratio", name
    if name.endswith(_PERCENT_SUFFIXES) or declared_unit in ("percent", "percentage"):
        return "percent", name
    if function in _RATE_FUNCTIONS and name.endswith(_TIME_SPENT_SUFFIXES):
        return "ratio", name  # seconds per second: the fraction of time spent
    counter = info.series_type == "counter" or (info.inferred and name.endswith(_COUNTER_SUFFIXES))
    if counter:
        if function in _RATE_FUNCTIONS:
            return "not-ratio", f"{function}({name}), a per-second rate{inferred}"
        if function in ("increase", "delta", "changes", "resets"):
            return "not-ratio", f"{function}({name}), a count{inferred}"
        return "not-ratio", f"{name}, a counter{inferred}"
    unit = declared_unit or next((text for suffix, text in UNIT_SUFFIX_WORDS.items() if name.endswith(suffix)), None)
    if unit is not None and function in _RATE_FUNCTIONS:
        return "not-ratio", f"{function}({name}), in {unit} per second"
    if unit is not None:
        return "not-ratio", f"{name}, in {unit}"
    return "unknown", name


@attrs.frozen
class _ValueFacts:
    """What an alert's expression says about the value it returns."""

    ratio: bool  # a division of series by series, a `_ratio` metric, or a rate of time spent
    percent_metric: bool  # a `_percent` metric
    times_100: bool  # the expression multiplies by 100 somewhere
    not_ratio: str | None  # why the value is certainly not a ratio (every series has a unit), else None
    vector_threshold: bool  # the comparison's other side reads series: `used > total * 0.8`
    thresholds: tuple[float, ...]  # the numbers the expression compares with


def _value_facts(ctx: CheckContext, parsed: Parsed) -> _ValueFacts:
    every = series_uses(parsed)
    uses = [use for use in every if _feeds_value(use)]
    vector_threshold = any(
        step.kind == "binary" and step.argument == 1 and step.name in _COMPARISONS for use in every for step in use.path
    )
    divided: dict[int, set[int]] = {}
    for use in uses:
        for step in use.path:
            if step.kind == "binary" and step.name == "/":
                divided.setdefault(step.node, set()).add(step.argument)
    natures = [_nature(ctx, use.selector.name or "", use.selector.function) for use in uses]
    kinds = {kind for kind, _ in natures if kind != "neutral"}
    if any(not use.selector.name for use in uses):
        kinds.add("unknown")
    ratio = "ratio" in kinds or any(sides == {0, 1} for sides in divided.values())
    not_ratio = None
    if kinds == {"not-ratio"} and not ratio:
        not_ratio = next(why for kind, why in natures if kind == "not-ratio")
    return _ValueFacts(
        ratio,
        "percent" in kinds,
        values.times_100(parsed),
        not_ratio,
        vector_threshold,
        values.thresholds(parsed),
    )


def _states_threshold_in_percent(literal: str, thresholds: tuple[float, ...]) -> str | None:
    """The `N%` of the text that is one of the expression's thresholds, as N/100 or as N."""
    for match in _PERCENT_NUMBER_RE.finditer(literal):
        number = float(match.group(1))
        for threshold in thresholds:
            if math.isclose(threshold, number / 100, rel_tol=1e-9) or math.isclose(threshold, number, rel_tol=1e-9):
                return match.group(0)
    return None


@check(code="A313", name="percent-of-non-ratio", severity=Severity.WARNING, local=True)
def percent_of_non_ratio(ctx: CheckContext) -> Iterator[Diagnostic]:
    """An alert's summary or description calls its value a percentage, but the expression's value is not one.

    The text calls the value a percentage when it formats it with `humanizePercentage`, prints it followed
    by `%` (`{{ $value }}%`), or states the comparison's threshold as a percentage (`> 0.05` as "above 5%").
    The value is not a ratio when every series it comes from is a counter's rate or increase, or a gauge in a
    unit (`_bytes`, `_seconds`, ...), with no division of one series by another, no `* 100` and no rate of
    time spent (`rate(cpu_seconds_total[5m])` is a fraction); the threshold side of the comparison does not
    count. Also reported: `humanizePercentage` of a value already in percent (a ratio multiplied by 100, or
    a `_percent` metric), which prints 9000%.

    ## Why is this bad?
    `rate(http_errors_total[5m]) > 0.01` fires at 0.01 errors per second, whatever the traffic; the text
    "error rate is 1%" makes the reader believe one request in a hundred fails. Either the expression or
    the text is wrong.

    ## Example
        Alert("HighErrorRate", "rate(http_errors_total[5m]) > 0.01", for_="5m", severity="warning",
              summary="High error rate", description="Error rate is {{ $value | humanizePercentage }}")

    ## Use instead
        Alert("HighErrorRate",
              "sum(rate(http_errors_total[5m])) / sum(rate(http_requests_total[5m])) > 0.01",
              for_="5m", severity="warning",
              summary="High error rate", description="Error rate is {{ $value | humanizePercentage }}")
    """
    for alert in ctx.project.alerts:
        annotations = alert.all_annotations()
        texts = {key: ctx.template(annotations[key]) for key in ("summary", "description") if annotations.get(key)}
        formatted = [
            (key, "humanizePercentage")
            for key, template in texts.items()
            if any("humanizePercentage" in use.functions for use in template.values)
        ]
        followed = [
            (key, _excerpt(template, use.offset, use.length))
            for key, template in texts.items()
            for use in template.values
            if use.printed and use.percent_after and "humanizePercentage" not in use.functions
        ]
        if not texts or not (formatted or followed or any("%" in t.literal for t in texts.values())):
            continue
        query = _query_of(ctx, alert)
        if query is None or query.parsed is None:
            continue
        facts = _value_facts(ctx, query.parsed)
        if formatted and (facts.percent_metric or (facts.times_100 and facts.ratio)):
            key, needle = formatted[0]
            yield diagnostic(
                "A313",
                f"{key} of alert {alert.name!r} applies humanizePercentage to a value that is already in "
                "percent: it multiplies by 100 again",
                help='drop the `* 100` from the expression, or print the value with printf "%.1f%%"',
                subject=alert,
                **ctx.place(alert, key, needle),
            )
            continue
        if facts.not_ratio is None or facts.percent_metric or facts.times_100:
            continue
        stated = []
        if not facts.vector_threshold:
            stated = [
                (key, found)
                for key, template in texts.items()
                if (found := _states_threshold_in_percent(template.literal, facts.thresholds))
            ]
        evidence = formatted or followed or stated
        if not evidence:
            continue
        key, needle = evidence[0]
        yield diagnostic(
            "A313",
            f"{key} of alert {alert.name!r} calls its value a percentage, but the value is not a ratio: "
            f"it comes from {facts.not_ratio}",
            help="make the expression a ratio (divide by the total), or describe the value in its own unit",
            subject=alert,
            **ctx.place(alert, key, needle),
        )
