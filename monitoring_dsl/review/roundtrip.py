"""Round trip of `import`: a dashboard or rule file, imported as specs and built again, compared with itself on
what the vocabulary carries (panels, rows, layout, queries, units, thresholds, variables; rules with their
labels and annotations). The differences are the change list of `diff`, so each one says what was lost."""

from __future__ import annotations

import tempfile
from pathlib import Path

import attrs

from monitoring_dsl.compiler import compile_specs
from monitoring_dsl.diagnostics import Severity
from monitoring_dsl.review.diff import Change, diff_snapshots
from monitoring_dsl.review.import_specs import MIGRATED_TYPES, import_paths
from monitoring_dsl.review.snapshot import DASHBOARDS, RULES, DashboardView, Snapshot, read_snapshot

# Checks whose findings are about the imported content, not the import: the round trip builds like
# `build` with only the spec errors (E) selected, as a team does on the first day before fixing what lint finds.
SELECT = ("E",)


@attrs.frozen
class RoundTrip:
    """`exact` when nothing differs; else the differences, or why the file could not be imported or built."""

    file: str
    kind: str  # "dashboard" or "rules"
    differences: tuple[Change, ...] = ()
    failure: str | None = None

    @property
    def exact(self) -> bool:
        return self.failure is None and not self.differences


def normalise(snapshot: Snapshot) -> Snapshot:
    """What the comparison leaves out (documented in docs/import.md): panel settings the vocabulary does not
    carry, the Prometheus datasource variable (monitoring-dsl adds its own), files other than dashboards and rules."""
    boards = {uid: _board(board) for uid, board in snapshot.dashboards.items()}
    return Snapshot(boards, snapshot.rules, {})


def _board(board: DashboardView) -> DashboardView:
    panels = tuple(
        attrs.evolve(
            p,
            rest={},
            type=MIGRATED_TYPES.get(p.type, p.type),
            unit=None if p.unit in ("none", "short") else p.unit,  # Grafana's default unit
            thresholds=None if p.thresholds == "green" else p.thresholds,  # Grafana's default base step
        )
        for p in board.panels
    )
    # the Prometheus datasource variable is monitoring-dsl's own, whatever the input named it
    variables = {k: v.split(" ", 1)[0] for k, v in board.variables.items() if v != "datasource prometheus"}
    return attrs.evolve(board, panels=panels, variables=variables, tags=tuple(sorted(board.tags)))


def _span_layout(original: Snapshot, built: Snapshot) -> Snapshot:
    """A panel of the old `rows` schema has a width (`span`) but no place: Grafana computes one on load, as
    the build does. Only the width of such panels is compared."""
    boards = dict(built.dashboards)
    for uid, board in original.dashboards.items():
        unplaced = {p.key for p in board.panels if p.grid[3] == 0}
        if uid in boards and unplaced:
            panels = tuple(
                attrs.evolve(p, grid=(0, 0, p.grid[2], 0)) if p.key in unplaced else p for p in boards[uid].panels
            )
            boards[uid] = attrs.evolve(boards[uid], panels=panels)
    return attrs.evolve(built, dashboards=boards)


def round_trip(file: Path) -> RoundTrip:
    data = file.read_bytes()
    kind = "dashboard" if (data.lstrip()[:1] == b"{" and b'"panels"' in data) or b'"rows"' in data else "rules"
    original = read_snapshot(
        {
            (DASHBOARDS if kind == "dashboard" else RULES)
            + file.name.rsplit(".", 1)[0]
            + (".json" if kind == "dashboard" else ".yml"): data
        }
    )
    imported = import_paths([file])
    errors = [d for d in imported.diagnostics if d.severity is Severity.ERROR]
    if errors:
        return RoundTrip(str(file), kind, failure=f"not imported: {errors[0].code} {errors[0].message}")
    with tempfile.TemporaryDirectory(prefix="monitoring-dsl-roundtrip-") as temporary:
        root = Path(temporary)
        (root / "specs").mkdir()
        for name, text in imported.files.items():
            (root / "specs" / name).write_text(text, encoding="utf-8")
        result = compile_specs([root / "specs"], root, select=SELECT)
    if result.artifacts is None:
        first = next((d for d in result.diagnostics if d.severity is Severity.ERROR), None)
        reason = f"{first.code} {first.message}" if first else "no output"
        return RoundTrip(str(file), kind, failure=f"not built: {reason}")
    before, after = normalise(original), normalise(read_snapshot(result.artifacts))
    changes = diff_snapshots(before, _span_layout(before, after))
    return RoundTrip(str(file), kind, tuple(changes))


def reasons(result: RoundTrip) -> list[str]:
    """Why `result` is not exact, in the words of docs/import.md."""
    if result.failure is not None:
        return [result.failure.split(":", 1)[0]]
    found: list[str] = []
    for change in result.differences:
        fields = {f.name for f in change.fields}
        reason = f"{change.kind} {change.action}: {', '.join(sorted(fields))}"
        if reason not in found:
            found.append(reason)
    return found
