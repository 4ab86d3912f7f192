# (STYLE.md: `assert expected == actual`, expected first.)
"""The local checks' findings kept per spec module between runs (checks/kept.py, checkcache.py): every check
registered local finds about each module alone what it finds about it in the whole project; a run that takes
findings back gives the findings and output of one that does not; an edit to one module checks that module
again and no other; a change to the catalog checks them all; a damaged file or a failing check keeps
nothing wrong."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest

from monitoring_dsl import checkcache
from monitoring_dsl.checks import REGISTRY, plan, run_part
from monitoring_dsl.checks.context import CheckContext
from monitoring_dsl.checks.isolation import set_aside_unanalysable
from monitoring_dsl.compiler import compile_specs
from monitoring_dsl.diagnostics import Diagnostic, to_plain
from monitoring_dsl.emit.slo import expand_slos
from monitoring_dsl.load.specs import load
from monitoring_dsl.promql import remembered
from monitoring_dsl.sources import Sources
from tests.conftest import damage_and_rerun, write_specs
from tests.test_parallel import MIXED
from tests.test_querycache import CASES, GOLDEN, _record, fresh  # noqa: F401 - fresh: each test as a new process

# Three modules that read each other's declarations: a record and metrics declared in one, alerts and a
# dashboard in the others, an alert about another module's alert, findings of local checks in each, an allow=
# that suppresses a finding and one that suppresses nothing (E010).
CROSS = {
    "catalog.py": """\
from monitoring_dsl import Counter, Gauge, Record

requests = Counter("http_requests_total", "Requests", labels=["code"])
depth = Gauge("queue_depth", "Depth", labels=["queue"])
rate = Record("job:http_requests:rate5m", "sum by (code) (rate(http_requests_total[5m]))")
""",
    "api.py": """\
from monitoring_dsl import Alert, Dashboard, TimeSeries

busy = Alert("Busy", "sum(rate(http_requests_total[1m])) > 10", for_="5m", severity="warning",
             summary="API busy")
quiet = Alert("Quiet", "sum(rate(http_requests_total[1m])) < 1", for_="5m", severity="warning",
              summary="API quiet", allow={"Q206": "the test scrapes every 10s"})
clean = Alert("Clean", "sum(job:http_requests:rate5m) > 10", for_="5m", severity="warning",
              summary="many requests", allow={"A303": "suppresses nothing"})
d = Dashboard("API", panels=[TimeSeries("By code", "sum by (code) (job:http_requests:rate5m)")])
""",
    "worker.py": """\
from monitoring_dsl import Alert

stuck = Alert("Stuck", 'max(queue_depth{team="jobs"}) > 100', for_="10m", severity="warning",
              summary="queue stuck")
long = Alert("BusyLong", 'count(ALERTS{alertname="Busy", alertstate="firing"}) > 0', for_="1h",
             severity="warning", summary="busy for an hour")
""",
}

# What checks that are not local read across modules: a series rated in one module and used raw in another
# (Q202), an alert in two modules' groups and a dashboard uid declared twice (A311, D501), a link to another
# module's dashboard (D503). Marking any of them local fails the test below. A326 is local: it reads the
# catalog's rule tests (one here covers another module's alert) and an alert's own boundary tests (which
# do not cover a.py's alert of the same name).
ACROSS = {
    "a.py": """\
from monitoring_dsl import Alert, Dashboard, Link, TimeSeries

twice = Alert("Twice", "sum(jobs_done_total) > 1", for_="5m", severity="warning", summary="jobs")
raw = Alert("Raw", "max(jobs_done_total) > 1", for_="5m", severity="warning", summary="raw")
edge = Alert("Edge", "up < 1", for_="5m", severity="warning", summary="edge")
a = Dashboard("A", uid="same", links=[Link("B", dashboard="bdash")], panels=[TimeSeries("Jobs", "sum(up)")])
""",
    "b.py": """\
from monitoring_dsl import Alert, Dashboard, Fires, RuleTest, TimeSeries

twice = Alert("Twice", "sum(rate(jobs_done_total[5m])) > 2", for_="5m", severity="warning", summary="jobs")
b = Dashboard("B", uid="same", panels=[TimeSeries("Up", "sum(up)")])
b2 = Dashboard("B2", uid="bdash", panels=[TimeSeries("Up", "max(up)")])
edge = Alert("Edge", "up < 1", for_="5m", severity="warning", summary="edge", boundary_tests=True)
RuleTest("raw fires", series={"jobs_done_total": "5x10"}, at="5m", alerts=[Fires("Raw")])
""",
}

# A rule declared in one module and grouped in another: a check about the rule reads its group's interval
# (A303), and an allow= on the group suppresses findings about it (A304).
GROUPED_ELSEWHERE = {
    "lib.py": """\
from monitoring_dsl import Alert, Gauge

depth = Gauge("queue_depth", "Depth", labels=["queue"])
busy = Alert("Busy", "max(queue_depth) > 10", for_="30s", summary="queue busy")
""",
    "apigroups.py": """\
from monitoring_dsl import RuleGroup
from lib import busy

api = RuleGroup("api", [busy], interval="15s", allow={"A304": "paged by the team's default route"})
""",
}


def _compiled(root: Path, jobs: int, cache: Path | None, infos: bool = True) -> tuple[object, ...]:
    remembered.forget()  # as a new process
    result = compile_specs([root / "specs"], root, Sources(), jobs=jobs, cache_dir=cache, infos=infos)
    return _record(result.diagnostics), result.artifacts


def _root(tmp_path: Path, case: str) -> Path:
    if case in CASES:
        return GOLDEN / case
    projects = {"mixed": MIXED, "cross": CROSS, "across": ACROSS, "grouped": GROUPED_ELSEWHERE}
    return write_specs(tmp_path, projects[case])


def _context(root: Path) -> tuple[CheckContext, set[int]]:
    """The check context compile_specs builds, and the ids of generated objects."""
    loaded = load([root / "specs"], root, None)
    assert not loaded.diagnostics
    project = expand_slos(loaded.project)
    generated = {id(d.obj) for d in project.declared[len(loaded.project.declared) :]}
    ctx = CheckContext(project, Sources())
    list(set_aside_unanalysable(ctx))
    return ctx, generated


@pytest.mark.parametrize("case", [*CASES, "mixed", "cross", "across", "grouped"])
def test_every_local_check_finds_about_each_module_alone_what_it_finds_in_the_whole(tmp_path: Path, case: str) -> None:
    """The promise `local=True` makes (checks/registry.py), which keeping findings per module relies on."""
    ctx, generated = _context(_root(tmp_path, case))
    local = [code for code in plan(ctx) if REGISTRY[code].local]
    assert len(local) > 50
    modules = [module.name for module in ctx.project.modules]
    for code in local:
        whole = run_part(ctx, [code], generated)
        kept: list[tuple[object, ...]] = []
        used: set[tuple[int, str]] = set()
        for module in modules:
            part = run_part(ctx.restricted({module}), [code], generated)
            kept.extend(to_plain(d) for d in part.kept)
            used |= part.used
        assert sorted(to_plain(d) for d in whole.kept) == sorted(kept), code
        assert whole.used == used, code
        assert all(d.subject is not None for d in whole.kept), code


def test_boundary_tests_cover_their_own_alert_not_another_of_its_name(tmp_path: Path) -> None:
    """A326 is local: b.py's boundary tests of Edge test b.py's rule, and a.py's Edge stays untested."""
    findings, _ = _compiled(write_specs(tmp_path, ACROSS), 1, None)
    untested = {
        str(f[3].path).rsplit("/", 1)[-1]  # type: ignore[union-attr]
        for f in findings
        if f[0] == "A326" and "'Edge'" in str(f[2])
    }
    assert {"a.py"} == untested


def test_the_cross_module_project_has_findings_of_local_checks_in_every_module(tmp_path: Path) -> None:
    """What the tests below keep is not nothing: each module has a finding a local check made."""
    root = write_specs(tmp_path, CROSS)
    findings, _ = _compiled(root, 1, None)
    places = {(str(f[3].path).rsplit("/", 1)[-1], f[0]) for f in findings if f[3] is not None}  # type: ignore[index]
    assert {("api.py", "Q206"), ("api.py", "E010"), ("worker.py", "Q212")} <= places


def _checked_modules(monkeypatch: pytest.MonkeyPatch) -> list[frozenset[str]]:
    """Record the modules each restricted run of local checks covers."""
    calls: list[frozenset[str]] = []
    restricted = CheckContext.restricted

    def recording(self: CheckContext, modules: frozenset[str]) -> CheckContext:
        calls.append(frozenset(modules))
        return restricted(self, modules)

    monkeypatch.setattr(CheckContext, "restricted", recording)
    return calls


def _edit(root: Path, name: str, old: str, new: str) -> None:
    path = root / "specs" / name
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


@pytest.mark.parametrize("jobs", [1, 2])
def test_kept_findings_give_the_findings_and_output_of_a_plain_run_through_edits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, jobs: int
) -> None:
    root = write_specs(tmp_path, CROSS)
    cache = tmp_path / "cache"
    checked = _checked_modules(monkeypatch)

    def same_as_plain() -> None:
        assert _compiled(root, 1, None) == _compiled(root, jobs, cache)
        assert _compiled(root, 1, None, infos=False) == _compiled(root, jobs, cache, infos=False)

    same_as_plain()  # cold, then a build's plan after a lint's
    assert (cache / checkcache.FILENAME).is_file()
    checked.clear()
    same_as_plain()  # warm: no module is checked again
    assert [] == checked

    _edit(root, "api.py", "rate(http_requests_total[1m])) > 10", "rate(http_requests_total[2m])) > 10")
    checked.clear()
    same_as_plain()
    assert {frozenset({"api"})} == set(checked)

    # Spaces move where worker.py's finding points, and none of its objects: its findings point into the file.
    _edit(root, "worker.py", '"Stuck", ', '"Stuck",    ')
    checked.clear()
    same_as_plain()
    assert {frozenset({"worker"})} == set(checked)

    # A label declared in the catalog: the finding about worker.py goes, and every module is checked again.
    _edit(root, "catalog.py", 'labels=["queue"]', 'labels=["queue", "team"]')
    checked.clear()
    same_as_plain()
    assert [] == checked  # every module stale: the whole context, not a restricted one


def test_a_damaged_or_foreign_findings_file_is_ignored_and_rewritten(tmp_path: Path) -> None:
    root = write_specs(tmp_path, CROSS)
    cache = tmp_path / "cache"
    plain = _compiled(root, 1, None)
    assert plain == _compiled(root, 1, cache)

    def run() -> None:
        assert plain == _compiled(root, 1, cache)

    damage_and_rerun(cache / checkcache.FILENAME, checkcache.MAGIC, checkcache.fingerprint(), run)


def test_a_check_that_fails_keeps_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A local check that raises reports E045 and keeps nothing: the next run checks every module with it."""
    root = write_specs(tmp_path, CROSS)
    cache = tmp_path / "cache"
    info = REGISTRY["Q206"]

    def failing(ctx: CheckContext) -> Iterator[Diagnostic]:
        raise ValueError("a bug")
        yield  # pragma: no cover - a generator

    with monkeypatch.context() as patched:
        patched.setitem(REGISTRY, "Q206", attrs.evolve(info, function=failing))
        findings, _ = _compiled(root, 1, cache)
    assert "E045" in {f[0] for f in findings}
    assert _compiled(root, 1, None) == _compiled(root, 1, cache)


def test_no_cache_keeps_no_findings(tmp_path: Path) -> None:
    root = write_specs(tmp_path, CROSS)
    _compiled(root, 1, None)
    assert not list(tmp_path.rglob(checkcache.FILENAME))


@pytest.mark.parametrize(
    ("old", "new"),
    [('interval="15s"', 'interval="2m"'), (', allow={"A304": "paged by the team\'s default route"}', "")],
)
def test_an_edit_to_the_group_of_another_modules_rule_checks_that_rule_again(
    tmp_path: Path, old: str, new: str
) -> None:
    """A longer group interval makes lib.py's `for_` too short (A303); an allow= taken off the group lets
    lib.py's missing severity be reported (A304). Only apigroups.py changed."""
    root = write_specs(tmp_path, GROUPED_ELSEWHERE)
    cache = tmp_path / "cache"
    before = _compiled(root, 1, cache)
    _edit(root, "apigroups.py", old, new)
    plain = _compiled(root, 1, None)
    assert before != plain
    assert plain == _compiled(root, 1, cache)
