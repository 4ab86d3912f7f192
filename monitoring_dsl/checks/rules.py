"""R4xx: recording rules and rule groups. Names and groups that Prometheus will load, named by convention,
and records that queries name actually defined."""

from __future__ import annotations

import difflib
from collections.abc import Iterator

import attrs

from monitoring_dsl.checks.context import CheckContext, Query, owner_kind
from monitoring_dsl.checks.registry import check, diagnostic
from monitoring_dsl.diagnostics import Diagnostic, Severity
from monitoring_dsl.model.metrics import METRIC_NAME_RE, Histogram, Summary
from monitoring_dsl.model.rules import Record, RuleGroup, format_duration
from monitoring_dsl.promql import PLACEHOLDER_PREFIX, function_names, output_labels, selectors


@check(code="R401", name="duplicate-rule-group", severity=Severity.ERROR)
def duplicate_rule_group(ctx: CheckContext) -> Iterator[Diagnostic]:
    """Two rule groups of one spec module have the same name.

    Each spec module becomes one rule file; loose Alerts and Records of a module form a group named after
    the module, which counts too.

    ## Why is this bad?
    Prometheus refuses a rule file that repeats a group name.

    ## Example
        # specs/api.py
        RuleGroup("api", [...])
        Alert("Down", "up == 0", ...)          # goes into the group "api" too

    ## Use instead
        RuleGroup("api", [..., Alert("Down", "up == 0", ...)])
    """
    for module, groups in ctx.project.rule_groups_by_module().items():
        seen: dict[str, RuleGroup] = {}
        for group in groups:
            first = seen.setdefault(group.name, group)
            if first is not group:
                yield diagnostic(
                    "R401",
                    f"rule group {group.name!r} appears twice in spec module {module!r}",
                    location=group.location,
                    subject=group,
                    related=ctx.declared_at("first declared", first),
                    help=(
                        "rules declared outside any RuleGroup form a group named after the module; "
                        "put them in a RuleGroup or rename the group"
                    ),
                )


@check(code="R402", name="invalid-record-name", severity=Severity.ERROR, local=True)
def invalid_record_name(ctx: CheckContext) -> Iterator[Diagnostic]:
    """A recording rule's name is not a valid metric name.

    ## Why is this bad?
    The name becomes the new series' name; Prometheus refuses to load a rule file with an invalid one.

    ## Example
        Record("endpoint:http-requests:rate5m", "...")

    ## Use instead
        Record("endpoint:http_requests:rate5m", "...")
    """
    for record in ctx.project.records:
        if not METRIC_NAME_RE.match(record.name):
            yield diagnostic(
                "R402",
                f"record name {record.name!r} is not a valid metric name",
                help="use letters, digits, underscores and colons, conventionally level:metric:operations",
                subject=record,
                **ctx.at(record.location, record.name),
            )


_ANY_LABEL = "\x00any"  # stands for "whatever labels the series has" when asking what a query keeps


def _is_alias(query: Query) -> bool:
    """Whether the record's expression computes, sample by sample, from one series and keeps all its labels:
    the bare series, `label_replace()` of it, the series scaled by a number or `time() - x`."""
    parsed = query.parsed
    if parsed is None:
        return False
    found = selectors(parsed)
    if len(found) != 1 or found[0].range_seconds is not None:
        return False
    kept = output_labels(parsed, lambda _name: frozenset({_ANY_LABEL}))
    return kept is not None and _ANY_LABEL in kept


def _record_queries(ctx: CheckContext) -> dict[int, Query]:
    return {id(query.owner): query for query in ctx.queries if isinstance(query.owner, Record)}


def _level(ctx: CheckContext, query: Query | None) -> str | None:
    """The level a record's name should start with: the labels its expression keeps, joined by `_`;
    "" when it keeps none, None when that cannot be known."""
    if query is None or query.parsed is None:
        return None
    labels = output_labels(query.parsed, ctx.catalog.labels_of)
    if labels is None:
        return None
    return "_".join(sorted(label for label in labels if not label.startswith("__")))


def _suggestion(ctx: CheckContext, record: Record, query: Query | None) -> str:
    """A conventional name for `record`, built from its current name and what its expression does."""
    known = _level(ctx, query)
    level = known or "<level>"
    parts = record.name.split(":")
    if len(parts) == 2:
        if parts[0] and parts[1]:
            # `instance:mysql_slave_lag_seconds` lacks its operations, `apiserver_request:burnrate1h` its level
            words = set((known or "").split("_")) | _LEVEL_WORDS
            return f"{record.name}:<operations>" if set(parts[0].split("_")) <= words else f"{level}:{record.name}"
        return f"{level}:{parts[0] or parts[1]}:<operations>"
    if len(parts) > 2:
        middle = ":".join(part for part in parts[1:-1] if part) or "<metric>"
        return f"{parts[0] or level}:{middle}:{parts[-1] or '<operations>'}"
    metric, operations = record.name, "<operations>"
    parsed = query.parsed if query is not None else None
    if parsed is not None:
        found = selectors(parsed)
        names = list(dict.fromkeys(s.name for s in found if s.name))
        rate = next((f for f in function_names(parsed) if f in ("rate", "irate", "increase")), None)
        windows = {s.range_seconds for s in found if s.range_seconds}
        if len(names) == 1 and rate is not None and len(windows) == 1:
            metric = names[0][: -len("_total")] if names[0].endswith("_total") else names[0]
            operations = rate + format_duration(windows.pop(), milliseconds=False)
    return f"{level}:{metric}:{operations}"


# Label names that commonly make up a level, to tell `instance:metric` (no operations) from `metric:rate5m`.
_LEVEL_WORDS = frozenset(
    {"job", "instance", "cluster", "namespace", "pod", "node", "container", "service", "endpoint", "route"}
    | {"handler", "method", "code", "status", "verb", "scope", "mode", "device", "cpu", "region", "zone", "env"}
)


@check(code="R403", name="record-name-convention", severity=Severity.WARNING, local=True)
def record_name_convention(ctx: CheckContext) -> Iterator[Diagnostic]:
    """A recording rule's name is not of the form `level:metric:operations`.

    Prometheus's naming practice for recording rules: `level` is the aggregation level, the labels the
    result keeps (`job`, `instance_path`); `metric` the metric name, with `_total` stripped after `rate()`;
    `operations` the operations applied, newest first (`rate5m`, `sum_rate5m`, `ratio`). So a name has
    at least two colons and no empty part; an empty level is accepted when the result keeps no labels
    at all (or when which labels it keeps cannot be known). A record with a colon-free name that
    computes, sample by sample, from a single series and keeps its labels (the bare series,
    `label_replace()` of it, the series scaled by a number, `time() - x`) is a compatibility alias for a
    metric, as exporters publish them, and is not reported.

    ## Why is this bad?
    The colons tell recorded series from scraped ones at a glance, and the parts say what a series holds:
    `job:http_requests:rate5m` is a per-job rate over 5 minutes, `http_requests_rate` could be anything,
    and nothing stops it colliding with a metric an exporter adds one day.

    ## Example
        Record("http_requests_rate5m", "sum by (job) (rate(http_requests_total[5m]))")

    ## Use instead
        Record("job:http_requests:rate5m", "sum by (job) (rate(http_requests_total[5m]))")
    """
    queries = _record_queries(ctx)
    for record in ctx.project.records:
        name = record.name
        if not METRIC_NAME_RE.match(name):
            continue  # R402 reports it
        parts = name.split(":")
        query = queries.get(id(record))
        problem: str | None = None
        if len(parts) == 1:
            if query is not None and _is_alias(query):
                continue
            problem = "has no colons"
        elif len(parts) == 2:
            problem = "has one colon"
        elif not parts[-1]:
            problem = "has an empty operations part"
        elif any(not part for part in parts[1:-1]):
            problem = "has an empty metric part"
        elif not parts[0]:
            level = _level(ctx, query)
            if not level:
                continue  # the result keeps no labels (an empty level says so), or nobody can tell
            problem = f"has an empty level, but the result keeps labels ({level})"
        if problem is None:
            continue
        yield diagnostic(
            "R403",
            f"record name {name!r} {problem}; recording rules are named level:metric:operations",
            help=f"e.g. `{_suggestion(ctx, record, query)}`",
            subject=record,
            **ctx.at(record.location, name),
        )


@check(code="R404", name="record-shadows-metric", severity=Severity.WARNING, needs_catalog=True, local=True)
def record_shadows_metric(ctx: CheckContext) -> Iterator[Diagnostic]:
    """A recording rule has the name of a declared or built-in metric, or of one of a histogram's series.

    ## Why is this bad?
    The rule writes series into the metric's own name: queries get the scraped and the recorded series
    mixed, and where their labels coincide Prometheus rejects one of the samples. Nothing in a query can
    tell the two apart again.

    ## Example
        requests = Counter("http_requests_total", "Requests", labels=["endpoint"])
        Record("http_requests_total", "sum by (job) (http_requests_total)")

    ## Use instead
        Record("job:http_requests_total:sum", "sum by (job) (http_requests_total)")
    """
    for record in ctx.project.records:
        name = record.name
        metric = ctx.catalog.metrics.get(name) or ctx.catalog.builtins.get(name)
        series = name
        if metric is None:
            # not catalog.resolve(): it finds the record itself before the histogram it shadows
            suffix = next((s for s in ("_bucket", "_sum", "_count") if name.endswith(s)), "")
            base = name[: -len(suffix)] if suffix else name
            metric = ctx.catalog.metrics.get(base) or ctx.catalog.builtins.get(base)
            if not suffix or not (
                isinstance(metric, Histogram) or (isinstance(metric, Summary) and suffix != "_bucket")
            ):
                continue  # no such series: a counter has no `_sum`
            series = f"the `{suffix}` series of"
        assert metric is not None
        kind = type(metric).__name__
        owner = "built-in" if metric.name in ctx.catalog.builtins else "declared"
        what = f"{owner} {kind} `{metric.name}`" if series == name else f"{series} {owner} {kind} `{metric.name}`"
        yield diagnostic(
            "R404",
            f"record {name!r} has the name of the {what}",
            help="name the record level:metric:operations, e.g. `job:" + metric.name + ":sum`",
            related=ctx.declared_at(f"declared as {kind}", metric),
            subject=record,
            **ctx.at(record.location, name),
        )


@check(code="R405", name="undefined-record", severity=Severity.ERROR, local=True)
def undefined_record(ctx: CheckContext) -> Iterator[Diagnostic]:
    """A query names a series that looks like a recording rule (it contains ':') that no record defines.

    Metric names never contain colons by convention, so such a name is a recording rule's: one defined
    in a rule file that is not part of this run, or a typo. Plain rule files and dashboards linted in one
    run see each other's records; when the plain files of a run define no recording rule at all (only
    dashboards, say), there is nothing to check against and nothing is reported. The finding is an error,
    except in plain files for a name that is not a near miss of a record they define: that record may
    live in a rule file outside the run, so it is a warning.

    ## Why is this bad?
    A series nobody records does not exist: the panel stays empty and the alert never fires, silently.

    ## Example
        Record("job:http_requests:rate5m", "sum by (job) (rate(http_requests_total[5m]))")
        Alert("Busy", "job:http_request:rate5m > 100", ...)

    ## Use instead
        Alert("Busy", "job:http_requests:rate5m > 100", ...)
    """
    if ctx.plain and not ctx.catalog.records:
        return
    where = "in the files linted" if ctx.plain else "in the specs"
    names: list[str] | None = None
    for query in ctx.queries:
        if query.parsed is None:
            continue
        for selector in selectors(query.parsed):
            name = selector.name
            if not name or ":" not in name or name.startswith(PLACEHOLDER_PREFIX):
                continue
            if ctx.catalog.resolve(name) is not None:
                continue
            if names is None:
                names = sorted(ctx.catalog.records)
            hint = _typo_of(name, names)
            found = diagnostic(
                "R405",
                f"no recording rule {where} defines `{name}` (in {owner_kind(query.owner)})",
                help=(
                    f"did you mean `{hint}`?"
                    if hint
                    else "lint the rule file that records it in the same run"
                    if ctx.plain
                    else f'define it, e.g. Record("{name}", "..."), or allow R405 where it is recorded elsewhere'
                ),
                subject=query.owner,
                **ctx.in_query(query, name),
            )
            if ctx.plain and hint is None:
                found = attrs.evolve(found, severity=Severity.WARNING)  # may be recorded outside the run
            yield found


def _typo_of(name: str, names: list[str]) -> str | None:
    """The defined record `name` is a typo of: a few characters apart, not a sibling rule such as
    `node:windows_node_num_cpu:sum` for `node:node_num_cpu:sum`."""
    for candidate in difflib.get_close_matches(name, names, n=3, cutoff=0.8):
        matcher = difflib.SequenceMatcher(None, name, candidate)
        matching = sum(block.size for block in matcher.get_matching_blocks())
        if len(name) + len(candidate) - 2 * matching <= 3:
            return candidate
    return None
