# (STYLE.md: `assert expected == actual`, expected first.)
"""Checks and emit split over forked processes give what one process gives: the same findings, in the same
order, and the same output bytes. A child that fails costs time, never a finding."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from monitoring_dsl import compiler, forked
from monitoring_dsl.compiler import compile_specs, lint, shares
from monitoring_dsl.diagnostics import Diagnostic
from monitoring_dsl.model.settings import Settings
from monitoring_dsl.sources import Sources
from tests.conftest import run_cli, write_specs

GOLDEN = Path(__file__).parent / "golden"
CASES = sorted(p.name for p in GOLDEN.iterdir() if (p / "specs").is_dir())

# Findings of several kinds: an error, warnings, infos, an allow= that suppresses one and one that suppresses
# nothing (E010, which needs every share's suppressions), and an SLO whose generated records share a line.
MIXED = {
    "api.py": """\
from monitoring_dsl import SLO, Alert, Counter, Dashboard, TimeSeries

requests = Counter("http_requests_total", "Requests", labels=["code", "user_id"],
                   allow={"M108": "bounded by the test accounts", "Q206": "nothing to suppress"})
busy = Alert("Busy", "sum(rate(http_requests_total[1m])) > 10", for_="5m", severity="warning", summary="API busy")
broken = Alert("Broken", "sum(rate(http_requestz_total[5m])) > 1", for_="5m", severity="page", summary="x")
d = Dashboard("API", panels=[TimeSeries("By user", "sum by (user_id) (rate(http_requests_total[5m]))")])
errors = SLO("api", "errors", objective=99.9, runbook_url="https://runbooks.example.com/api",
             indicator=SLO.ratio(errors='http_requests_total{code=~"5.."}', total="http_requests_total"))
""",
}


def _record(diagnostics: list[Diagnostic]) -> list[tuple[object, ...]]:
    return [(d.code, d.severity, d.message, d.location, d.span, d.help, d.related) for d in diagnostics]


def _compiled(root: Path, jobs: int) -> tuple[list[tuple[object, ...]], dict[str, bytes] | None]:
    result = compile_specs([root / "specs"], root, Sources(), jobs=jobs)
    return _record(result.diagnostics), result.artifacts


@pytest.mark.parametrize("case", CASES)
def test_golden_specs_compile_alike_in_one_two_and_three_processes(case: str) -> None:
    root = GOLDEN / case
    alone = _compiled(root, 1)
    assert alone[1] is not None, alone[0]
    assert alone == _compiled(root, 2)
    assert alone == _compiled(root, 3)


def test_findings_of_every_kind_arrive_alike_and_in_order(tmp_path: Path) -> None:
    root = write_specs(tmp_path, MIXED)
    alone = compile_specs([root / "specs"], root, Sources(), jobs=1)
    codes = {d.code for d in alone.diagnostics}
    assert {"Q210", "E010", "Q206"} <= codes, codes  # the case shows what it claims to
    assert any(d.related for d in alone.diagnostics) and any(d.span for d in alone.diagnostics)
    for jobs in (2, 3, 5):
        split = compile_specs([root / "specs"], root, Sources(), jobs=jobs)
        assert _record(alone.diagnostics) == _record(split.diagnostics)
        assert split.artifacts is None  # an error: nothing to write, though a child emitted


def test_lint_of_plain_files_alike_in_one_and_two_processes(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yml"
    rules.write_text(
        "groups:\n- name: g\n  rules:\n"
        "  - alert: A\n    expr: rate(x_total[1m]) > 0\n"
        "  - alert: B\n    expr: up == 0\n    for: 5m\n    labels: {severity: page}\n"
        "  - record: job:x:rate5m\n    expr: sum by (job) (rate(x_total[5m]))\n"
    )
    found = [lint([rules], tmp_path, Sources(), Settings(), jobs=jobs).diagnostics for jobs in (1, 2)]
    assert found[0], "the file has findings to compare"
    assert _record(found[0]) == _record(found[1])


def test_the_shares_cover_every_code_once_and_the_emitting_share_takes_fewer_checks() -> None:
    codes = [f"Q{n}" for n in range(200, 230)] + ["A326", "Q208", "D511"]
    dealt = shares(codes, 2, emit=True)
    assert sorted(codes) == sorted(c for share in dealt for c in share)
    assert all(share == sorted(share) for share in dealt)
    assert len(dealt[1]) < len(dealt[0])
    assert [sorted(codes)] == shares(codes, 1, emit=True)


def test_the_checks_that_place_a_finding_on_every_rule_share_a_process() -> None:
    """A326 and R411 each need every spec's syntax tree: one process reads them, whatever else is dealt."""
    codes = [f"Q{n}" for n in range(200, 230)] + ["A326", "Q208", "D511", "R411", "R410"]
    for count in (2, 3):
        for emit in (False, True):
            dealt = shares(codes, count, emit=emit)
            assert sorted(codes) == sorted(c for share in dealt for c in share)
            assert any({"A326", "R411"} <= set(share) for share in dealt), dealt
    assert [["Q201", "Q202"], []] == shares(["Q201", "Q202"], 2, emit=True)  # a group none of whose codes run


def test_kept_findings_stay_in_this_process_and_a_check_costs_what_it_checks_in_this_run() -> None:
    """After an edit (Kept.workload): A326 and R411 check one module of fifty and take back 20,000 findings,
    which a child would send through a pipe; the checks that are not local are all that is left to deal."""
    codes = ["A326", "R411", "A307", "Q206", "Q202", "M109", "A311", "A301"]
    local = {"A326": (0.02, 16000), "R411": (0.02, 4000), "A307": (0.02, 0), "Q206": (0.0, 0)}
    parent, child = shares(codes, 2, emit=False, local=local)
    assert {"A326", "R411"} <= set(parent)
    # counted at what they check now (a fiftieth of their fresh cost), A326 and R411 leave the parent room for
    # some of the checks that are not local; at their fresh cost the child would get them all
    assert {"Q202", "M109", "A311", "A301"} & set(parent)
    assert {"Q202", "M109", "A311", "A301"} & set(child)
    # Without what is kept, A326 (0.95 s) and A307 (0.39 s) go to different shares, as in a fresh run.
    fresh = shares(codes, 2, emit=False)
    assert not any({"A326", "A307"} <= set(share) for share in fresh)


def test_a_failed_child_costs_time_not_findings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The child dies before it reports (as if killed): this process runs its share and emits itself."""
    root = GOLDEN / "readme"
    expected = _compiled(root, 1)
    parent = os.getpid()
    real = compiler.run_part

    def dying(*args: object, **kwargs: object) -> object:
        if os.getpid() != parent:
            os._exit(3)
        return real(*args, **kwargs)

    monkeypatch.setattr(compiler, "run_part", dying)
    assert expected == _compiled(root, 2)


def test_no_fork_available_runs_everything_here(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(work: object) -> object:
        raise OSError("fork: Resource temporarily unavailable")

    monkeypatch.setattr(forked, "start", refuse)
    root = GOLDEN / "readme"
    assert _compiled(root, 1) == _compiled(root, 2)


def test_forked_child_returns_its_value_and_reports_failure() -> None:
    assert {"answer": [42]} == forked.start(lambda: {"answer": [42]}).result()
    with pytest.raises(forked.ChildFailed):
        forked.start(lambda: 1 / 0).result()
    with pytest.raises(forked.ChildFailed):
        forked.start(lambda: lambda: None).result()  # a value that cannot be pickled
    large = forked.start(lambda: b"x" * (8 << 20)).result()  # larger than a pipe's buffer
    assert 8 << 20 == len(large)


def test_a_stopped_child_is_killed_and_reaped() -> None:
    child = forked.start(lambda: time.sleep(60))
    pid = child._pid
    child.stop()
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def test_build_output_and_messages_are_the_same_for_any_jobs(tmp_path: Path) -> None:
    root = write_specs(tmp_path, {"api.py": MIXED["api.py"].replace("http_requestz_total", "http_requests_total")})
    runs = [run_cli("build", "--no-cache", "-j", str(jobs), "--out", f"out{jobs}", cwd=root) for jobs in (1, 2)]
    assert 0 == runs[0].code, runs[0].stderr
    assert (runs[0].code, runs[0].stderr) == (runs[1].code, runs[1].stderr)
    assert runs[0].stdout.replace("out1", "out2") == runs[1].stdout
    trees = [
        {
            p.relative_to(root / f"out{j}").as_posix(): p.read_bytes()
            for p in (root / f"out{j}").rglob("*")
            if p.is_file()
        }
        for j in (1, 2)
    ]
    assert trees[0] == trees[1]


def test_an_interrupted_wait_kills_the_child_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """A signal that stops the parent while it waits must not leave it waiting for the child to finish."""
    child = forked.start(lambda: time.sleep(60))
    pid = child._pid

    def interrupted(fd: int, size: int) -> bytes:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "read", interrupted)
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        child.result()
    assert time.monotonic() - started < 30  # killed, not waited for (the child sleeps 60 s)
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def test_by_default_large_projects_fork_only_from_a_single_threaded_process(monkeypatch: pytest.MonkeyPatch) -> None:
    class Context:
        queries = [object()] * compiler.PARALLEL_MIN_QUERIES

    ctx = Context()
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    monkeypatch.setattr(threading, "active_count", lambda: 1)
    assert 2 == compiler.jobs_for(ctx, None)
    monkeypatch.setattr(threading, "active_count", lambda: 2)  # a program embedding the compiler
    assert 1 == compiler.jobs_for(ctx, None)
    assert 2 == compiler.jobs_for(ctx, 2)  # asked for: the caller's decision
    monkeypatch.setattr(threading, "active_count", lambda: 1)
    ctx.queries = ctx.queries[:-1]
    assert 1 == compiler.jobs_for(ctx, None)
    monkeypatch.setattr(os, "cpu_count", lambda: 1)
    ctx.queries = [object()] * compiler.PARALLEL_MIN_QUERIES
    assert 1 == compiler.jobs_for(ctx, None)
