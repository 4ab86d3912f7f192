"""What every check sees: the project, the metric catalog, every PromQL query already parsed, and sources.

Queries are gathered and parsed once here, so twenty checks over twenty thousand rules parse each rule once.
"""

from __future__ import annotations

import copy
import functools
import re
from collections.abc import Callable, Collection, Iterable

import attrs

from monitoring_dsl.diagnostics import Place, Related
from monitoring_dsl.gotemplate import Template, parse_template
from monitoring_dsl.model.base import SourceLocation
from monitoring_dsl.model.builtins import BUILTIN_METRICS, OPEN_LABEL_SERIES, TARGET_LABELS
from monitoring_dsl.model.dashboards import Dashboard, Panel, Target, Variable
from monitoring_dsl.model.metrics import METRIC_NAME_RE, Histogram, Metric, Summary
from monitoring_dsl.model.project import Project
from monitoring_dsl.model.rules import Alert, KeyMarks, Record, parse_duration
from monitoring_dsl.model.settings import Settings
from monitoring_dsl.promql import (
    PLACEHOLDER_PREFIX,
    LabelSet,
    Parsed,
    SyntaxProblem,
    VariableInfo,
    output_labels,
    parse,
    references,
    substitute,
)
from monitoring_dsl.sources import Sources

SUFFIXES = ("_bucket", "_sum", "_count")


@attrs.frozen
class SeriesInfo:
    """What checks know of one series name: the declaration behind it and how the series behaves.

    `kind` is the declared metric's type ("counter", "gauge", "histogram", "summary"); `series_type` is how
    this particular series behaves: a histogram's `_bucket`, `_sum` and `_count` series are counters, a
    summary's quantile series is a gauge. Either is None when unknown. `inferred` is True when the type was
    guessed from the name because no catalog declares it (plain rule files and dashboards).
    """

    name: str
    kind: str | None
    series_type: str | None
    suffix: str = ""
    metric: Metric | None = None
    record: Record | None = None
    builtin: bool = False
    inferred: bool = False


@attrs.frozen
class Resolved:
    """What a series name in a query refers to."""

    metric: Metric | None = None
    record: Record | None = None
    suffix: str = ""
    builtin: bool = False


class Catalog:
    """Declared metrics, built-in series and recording rules, by the names queries use.

    With `inferred=True` (plain files, no spec catalog) unknown names are typed from their suffix
    (`_total` is a counter, and so on) and checks that need declarations stay quiet.
    """

    def __init__(
        self,
        project: Project,
        inferred: bool = False,
        attached: Callable[[str], frozenset[str]] = lambda _name: TARGET_LABELS,
    ):
        self.inferred = inferred
        self.attached = attached
        self.metrics: dict[str, Metric] = {}
        self.conflicts: list[tuple[Metric, Metric]] = []
        for metric in project.metrics:
            first = self.metrics.get(metric.name)
            if first is None:
                self.metrics[metric.name] = metric
            elif first != metric:
                self.conflicts.append((first, metric))
        self.builtins = {m.name: m for m in BUILTIN_METRICS if m.name not in self.metrics}
        self.records: dict[str, Record] = {}
        for record in project.records:
            self.records.setdefault(record.name, record)
        self._labels_cache: dict[str, LabelSet] = {}
        self._resolving: set[str] = set()

    def all_names(self) -> list[str]:
        names = list(self.metrics) + list(self.builtins) + list(self.records)
        for metric in self.metrics.values():
            if isinstance(metric, Histogram):
                names += [metric.name + suffix for suffix in SUFFIXES]
            elif isinstance(metric, Summary):
                names += [metric.name + "_sum", metric.name + "_count"]
        return names

    def resolve(self, name: str) -> Resolved | None:
        """The declaration behind a series name, or None when nothing declares it."""
        if name in self.metrics:
            return Resolved(metric=self.metrics[name])
        if name in self.records:
            return Resolved(record=self.records[name])
        if name in self.builtins:
            return Resolved(metric=self.builtins[name], builtin=True)
        for suffix in SUFFIXES:
            if name.endswith(suffix):
                base = name[: -len(suffix)]
                metric = self.metrics.get(base) or self.builtins.get(base)
                if metric is not None:
                    return Resolved(metric=metric, suffix=suffix, builtin=base in self.builtins)
        return None

    def describe(self, name: str) -> SeriesInfo:
        """Everything known of the series `name`."""
        resolved = self.resolve(name)
        if resolved is None:
            return self._infer(name)
        if resolved.record is not None:
            return SeriesInfo(name, None, None, record=resolved.record)
        metric = resolved.metric
        assert metric is not None
        if resolved.suffix:
            series_type = "counter" if isinstance(metric, (Histogram, Summary)) else None
        elif isinstance(metric, Histogram):
            series_type = None  # a histogram has no series under its bare name
        elif isinstance(metric, Summary):
            series_type = "gauge"
        else:
            series_type = metric.kind
        return SeriesInfo(name, metric.kind, series_type, resolved.suffix, metric, builtin=resolved.builtin)

    @staticmethod
    def _infer(name: str) -> SeriesInfo:
        if name.endswith("_total"):
            return SeriesInfo(name, "counter", "counter", inferred=True)
        if name.endswith("_bucket"):
            return SeriesInfo(name, "histogram", "counter", "_bucket", inferred=True)
        for suffix in ("_sum", "_count"):
            if name.endswith(suffix):
                return SeriesInfo(name, None, "counter", suffix, inferred=True)
        return SeriesInfo(name, None, None, inferred=True)

    def labels_of(self, name: str) -> LabelSet:
        """Labels a series can carry: declared labels plus the labels the deployment attaches to the metric
        (`le` on buckets, `quantile` on summaries), a record's labels from its expression, None when unknown
        or open."""
        if name in self._labels_cache:
            return self._labels_cache[name]
        result: LabelSet = None
        resolved = self.resolve(name)
        if name.startswith(PLACEHOLDER_PREFIX) or name in OPEN_LABEL_SERIES or resolved is None:
            result = None
        elif isinstance(resolved.metric, Histogram) and not resolved.suffix:
            result = None  # no such series: Q211 says so, label checks would only add noise
        elif resolved.metric is not None:
            labels = set(resolved.metric.labels) | self.attached(resolved.metric.name)
            if resolved.suffix == "_bucket":
                labels.add("le")
            if isinstance(resolved.metric, Summary) and not resolved.suffix and resolved.metric.quantiles:
                labels.add("quantile")
            result = frozenset(labels)
        elif resolved.record is not None and name not in self._resolving:
            self._resolving.add(name)
            try:
                parsed = parse(resolved.record.expr)
                inner = output_labels(parsed, self.labels_of) if isinstance(parsed, Parsed) else None
                result = None if inner is None else inner | frozenset(resolved.record.labels)
            finally:
                self._resolving.discard(name)
        self._labels_cache[name] = result
        return result


@attrs.frozen
class Query:
    """One PromQL query in the project: where it is, who owns it, and what it parsed into."""

    original: str  # as the user wrote it
    text: str  # after Grafana substitution (same as original for rules)
    result: Parsed | SyntaxProblem
    owner: object  # the Alert, Record, Target or Variable it belongs to
    dashboard: Dashboard | None
    location: SourceLocation | None
    original_offset: object = None  # callable mapping offsets in `text` to offsets in `original`

    @property
    def parsed(self) -> Parsed | None:
        return self.result if isinstance(self.result, Parsed) else None


_LABEL_VALUES_RE = re.compile(r"^\s*label_values\s*\(\s*(?P<args>.*)\)\s*$", re.S)
_QUERY_RESULT_RE = re.compile(r"^\s*query_result\s*\(\s*(?P<query>.*)\)\s*$", re.S)


def variable_query(text: str) -> tuple[str | None, str | None]:
    """The PromQL inside a Grafana variable query, and the label it asks for.

    `label_values(metric{...}, label)` gives ("metric{...}", "label"); `query_result(q)` gives (q, None);
    `label_names()`, `metrics(re)` and `label_values(label)` carry no PromQL to check.
    """
    match = _LABEL_VALUES_RE.match(text)
    if match:
        args = match.group("args")
        depth = 0
        for index in range(len(args) - 1, -1, -1):
            char = args[index]
            if char in ")}]":
                depth += 1
            elif char in "({[":
                depth -= 1
            elif char == "," and depth == 0:
                return args[:index].strip(), args[index + 1 :].strip()
        return None, args.strip() or None
    match = _QUERY_RESULT_RE.match(text)
    if match:
        return match.group("query"), None
    return None, None


def _variable_infos(dashboard: Dashboard) -> dict[str, VariableInfo]:
    return {v.name: VariableInfo(v.kind, v.sample_value) for v in dashboard.variables}


def gather_queries(project: Project) -> list[Query]:
    """Every query of every alert, record, panel target, variable and annotation, parsed once."""
    queries: list[Query] = []
    rules: list[Alert | Record] = [*project.alerts, *project.records]
    for rule in rules:
        if references(rule.expr):
            # Q215 reports the Grafana reference; the rest of the query is still checked, as Grafana would see it
            substituted = substitute(rule.expr, {})
            queries.append(
                Query(
                    rule.expr,
                    substituted.text,
                    parse(substituted.text),
                    rule,
                    None,
                    rule.location,
                    substituted.original_offset,
                )
            )
            continue
        queries.append(Query(rule.expr, rule.expr, parse(rule.expr), rule, None, rule.location))
    for dashboard in project.dashboards:
        infos = _variable_infos(dashboard)
        for variable in dashboard.variables:
            if variable.kind != "query":
                continue
            promql, _label = variable_query(variable.definition)
            if promql is None:
                continue
            substituted = substitute(promql, infos)
            queries.append(
                Query(
                    promql,
                    substituted.text,
                    parse(substituted.text),
                    variable,
                    dashboard,
                    variable.location,
                    substituted.original_offset,
                )
            )
        for annotation in dashboard.annotations:
            substituted = substitute(annotation.expr, infos)
            queries.append(
                Query(
                    annotation.expr,
                    substituted.text,
                    parse(substituted.text),
                    annotation,
                    dashboard,
                    annotation.location,
                    substituted.original_offset,
                )
            )
        for panel in dashboard.all_panels():
            for target in panel.targets:
                substituted = substitute(target.expr, infos)
                queries.append(
                    Query(
                        target.expr,
                        substituted.text,
                        parse(substituted.text),
                        target,
                        dashboard,
                        target.location,
                        substituted.original_offset,
                    )
                )
    return queries


class CheckContext:
    """The project and everything derived from it that checks share.

    `plain` is True for plain rule files and dashboards: there is no catalog, series types are inferred from
    names, and checks that need declarations (unknown metric, unknown label) do not run.
    """

    def __init__(
        self, project: Project, sources: Sources | None = None, settings: Settings | None = None, plain: bool = False
    ):
        self.project = project
        # The whole project, also when `project` is the part a restricted() context checks: what local checks
        # may read of other modules (the catalog: metrics, records, services, Prometheus servers, rule tests,
        # SLOs) comes from here.
        self.whole = project
        self.plain = plain
        self.sources = sources or Sources()
        self.settings = settings or Settings()
        self._attached = (
            TARGET_LABELS | frozenset(self.settings.target_labels) | frozenset(self.settings.external_labels)
        )
        self._job_labels: dict[str, frozenset[str]] = {}
        for service in project.services:
            for name in service.metric_names:
                self._job_labels[name] = self._job_labels.get(name, frozenset()) | service.attached_labels
        self.catalog = Catalog(project, inferred=plain, attached=self.attached_labels)
        self.queries = gather_queries(project)
        self._templates: dict[str, Template] = {}

    def restricted(self, modules: Collection[str]) -> CheckContext:
        """This context for the objects and queries of `modules` only, sharing everything else (the catalog,
        the settings, the parsed templates and sources). A check registered `local=True` finds in it exactly
        what it finds about those modules' objects in the whole context (checks/kept.py relies on this)."""
        # computed over the whole project, then shared: a rule's group may be declared outside the part
        _ = (self.parents, self.panels_by_target)
        part = copy.copy(self)
        part.project = self.whole.restricted(modules)
        wanted = set(modules)
        part.queries = [query for query in self.queries if self.module_of_query(query) in wanted]
        return part

    def module_of_query(self, query: Query) -> str:
        """The spec module that declared the query's rule or dashboard."""
        return self.whole.module_of(query.dashboard if query.dashboard is not None else query.owner)

    def template(self, text: str) -> Template:
        """The Go template `text` (an annotation or a label) parsed once for every check of the run."""
        parsed = self._templates.get(text)
        if parsed is None:
            parsed = self._templates[text] = parse_template(text)
        return parsed

    def attached_labels(self, metric_name: str) -> frozenset[str]:
        """Labels the deployment attaches to every series of the metric `metric_name`, beyond its declared ones.

        That is `job` and `instance`, plus `target_labels` (service discovery, relabelling) and
        `external_labels` of the settings, for every metric alike, plus the `attached_labels` of every `Service`
        that lists the metric in its `metrics=` (its extra `labels` and the `target_label`s its relabelling
        writes). This is the one place that answers it; every label check (Q212, Q213, legends, templates)
        follows.
        """
        return self._attached | self._job_labels.get(metric_name, frozenset())

    @functools.cached_property
    def invalid_record_names(self) -> list[str]:
        """The whole project's record names that are no valid metric names (R402): once a run, not once a share
        of checks (4,000 records on workload L, matched 38 times in each process)."""
        return [record.name for record in self.whole.records if not METRIC_NAME_RE.match(record.name)]

    @functools.cached_property
    def parents(self) -> dict[int, object]:
        """id(child) -> the object that contains it: target -> panel -> row -> dashboard, rule -> group,
        receiver, route and inhibition -> routing, relabel step -> service."""
        parents: dict[int, object] = {}
        for dashboard in self.project.dashboards:
            for variable in dashboard.variables:
                parents[id(variable)] = dashboard
            for annotation in dashboard.annotations:
                parents[id(annotation)] = dashboard
            containers: list[tuple[object, tuple[Panel, ...]]] = [(dashboard, dashboard.panels)]
            for row in dashboard.rows:
                parents[id(row)] = dashboard
                containers.append((row, row.panels))
            for container, panels in containers:
                for panel in panels:
                    parents[id(panel)] = container
                    for target in panel.targets:
                        parents[id(target)] = panel
        for groups in self.project.rule_groups_by_module().values():
            for group in groups:
                for rule in group.rules:
                    parents.setdefault(id(rule), group)
        parents.update(self.project.origins)  # generated objects belong to what generated them
        for routing in self.project.routings:
            for part in (*routing.receivers, *routing.routes, *routing.inhibit):
                parents[id(part)] = routing
            for route in routing.all_routes():
                for child in route.routes:
                    parents[id(child)] = route
        for service in self.project.services:
            for step in service.relabel:
                parents[id(step)] = service
        return parents

    @functools.cached_property
    def panels_by_target(self) -> dict[int, Panel]:
        return {id(t): p for d in self.project.dashboards for p in d.all_panels() for t in p.targets}

    def at(self, location: SourceLocation | None, needle: str | None) -> Place:
        """Diagnostic fields `location` and `span`, narrowed to where `needle` appears in the source."""
        if needle:
            refined, span = self.sources.locate(location, needle)
            return {"location": refined, "span": span}
        return {"location": location, "span": None}

    def place(self, obj: object, field: str | None = None, needle: str | None = None) -> Place:
        """Diagnostic fields pointing at `needle` within `obj`'s `field` (a keyword such as `for_`, or an
        annotation or label name), else at the field, else at `obj`. In a spec module the field is found in the
        syntax tree; in an imported rule file, from the field marks recorded at load.
        """
        location: SourceLocation | None = getattr(obj, "location", None)
        if location is None:
            return {"location": None, "span": None}
        needle = needle.split("\n", 1)[0].strip()[:60] if needle else None
        if location.path.endswith(".py"):
            start: SourceLocation = location
            span: str | None = None
            if field is not None:
                keyword = self.sources.keyword(location, field)
                if keyword is not None:
                    start, span = keyword, field
                else:
                    for quoted in (f'"{field}"', f"'{field}'"):
                        found, found_span = self.sources.locate(location, quoted)
                        if found_span is not None and found is not None:
                            start, span = found, found_span
                            break
            if needle:
                found, found_span = self.sources.locate(start, needle, start_column=start.column or 1)
                if found_span is not None:
                    return {"location": found, "span": found_span}
            return {"location": start, "span": span}
        marks: KeyMarks | None = getattr(obj, "marks", None)
        if marks is None:  # not imported from a YAML rule file: its line is all there is
            return {"location": location, "span": None}
        start, span = location, None
        mark = marks.keys.get(field.rstrip("_")) if field else None
        if mark is not None and field is not None:
            start, span = SourceLocation(location.path, *mark), field.rstrip("_")
        if needle:
            found = self.sources.find(SourceLocation(location.path, start.line), needle, marks.last_line)
            if found is not None:
                return {"location": found, "span": needle}
        return {"location": start, "span": span}

    def in_query(self, query: Query, needle: str | None) -> Place:
        """Diagnostic fields pointing at `needle` inside `query`'s own text in the spec.

        The query is found first, from its owner's line; `needle` is then looked for only within the query's
        lines, so a mistake is never pinned on the same word elsewhere in the statement. A query the source
        does not contain verbatim (built by a helper) is reported at its owner's line.
        """
        first_line = query.original.strip().split("\n", 1)[0].strip()
        start, span = self.sources.locate(query.location, first_line[:40])
        if span is None or start is None:
            return {"location": query.location, "span": None}
        if not needle:
            return {"location": start, "span": None}
        lines = query.original.strip().count("\n") + 2
        found, needle_span = self.sources.locate(
            start, needle, start_column=start.column, max_lines=lines, window=len(query.original) + 64
        )
        if needle_span is None:
            return {"location": start, "span": None}
        return {"location": found, "span": needle_span}

    def external_labels(self) -> dict[str, str]:
        """The external labels of the declared Prometheus: every alert reaches Alertmanager with them."""
        servers = self.whole.prometheus_servers
        return dict(servers[0].external_labels) if servers else {}

    def scrape_interval_seconds(self, series: Iterable[str] = ()) -> float:
        """The scrape interval of `series`: the longest `scrape_interval` among the Services exposing them
        (the safe one for a range), else the declared Prometheus's global one, else the settings'."""
        names = set()
        for name in series:
            resolved = self.catalog.resolve(name)
            names.add(resolved.metric.name if resolved is not None and resolved.metric is not None else name)
        jobs = [s for s in self.whole.services if names & s.metric_names and s.scrape_interval]
        if jobs:
            return max(parse_duration(s.scrape_interval or "") or 0.0 for s in jobs)
        servers = self.whole.prometheus_servers
        if servers:
            return parse_duration(servers[0].scrape_interval) or self.settings.scrape_interval_seconds
        return self.settings.scrape_interval_seconds

    @staticmethod
    def declared_at(what: str, obj: object) -> tuple[Related, ...]:
        location = getattr(obj, "location", None)
        return (Related(location, f"{what} here"),) if location is not None else ()


def owner_kind(owner: object) -> str:
    if isinstance(owner, Alert):
        return f"alert {owner.name!r}"
    if isinstance(owner, Record):
        return f"record {owner.name!r}"
    if isinstance(owner, Variable):
        return f"variable {owner.name!r}"
    if isinstance(owner, Target):
        return "panel query"
    return type(owner).__name__
