"""`import`: existing Grafana dashboards and Prometheus rule files become spec modules a person would have
written: one module per file (dashboards with their rows and variables, rule groups with their rules) and a
catalog module with the metrics the queries read, inferred from names and functions and marked as inferred."""

from __future__ import annotations

import keyword
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar, cast

import attrs

from monitoring_dsl.diagnostics import Diagnostic, Severity
from monitoring_dsl.load.grafana_json import find_dashboard
from monitoring_dsl.load.json_positions import parse_json
from monitoring_dsl.load.plain import import_file
from monitoring_dsl.model.dashboards import Dashboard, Panel, Row, Text
from monitoring_dsl.model.metrics import Counter, Gauge, Histogram, Metric
from monitoring_dsl.model.rules import Record, RuleGroup
from monitoring_dsl.promql import groupings, parse, selectors, substitute
from monitoring_dsl.promql.parser import Parsed
from monitoring_dsl.review.codegen import source

T = TypeVar("T")
SUFFIXES = (".json", ".yml", ".yaml")
CATALOG = "catalog"
COUNTER_FUNCTIONS = {"rate", "irate", "increase", "resets"}
INFERRED = "Inferred by monitoring-dsl import from the queries that read it."


@attrs.frozen
class Imported:
    """One spec module: its name, the file it came from, the objects it declares."""

    name: str
    origin: str
    objects: tuple[Any, ...]


@attrs.frozen
class ImportResult:
    """The modules as {file name: source}, and the problems met (files skipped are E-diagnostics)."""

    files: dict[str, str]
    modules: tuple[Imported, ...]
    diagnostics: tuple[Diagnostic, ...]


def expand(paths: Sequence[Path]) -> list[Path]:
    """The files under `paths`: a file as given, a directory's dashboard and rule files, sorted."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES))
        else:
            found.append(path)
    return found


def import_paths(paths: Sequence[Path]) -> ImportResult:
    """Spec modules for every dashboard and rule file under `paths`."""
    modules: list[Imported] = []
    diagnostics: list[Diagnostic] = []
    taken = {CATALOG}
    for file in expand(paths):
        imported = import_file(file)
        errors = [d for d in imported.diagnostics if d.severity is Severity.ERROR]
        diagnostics.extend(imported.diagnostics)
        if errors:
            continue
        objects = _top_level(imported.declared, file)
        if objects:
            modules.append(Imported(_module_name(file.stem, taken), imported.path, tuple(objects)))
    catalog = infer_metrics(modules)
    files = {f"{m.name}.py": module_source(m, bool(catalog)) for m in modules}
    if catalog:
        files[f"{CATALOG}.py"] = catalog_source(catalog)
    return ImportResult(files, tuple(modules), tuple(diagnostics))


def _module_name(stem: str, taken: set[str]) -> str:
    name = re.sub(r"\W+", "_", stem.lower()).strip("_") or "imported"
    if name[0].isdigit() or keyword.iskeyword(name):
        name = f"imported_{name}"
    unique, number = name, 2
    while unique in taken:
        unique, number = f"{name}_{number}", number + 1
    taken.add(unique)
    return unique


def _top_level(declared: Iterable[object], file: Path) -> list[object]:
    """Rule groups (their rules inline) and dashboards, with the dashboard's rows restored."""
    objects: list[object] = []
    for obj in declared:
        if isinstance(obj, RuleGroup):
            objects.append(obj)
        elif isinstance(obj, Dashboard):
            objects.append(_with_rows(_panels_fixed(obj), file))
    return objects


def _evolve(obj: T, **changes: Any) -> T:
    """`attrs.evolve` for spec classes (attrs classes that mypy sees through the `spec` decorator only)."""
    return cast(T, attrs.evolve(cast(Any, obj), **changes))


def _base_step(panel: Panel) -> Panel:
    """Grafana's first threshold step is the base whatever value it carries: say so, `Threshold("green")`."""
    if panel.thresholds and panel.thresholds[0].value is not None:
        first = _evolve(panel.thresholds[0], value=None)
        return _evolve(panel, thresholds=(first, *panel.thresholds[1:]))
    return panel


def _panels_fixed(board: Dashboard) -> Dashboard:
    if board.panels:
        return _evolve(board, panels=tuple(_base_step(p) for p in board.panels))
    rows = tuple(_evolve(r, panels=tuple(_base_step(p) for p in r.panels)) for r in board.rows)
    return _evolve(board, rows=rows)


def _with_rows(board: Dashboard, file: Path) -> Dashboard:
    """The importer flattens rows for the checks; put the panels back into the rows the JSON has."""
    try:
        raw = find_dashboard(parse_json(file.read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return board
    if raw is None:
        return board
    sources = {
        str(v.get("name"))
        for v in (raw.get("templating") or {}).get("list") or []
        if isinstance(v, dict) and v.get("type") == "datasource" and v.get("query") == "prometheus"
    }
    raws = {str(v.get("name")): v for v in (raw.get("templating") or {}).get("list") or [] if isinstance(v, dict)}
    kinds = {name: str(v.get("type")) for name, v in raws.items()}
    variables = []
    for variable in board.variables:
        kind = kinds.get(variable.name)
        if variable.name in sources:
            continue  # monitoring-dsl adds the Prometheus datasource variable itself
        if kind in ("textbox", "adhoc") and variable.kind == "constant":  # the plain importer keeps only a value
            variable = _evolve(variable, kind=kind, definition="" if kind == "adhoc" else variable.definition)
        elif kind not in (None, "constant") and variable.kind == "constant":
            # a query to another datasource (Loki, say): the checks see a constant, Grafana the variable itself
            extra = {k: v for k, v in raws[variable.name].items() if k not in ("name", "label", "current", "options")}
            variable = _evolve(variable, extra=extra)
        variables.append(variable)
    board = _evolve(board, variables=tuple(variables))
    placed = list(_raw_rows(raw))
    rows: list[tuple[str | None, bool, list[Panel]]] = []
    remaining = list(board.all_panels())
    for row, collapsed, raw_panel in placed:
        if not rows or rows[-1][0] != row:
            rows.append((row, collapsed, []))
        if raw_panel.get(_EMPTY_ROW):
            continue
        if remaining and remaining[0].title == (raw_panel.get("title") or ""):
            rows[-1][2].append(_kept_type(remaining.pop(0), raw_panel))
        else:  # a panel the checks skip (no Prometheus query): kept verbatim
            rows[-1][2].append(_verbatim(raw_panel))
    if remaining:
        return board  # the panels did not pair up with the JSON: keep the importer's list
    loose = tuple(p for title, _, panels in rows if title is None for p in panels)  # above the first row
    built = tuple(
        Row(title or "", tuple(panels), collapsed=collapsed) for title, collapsed, panels in rows if title is not None
    )
    return _evolve(board, panels=loose, rows=built)


# Panel types Grafana migrates when it loads a dashboard; the vocabulary has only the current ones.
MIGRATED_TYPES = {
    "graph": "timeseries",
    "singlestat": "stat",
    "grafana-singlestat-panel": "stat",
    "table-old": "table",
    "grafana-piechart-panel": "piechart",
}
_EMPTY_ROW = "\x00empty row"
_VERBATIM_SKIPPED = ("id", "gridPos", "title", "span")


def _kept_type(panel: Panel, raw: Mapping[str, Any]) -> Panel:
    """A panel type outside the vocabulary (`status-history`, say) is imported as the nearest panel with
    `extra={"type": ...}`, so the dashboard keeps it."""
    kind = raw.get("type")
    if isinstance(kind, str) and kind and MIGRATED_TYPES.get(kind, kind) != panel.type:
        allow = {**panel.allow, "D531": f"imported: Grafana's {kind} panel has no class in the vocabulary"}
        return _evolve(panel, extra={**panel.extra, "type": kind}, allow=allow)
    return panel


def _verbatim(raw: Mapping[str, Any]) -> Panel:
    """A panel without Prometheus queries (an alert list, a logs panel): a Text panel whose `extra=` holds the
    panel's own JSON, since the vocabulary has nothing to say about it."""
    grid = raw.get("gridPos") if isinstance(raw.get("gridPos"), dict) else {}
    place = tuple(grid.get(k) for k in ("x", "y", "w", "h"))  # type: ignore[union-attr]
    options: dict[str, Any] = {}
    if all(isinstance(v, int) for v in place) and place[2] and place[3]:
        options["grid_pos"] = place
    elif isinstance(raw.get("span"), (int, float)) and 0 < raw["span"] <= 12:
        options["width"] = round(raw["span"] * 2)
    extra = {k: v for k, v in raw.items() if k not in _VERBATIM_SKIPPED}
    allow = {"D531": "imported verbatim: a panel without Prometheus queries"}
    return Text(str(raw.get("title") or ""), extra=extra, allow=allow, **options)


def _raw_rows(board: Mapping[str, Any]) -> Iterator[tuple[str | None, bool, Mapping[str, Any]]]:
    """(row title, collapsed, panel) for every panel, in the importer's order; rows without panels too."""
    for row in board.get("rows") or []:
        if isinstance(row, dict):
            title = str(row.get("title") or "")
            for panel in row.get("panels") or []:
                if isinstance(panel, dict):
                    yield title, bool(row.get("collapse")), panel
    current: str | None = None
    collapsed = False
    for item in board.get("panels") or []:
        if not isinstance(item, dict):
            continue
        if item.get("type") == "row":
            current, collapsed = str(item.get("title") or ""), bool(item.get("collapsed"))
            inner = [p for p in item.get("panels") or [] if isinstance(p, dict)]
            if not inner:
                yield current, collapsed, {_EMPTY_ROW: True}
            for panel in inner:
                yield current, collapsed, panel
        else:
            yield current, collapsed, item


# --- the inferred catalog ----------------------------------------------------------------------------------


@attrs.define
class _Use:
    labels: set[str] = attrs.field(factory=set)
    functions: set[str] = attrs.field(factory=set)
    count: int = 0


def _queries(modules: Iterable[Imported]) -> Iterator[str]:
    for module in modules:
        for obj in module.objects:
            if isinstance(obj, RuleGroup):
                yield from (rule.expr for rule in obj.rules)
            elif isinstance(obj, Dashboard):
                for panel in obj.all_panels():
                    yield from (target.expr for target in panel.targets)


def _recorded(modules: Iterable[Imported]) -> set[str]:
    return {
        rule.name
        for module in modules
        for obj in module.objects
        if isinstance(obj, RuleGroup)
        for rule in obj.rules
        if isinstance(rule, Record)
    }


def infer_metrics(modules: Sequence[Imported]) -> list[Metric]:
    """A metric for every name the queries read that no rule records: a histogram for `_bucket` series, a
    counter for `_total` names, a gauge otherwise; labels from the matchers and from `by (...)` over it."""
    uses: dict[str, _Use] = {}
    for query in _queries(modules):
        parsed = parse(substitute(query, {}).text)
        if not isinstance(parsed, Parsed):
            continue
        for selector in selectors(parsed):
            if not selector.name:
                continue
            use = uses.setdefault(selector.name, _Use())
            use.count += 1
            use.labels.update(m.label for m in selector.matchers if m.label not in ("__name__", "le"))
            if selector.function:
                use.functions.add(selector.function)
        for grouping in groupings(parsed, lambda name: None):
            # `sum by (status) (rate(x[5m]))`: status is a label of x when x is the only series beneath
            if grouping.clause == "by" and len(set(grouping.series)) == 1 and grouping.series[0] in uses:
                uses[grouping.series[0]].labels.update(label for label in grouping.labels if label != "le")
    recorded = _recorded(modules)
    histograms = {name.removesuffix("_bucket") for name in uses if name.endswith("_bucket")}
    metrics: list[Metric] = []
    for base in sorted(histograms):
        labels: set[str] = set()
        for suffix in ("_bucket", "_sum", "_count"):
            labels |= uses.pop(base + suffix, _Use()).labels
        if base in recorded or ":" in base:
            continue
        metrics.append(Histogram(base, INFERRED, tuple(sorted(labels))))
    for name in sorted(uses):
        if name in recorded or ":" in name:
            continue
        labels_list = tuple(sorted(uses[name].labels))
        if name.endswith("_total"):
            metrics.append(Counter(name, INFERRED, labels_list))
        else:
            metrics.append(Gauge(name, INFERRED, labels_list))
    return metrics


# --- source ------------------------------------------------------------------------------------------------


def _variable(name: str) -> str:
    variable = re.sub(r"\W+", "_", name.lower()).strip("_") or "item"
    if variable[0].isdigit() or keyword.iskeyword(variable):
        variable = f"_{variable}"
    return variable


def _types(objects: Iterable[object]) -> list[str]:
    found: set[str] = set()

    def visit(value: object) -> None:
        if attrs.has(type(value)):
            found.add(type(value).__name__)
            for field in attrs.fields(cast(Any, type(value))):
                if field.init:
                    visit(getattr(value, field.name))
        elif isinstance(value, (list, tuple)):
            for item in value:
                visit(item)
        elif isinstance(value, dict):
            for item in value.values():
                visit(item)

    for obj in objects:
        visit(obj)
    return sorted(found)


def module_source(module: Imported, has_catalog: bool) -> str:
    """A spec module: docstring naming the origin, imports, one assignment per dashboard or group."""
    lines = [f'"""Imported from {module.origin} by `monitoring-dsl import`; edit freely."""', ""]
    if has_catalog:
        lines.append(f"import {CATALOG}  # noqa: F401 - the metrics these queries read")
    lines.append(f"from monitoring_dsl import {', '.join(_types(module.objects))}")
    taken: set[str] = set()
    for obj in module.objects:
        title = obj.title if isinstance(obj, Dashboard) else obj.name
        name = _variable(title)
        unique, number = name, 2
        while unique in taken:
            unique, number = f"{name}_{number}", number + 1
        taken.add(unique)
        lines += ["", f"{unique} = {source(obj, offset=len(unique) + 3)}"]
    return "\n".join(lines) + "\n"


def catalog_source(metrics: Sequence[Metric]) -> str:
    lines = [
        '"""Metrics the imported dashboards and rules read. Inferred by `monitoring-dsl import` from the queries:',
        "a `_bucket` series is a Histogram, a `_total` name a Counter, anything else a Gauge; labels are the ones the",
        'queries match on. Check each against what the service exposes, then write a real help text."""',
        "",
        f"from monitoring_dsl import {', '.join(sorted({type(m).__name__ for m in metrics}))}",
        "",
    ]
    taken: set[str] = set()
    for metric in metrics:
        name = _variable(metric.name)
        unique, number = name, 2
        while unique in taken:
            unique, number = f"{name}_{number}", number + 1
        taken.add(unique)
        lines.append(f"{unique} = {source(metric, offset=len(unique) + 3)}")
    return "\n".join(lines) + "\n"


def import_counts(result: ImportResult) -> str:
    """`2 dashboards, 3 rule groups, 40 inferred metrics` for the command's last line."""
    objects = [obj for module in result.modules for obj in module.objects]
    boards = sum(isinstance(obj, Dashboard) for obj in objects)
    groups = sum(isinstance(obj, RuleGroup) for obj in objects)
    rules = sum(len(obj.rules) for obj in objects if isinstance(obj, RuleGroup))
    metrics = len(infer_metrics(result.modules))
    return f"{boards} dashboards, {groups} rule groups with {rules} rules, {metrics} inferred metrics"
