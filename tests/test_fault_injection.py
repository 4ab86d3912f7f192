"""Fault injection: real builds killed at random moments, and concurrent builds of one directory.

The invariant, after every interruption: `build/` exists, every file in it is byte for byte either its old or its
new version (never partial, never foreign), and the next build succeeds and leaves exactly the new tree. The
kills are seeded, bounded in number, and aimed at the whole run of a build (start-up, load, emit and write).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from monitoring_dsl.writer import LOCK, MANIFEST, TEMP_SUFFIX
from tests.conftest import run_cli, write_specs

SEED = int(os.environ.get("FAULT_SEED", "8"))
KILLS = 9
DASHBOARDS = 80

SPEC = """
from monitoring_dsl import Alert, Counter, Dashboard, RuleGroup, TimeSeries

VERSION = {version}
requests = Counter("http_requests_total", "Requests", labels=["code"])
for i in range({first}, {first} + {count}):
    Dashboard(
        f"Dashboard {{i}} v{{VERSION}}",
        uid=f"d{{i}}",
        panels=[TimeSeries(f"Panel {{p}} v{{VERSION}}", "sum(rate(http_requests_total[5m]))", unit="reqps")
                for p in range(8)],
    )
group = RuleGroup("api", [
    Alert(f"Errors{{i}}", 'sum(rate(http_requests_total{{code="500"}}[5m])) > {version}', for_="5m",
          severity="warning", summary=f"errors v{{VERSION}}")
    for i in range(20)
])
"""


def _spec(version: int) -> str:
    # version 2 drops the first ten dashboards and adds ten: changed, stale and new files in one build
    return SPEC.format(version=version, first=0 if version == 1 else 10, count=DASHBOARDS)


def _tree(out: Path) -> dict[str, bytes]:
    """Every regular file under `out`, lock and temporary files aside."""
    return {
        p.relative_to(out).as_posix(): p.read_bytes()
        for p in sorted(out.rglob("*"))
        if p.is_file() and p.name != LOCK and not p.name.endswith(TEMP_SUFFIX)
    }


def _leftovers(out: Path) -> list[Path]:
    return [p for p in out.rglob("*") if p.name.endswith(TEMP_SUFFIX)]


def _popen_build(cwd: Path) -> subprocess.Popen[bytes]:
    executable = Path(sys.executable).parent / "monitoring-dsl"
    return subprocess.Popen(
        [str(executable), "build"],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )


@pytest.fixture(scope="module")
def trees(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, bytes], dict[str, bytes], float]:
    """The complete trees of version 1 and version 2, and how long one build takes here."""
    found = []
    duration = 0.0
    for version in (1, 2):
        root = write_specs(tmp_path_factory.mktemp(f"v{version}"), {"api.py": _spec(version)})
        started = time.monotonic()
        run = run_cli("build", cwd=root)
        duration = max(duration, time.monotonic() - started)
        assert run.code == 0, run.stderr
        found.append(_tree(root / "build"))
    old, new = found
    assert set(old) != set(new) and any(old[p] != new[p] for p in set(old) & set(new))
    return old, new, duration


def _assert_each_file_old_or_new(out: Path, old: dict[str, bytes], new: dict[str, bytes], what: str) -> None:
    assert out.is_dir(), f"{what}: build/ is missing"
    for path, data in _tree(out).items():
        if path == MANIFEST:
            continue  # the manifest may list the build's intent (old and new files) until the build completes
        assert data in (old.get(path), new.get(path)), f"{what}: {path} is neither its old nor its new version"


def test_random_signals_during_builds_never_lose_or_corrupt_build(
    tmp_path: Path, trees: tuple[dict[str, bytes], dict[str, bytes], float]
) -> None:
    old, new, duration = trees
    rng = random.Random(SEED)
    root = write_specs(tmp_path, {"api.py": _spec(1)})
    assert run_cli("build", cwd=root).code == 0
    out = root / "build"
    inode = out.stat().st_ino
    write_specs(root, {"api.py": _spec(2)})
    signals = [signal.SIGKILL, signal.SIGTERM, signal.SIGINT]
    exits = {signal.SIGKILL: -signal.SIGKILL, signal.SIGTERM: 143, signal.SIGINT: 130}  # the CLI maps signals
    interrupted = 0
    for attempt in range(KILLS):
        chosen = signals[attempt % 3]
        delay = rng.uniform(0.25 * duration, 0.9 * duration)
        process = _popen_build(root)
        time.sleep(delay)
        process.send_signal(chosen)
        _stdout, stderr = process.communicate(timeout=60)
        what = f"attempt {attempt}, {chosen.name} after {delay:.2f}s (seed {SEED})"
        assert process.returncode in (0, exits[chosen]), f"{what}: exit {process.returncode}\n{stderr.decode()}"
        assert b"Traceback" not in stderr, f"{what}: {stderr.decode()}"
        interrupted += process.returncode != 0
        _assert_each_file_old_or_new(out, old, new, what)
        if chosen is not signal.SIGKILL:
            assert not _leftovers(out), f"{what}: a temporary file survived a clean interruption"
        if attempt % 3 == 2:  # repair now and then, and go back to the old tree for the next kills
            repaired = run_cli("build", cwd=root)
            assert repaired.code == 0, f"{what}: the next build failed\n{repaired.stderr}"
            assert _tree(out) == {**new}, f"{what}: the next build did not produce the new tree"
            assert not _leftovers(out)
            write_specs(root, {"api.py": _spec(1)})
            assert run_cli("build", cwd=root).code == 0
            assert _tree(out) == old
            write_specs(root, {"api.py": _spec(2)})
    repaired = run_cli("build", cwd=root)
    assert repaired.code == 0, repaired.stderr
    assert _tree(out) == new
    assert out.stat().st_ino == inode, "build/ was replaced rather than updated"
    assert interrupted >= KILLS // 3, f"only {interrupted} of {KILLS} signals interrupted a build"


def _wait_for_writing(process: subprocess.Popen[bytes], watched: Path, deadline: float) -> bool:
    """Poll until the writer changes `watched` (a temporary file appears or a file is renamed into it)."""
    before = watched.stat().st_mtime_ns
    while time.monotonic() < deadline and process.poll() is None:
        if watched.stat().st_mtime_ns != before:
            return True
        time.sleep(0.0005)
    return False


def test_signals_aimed_at_the_write_phase_leave_every_file_old_or_new(
    tmp_path: Path, trees: tuple[dict[str, bytes], dict[str, bytes], float]
) -> None:
    """The writer's own window is short; these kills wait for it to start, then strike within milliseconds."""
    old, new, _duration = trees
    rng = random.Random(SEED + 1)
    root = write_specs(tmp_path, {"api.py": _spec(1)})
    assert run_cli("build", cwd=root).code == 0
    out = root / "build"
    watched = out / "grafana/dashboards"
    signals = [signal.SIGKILL, signal.SIGTERM, signal.SIGINT]
    struck = mixed = 0
    for attempt in range(6):
        version = 2 if attempt % 2 == 0 else 1
        write_specs(root, {"api.py": _spec(version)})
        chosen = signals[attempt % 3]
        process = _popen_build(root)
        writing = _wait_for_writing(process, watched, time.monotonic() + 30)
        time.sleep(rng.uniform(0, 0.01))
        process.send_signal(chosen)
        _stdout, stderr = process.communicate(timeout=60)
        what = f"attempt {attempt}, {chosen.name} in the write phase (seed {SEED})"
        assert writing or process.returncode == 0, f"{what}: never saw the writer start\n{stderr.decode()}"
        assert b"Traceback" not in stderr, f"{what}: {stderr.decode()}"
        struck += process.returncode != 0
        _assert_each_file_old_or_new(out, old, new, what)
        tree = {path: data for path, data in _tree(out).items() if path != MANIFEST}
        mixed += tree not in (
            {p: d for p, d in old.items() if p != MANIFEST},
            {p: d for p, d in new.items() if p != MANIFEST},
        )
    assert mixed >= 1, f"no signal landed inside the write phase ({struck} of 6 interrupted a build)"
    assert struck >= 3, f"only {struck} of 6 signals arrived before the build finished"
    repaired = run_cli("build", cwd=root)
    assert repaired.code == 0, repaired.stderr
    assert _tree(out) == old  # the last attempt aimed at version 1
    assert not _leftovers(out)


def test_concurrent_builds_of_one_directory_all_succeed(
    tmp_path: Path, trees: tuple[dict[str, bytes], dict[str, bytes], float]
) -> None:
    old, new, _duration = trees
    v1 = write_specs(tmp_path / "v1", {"api.py": _spec(1)})
    v2 = write_specs(tmp_path / "v2", {"api.py": _spec(2)})
    out = tmp_path / "shared-build"
    executable = Path(sys.executable).parent / "monitoring-dsl"
    processes = [
        subprocess.Popen(
            [str(executable), "build", "--out", str(out)],
            cwd=root,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
        )
        for root in (v1, v2, v1, v2)
    ]
    for process in processes:
        _stdout, stderr = process.communicate(timeout=60)
        assert process.returncode == 0, stderr.decode()
    assert _tree(out) in (old, new), "concurrent builds mixed two trees"
    assert not _leftovers(out)
