"""`build` skips the checks whose findings are infos (it shows none): what it shows and writes is the same as
with every check run, including E010 for an `allow=` of an info code that suppresses nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitoring_dsl.compiler import compile_specs
from monitoring_dsl.diagnostics import Severity
from monitoring_dsl.model.settings import Settings
from monitoring_dsl.sources import Sources
from tests.conftest import REPO

ALLOWS = """\
from monitoring_dsl import Alert, Counter, Gauge

used = Counter("http_requests_total", "Requests", allow={"M109": "kept for the next dashboard"})
unused = Gauge("queue_depth", "Queued", allow={"M109": "read by another team's dashboards"})
never = Gauge("idle_workers", "Idle")
busy = Alert(
    "Busy",
    "sum(rate(http_requests_total[1m])) > 10",
    for_="5m",
    severity="warning",
    summary="busy",
    allow={"A326": "tested elsewhere", "A312": "no runbook yet"},
)
"""

CASES = sorted(p.parent.name for p in (REPO / "tests" / "golden").glob("*/specs"))


def _shown(specs: Path, root: Path, infos: bool) -> tuple[list[tuple[object, ...]], dict[str, bytes] | None]:
    result = compile_specs([specs], root, Sources(), settings=Settings(), infos=infos)
    shown = [
        (d.code, d.message, d.location, d.span, d.help)
        for d in result.diagnostics
        if d.severity.rank >= Severity.WARNING.rank
    ]
    return shown, result.artifacts


@pytest.mark.parametrize("case", [*CASES, "allows", "repository"])
def test_build_without_infos_shows_and_writes_the_same(case: str, tmp_path: Path) -> None:
    if case == "allows":
        specs = tmp_path / "specs"
        specs.mkdir()
        (specs / "api.py").write_text(ALLOWS)
        root = tmp_path
    elif case == "repository":
        specs, root = REPO / "specs", REPO
    else:
        specs, root = REPO / "tests" / "golden" / case / "specs", REPO / "tests" / "golden" / case
    everything = _shown(specs, root, infos=True)
    assert everything == _shown(specs, root, infos=False)
    if case == "allows":  # the allow on a used metric suppresses nothing: E010, which needs M109 to run
        assert [d[0] for d in everything[0]].count("E010") == 1


def test_build_without_infos_leaves_them_out(tmp_path: Path) -> None:
    """With no allow= naming M109, the check does not run: the unused metric's info is not computed."""
    (tmp_path / "specs").mkdir()
    spec = ALLOWS.replace(', allow={"M109": "kept for the next dashboard"}', "")
    (tmp_path / "specs" / "api.py").write_text(
        spec.replace(', allow={"M109": "read by another team\'s dashboards"}', "")
    )
    with_infos = compile_specs([tmp_path / "specs"], tmp_path, Sources(), settings=Settings())
    without = compile_specs([tmp_path / "specs"], tmp_path, Sources(), settings=Settings(), infos=False)
    assert "M109" in {d.code for d in with_infos.diagnostics}
    assert "M109" not in {d.code for d in without.diagnostics}
