"""The semantic difference of two output trees: what a reviewer would have to work out from a Python diff
(dashboards, rows and panels added, removed, moved or changed; alerts and records changed; records renamed
with every query that read the old name). Pure: snapshots in, changes out."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Mapping

import attrs

from monitoring_dsl.promql import parse, selectors, substitute
from monitoring_dsl.promql.parser import Parsed
from monitoring_dsl.promql.written import trailing_comparison
from monitoring_dsl.review.snapshot import DashboardView, PanelView, RuleView, Snapshot

SECTIONS = ("dashboard", "alert", "record", "file")


@attrs.frozen
class Field:
    """One value that changed: `name: old -> new` (None when absent on that side)."""

    name: str
    old: str | None
    new: str | None


@attrs.frozen
class Change:
    """One change: `kind` is dashboard, row, panel, variable, alert, record or file; `action` is added,
    removed, changed, moved or renamed; `subject` names it as a reviewer would."""

    kind: str
    action: str
    subject: str
    fields: tuple[Field, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def section(self) -> str:
        return "dashboard" if self.kind in ("dashboard", "row", "panel", "variable") else self.kind


def diff_snapshots(base: Snapshot, head: Snapshot) -> list[Change]:
    """Every change from `base` to `head`, dashboards first, in the order of the head's output."""
    changes = list(_dashboards(base, head))
    changes.extend(_rules(base, head))
    changes.extend(_files(base.files, head.files))
    order = {name: index for index, name in enumerate(SECTIONS)}
    return sorted(changes, key=lambda c: order[c.section])  # stable: keeps the walk order inside a section


# --- dashboards --------------------------------------------------------------------------------------------


def _dashboards(base: Snapshot, head: Snapshot) -> Iterator[Change]:
    for uid in _union(base.dashboards, head.dashboards):
        old, new = base.dashboards.get(uid), head.dashboards.get(uid)
        if old is None and new is not None:
            rows = f" in {len(new.rows)} rows" if new.rows else ""
            notes = (f"{len(new.panels)} panels{rows}",)
            yield Change("dashboard", "added", _board_name(new), notes=notes)
        elif new is None and old is not None:
            yield Change("dashboard", "removed", _board_name(old), notes=(f"{len(old.panels)} panels",))
        elif old is not None and new is not None:
            yield from _dashboard(old, new)


def _board_name(board: DashboardView) -> str:
    return f"{board.title} ({board.uid})"


def _dashboard(old: DashboardView, new: DashboardView) -> Iterator[Change]:
    fields = _fields(
        ("title", old.title, new.title),
        ("tags", ", ".join(old.tags), ", ".join(new.tags)),
    )
    if fields:
        yield Change("dashboard", "changed", _board_name(new), fields)
    board = new.title
    for name in _union(old.variables, new.variables):
        was, now = old.variables.get(name), new.variables.get(name)
        if was != now:
            action = "added" if was is None else "removed" if now is None else "changed"
            yield Change("variable", action, f"{board} / ${name}", _fields(("definition", was, now)))
    for row in [r for r in old.rows if r not in new.rows]:
        yield Change("row", "removed", f"{board} / {row}")
    for row in [r for r in new.rows if r not in old.rows]:
        yield Change("row", "added", f"{board} / {row}")
    old_panels = {p.key: p for p in old.panels}
    new_panels = {p.key: p for p in new.panels}
    common_old = [p.key for p in old.panels if p.key in new_panels]
    common_new = [p.key for p in new.panels if p.key in old_panels]
    for panel in old.panels:
        if panel.key not in new_panels:
            yield Change("panel", "removed", _panel_name(board, panel), notes=(_panel_summary(panel),))
    for panel in new.panels:
        before = old_panels.get(panel.key)
        if before is None:
            yield Change("panel", "added", _panel_name(board, panel), notes=(_panel_summary(panel),))
            continue
        moved = before.row != panel.row or common_old.index(panel.key) != common_new.index(panel.key)
        if moved:
            yield Change(
                "panel",
                "moved",
                _panel_name(board, panel),
                _fields(("row", before.row, panel.row), ("position", _place(before), _place(panel))),
            )
        fields = _panel_fields(before, panel)
        if fields:
            yield Change("panel", "changed", _panel_name(board, panel), fields)


def _panel_name(board: str, panel: PanelView) -> str:
    return " / ".join(part for part in (board, panel.row, panel.key) if part)


def _panel_summary(panel: PanelView) -> str:
    parts = [panel.type]
    if panel.unit:
        parts.append(f"unit {panel.unit}")
    parts.append(f"{len(panel.queries)} {'query' if len(panel.queries) == 1 else 'queries'}")
    return ", ".join(parts)


def _place(panel: PanelView) -> str:
    return f"x={panel.grid[0]} y={panel.grid[1]}"


def _panel_fields(old: PanelView, new: PanelView) -> tuple[Field, ...]:
    specs: list[tuple[str, str | None, str | None]] = [
        ("type", old.type, new.type),
        ("unit", old.unit, new.unit),
        ("thresholds", old.thresholds, new.thresholds),
        ("size", "{2}x{3}".format(*old.grid), "{2}x{3}".format(*new.grid)),
        ("description", old.description, new.description),
    ]
    old_queries = {q.ref: q for q in old.queries}
    new_queries = {q.ref: q for q in new.queries}
    for ref in _union(old_queries, new_queries):
        before, after = old_queries.get(ref), new_queries.get(ref)
        label = f"query {ref}" if ref else "query"
        specs.append((label, before.expr if before else None, after.expr if after else None))
        specs.append((f"legend {ref}".strip(), before.legend if before else None, after.legend if after else None))
    for path in _union(old.rest, new.rest):
        specs.append((path, old.rest.get(path), new.rest.get(path)))
    return _fields(*specs)


# --- rules -------------------------------------------------------------------------------------------------


def _rules(base: Snapshot, head: Snapshot) -> Iterator[Change]:
    old_rules = {(r.kind, r.key): r for r in base.rules}
    new_rules = {(r.kind, r.key): r for r in head.rules}
    removed = [r for k, r in old_rules.items() if k not in new_rules]
    added = [r for k, r in new_rules.items() if k not in old_rules]
    renames = _renames(removed, added)
    renamed_new = {id(new) for new in renames.values()}
    for rule in removed:
        new = renames.get(id(rule))
        if new is not None:
            yield Change(
                "record",
                "renamed",
                f"{rule.name} → {new.name}",
                _fields(("group", rule.group, new.group)),
                notes=tuple(_readers(rule.name, new.name, base, head)),
            )
        else:
            yield Change(rule.kind, "removed", _rule_name(rule), notes=(rule.expr,))
    for rule in added:
        if id(rule) not in renamed_new:
            yield Change(rule.kind, "added", _rule_name(rule), notes=(rule.expr,))
    for key, new in new_rules.items():
        old = old_rules.get(key)
        if old is not None:
            fields = _rule_fields(old, new)
            if fields:
                yield Change(new.kind, "changed", _rule_name(new), fields)


def _rule_name(rule: RuleView) -> str:
    return f"{rule.key} (group {rule.group})"


def _rule_fields(old: RuleView, new: RuleView) -> tuple[Field, ...]:
    specs: list[tuple[str, str | None, str | None]] = []
    old_t, new_t = trailing_comparison(old.expr), trailing_comparison(new.expr)
    if old_t and new_t and old_t[0] == new_t[0] and old.expr != new.expr:
        specs.append(("threshold", f"{old_t[1]} {old_t[2]}", f"{new_t[1]} {new_t[2]}"))
    else:
        specs.append(("expr", old.expr, new.expr))
    specs.append(("for", old.for_, new.for_))
    specs.append(("group", old.group, new.group))
    for name in _union(old.labels, new.labels):
        specs.append((f"label {name}", old.labels.get(name), new.labels.get(name)))
    for name in _union(old.annotations, new.annotations):
        specs.append((f"annotation {name}", old.annotations.get(name), new.annotations.get(name)))
    for name in _union(old.options, new.options):
        specs.append((name, old.options.get(name), new.options.get(name)))
    specs.append(("routed to", ", ".join(old.receivers) or None, ", ".join(new.receivers) or None))
    return _fields(*specs)


def _renames(removed: list[RuleView], added: list[RuleView]) -> dict[int, RuleView]:
    """Removed records whose expression and labels reappear under a new name."""
    renames: dict[int, RuleView] = {}
    taken: set[int] = set()
    for old in removed:
        if old.kind != "record":
            continue
        for new in added:
            if new.kind == "record" and id(new) not in taken and new.expr == old.expr and new.labels == old.labels:
                renames[id(old)] = new
                taken.add(id(new))
                break
    return renames


def _readers(old_name: str, new_name: str, base: Snapshot, head: Snapshot) -> Iterator[str]:
    """Every query of `base` that read `old_name`, and what the same query reads in `head`."""
    head_queries = dict(_queries(head))
    base_queries = dict(_queries(base))
    for where, query in base_queries.items():
        if old_name not in _names(query):
            continue
        after = head_queries.get(where)
        if after is None:
            state = "gone in head"
        elif old_name in _names(after):
            state = f"still reads {old_name}"
        elif new_name in _names(after):
            state = f"now reads {new_name}"
        else:
            state = "reads neither name now"
        yield f"read by {where}: {state}"
    for where, query in _queries(head):
        if old_name in _names(query) and where not in base_queries:
            yield f"read by {where} (new in head): still reads {old_name}"


def _queries(snapshot: Snapshot) -> Iterator[tuple[str, str]]:
    for board in snapshot.dashboards.values():
        for panel in board.panels:
            for query in panel.queries:
                yield f"panel {_panel_name(board.title, panel)} query {query.ref}".rstrip(), query.expr
    for rule in snapshot.rules:
        yield f"{rule.kind} {_rule_name(rule)}", rule.expr


@functools.lru_cache(maxsize=4096)
def _names(query: str) -> frozenset[str]:
    """The metric names a query reads; a query that does not parse is searched token by token."""
    parsed = parse(substitute(query, {}).text)
    if isinstance(parsed, Parsed):
        return frozenset(s.name for s in selectors(parsed) if s.name)
    return frozenset(re.findall(r"[A-Za-z_:][A-Za-z0-9_:]*", query))


# --- other files -------------------------------------------------------------------------------------------


def _files(old: Mapping[str, bytes], new: Mapping[str, bytes]) -> Iterator[Change]:
    for path in _union(old, new):
        before, after = old.get(path), new.get(path)
        if before == after:
            continue
        action = "added" if before is None else "removed" if after is None else "changed"
        yield Change("file", action, path)


# --- helpers -----------------------------------------------------------------------------------------------


def _union(first: Mapping[str, object], second: Mapping[str, object]) -> list[str]:
    return [*first, *(k for k in second if k not in first)]


def _fields(*specs: tuple[str, str | None, str | None]) -> tuple[Field, ...]:
    return tuple(Field(name, old or None, new or None) for name, old, new in specs if (old or None) != (new or None))
