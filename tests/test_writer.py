"""The writer updates the output directory in place: identity kept, interruptions repaired, foreign entries refused."""

from __future__ import annotations

import fcntl
import os
import socket
import stat
import subprocess
import threading
import time
from pathlib import Path

import pytest

from monitoring_dsl.load.bytecode import CACHE_DIR
from monitoring_dsl.writer import LOCK, MANIFEST, TEMP_SUFFIX, WriteError, manifest_bytes, stale_files, write_tree
from tests.conftest import run_cli, write_specs

OLD = {"grafana/dashboards/a.json": b'{"a": 1}\n', "prometheus/rules/x.yml": b"groups: []\n", "gone/only.txt": b"x"}
NEW = {"grafana/dashboards/a.json": b'{"a": 2}\n', "prometheus/rules/x.yml": b"groups: []\n", "new/b.json": b"{}"}


def _files(out: Path) -> dict[str, bytes]:
    """Every regular file under `out` except the lock file, by relative path."""
    return {
        p.relative_to(out).as_posix(): p.read_bytes()
        for p in sorted(out.rglob("*"))
        if p.is_file() and not p.is_symlink() and p.name != LOCK
    }


def _expected(artifacts: dict[str, bytes]) -> dict[str, bytes]:
    return {**artifacts, MANIFEST: manifest_bytes(artifacts)}


def test_rebuild_updates_the_directory_in_place(tmp_path: Path) -> None:
    out = tmp_path / "build"
    out.mkdir()
    os.chmod(out, 0o2770)
    write_tree(out, OLD)
    before = out.stat()
    unchanged = (out / "prometheus/rules/x.yml").stat().st_ino
    assert write_tree(out, NEW) is True
    after = out.stat()
    assert (after.st_ino, after.st_dev, stat.S_IMODE(after.st_mode)) == (before.st_ino, before.st_dev, 0o2770)
    assert _files(out) == _expected(NEW)
    assert not (out / "gone").exists(), "a directory emptied of stale files is removed"
    assert (out / "prometheus/rules/x.yml").stat().st_ino == unchanged, "an unchanged file is not rewritten"
    assert write_tree(out, NEW) is False


def test_output_symlink_is_kept(tmp_path: Path) -> None:
    target = tmp_path / "real"
    target.mkdir()
    link = tmp_path / "link"
    link.symlink_to(target)
    write_tree(link, OLD)
    write_tree(link, NEW)
    assert link.is_symlink()
    assert _files(target) == _expected(NEW)


def test_file_mode_of_an_existing_output_file_is_kept(tmp_path: Path) -> None:
    out = tmp_path / "build"
    write_tree(out, OLD)
    os.chmod(out / "grafana/dashboards/a.json", 0o640)
    write_tree(out, NEW)
    assert stat.S_IMODE((out / "grafana/dashboards/a.json").stat().st_mode) == 0o640


def test_bind_mounted_output_keeps_working(tmp_path: Path) -> None:
    """How Docker Compose mounts provisioning into Grafana: the mount must show every new build."""
    source = tmp_path / "build"
    source.mkdir()
    mounted = tmp_path / "grafana-view"
    mounted.mkdir()
    bound = subprocess.run(["mount", "--bind", str(source), str(mounted)], capture_output=True, check=False)
    if bound.returncode != 0:
        pytest.skip(f"mount --bind is not permitted here: {bound.stderr.decode(errors='replace').strip()}")
    try:
        write_tree(source, OLD)
        assert _files(mounted) == _expected(OLD)
        write_tree(source, NEW)
        assert _files(mounted) == _expected(NEW), "the bind mount shows the new build"
    finally:
        subprocess.run(["umount", str(mounted)], check=True)


@pytest.mark.parametrize("kind", ["file", "fifo", "socket", "empty-dir", "symlink", "symlink-over-owned"])
def test_foreign_entries_are_refused_and_left_alone(tmp_path: Path, kind: str) -> None:
    out = tmp_path / "build"
    write_tree(out, OLD)
    if kind == "file":
        (out / "grafana/notes.txt").write_text("mine")
    elif kind == "fifo":
        os.mkfifo(out / "grafana/pipe")
    elif kind == "socket":
        server = socket.socket(socket.AF_UNIX)
        server.bind(str(out / "sock"))
        server.close()
    elif kind == "empty-dir":
        (out / "grafana/empty").mkdir()
    elif kind == "symlink":
        (out / "link").symlink_to(tmp_path)
    else:
        (out / "gone/only.txt").unlink()
        (out / "gone/only.txt").symlink_to(tmp_path / "elsewhere")
    before = sorted(p.relative_to(out).as_posix() for p in out.rglob("*"))
    with pytest.raises(WriteError, match="did not write"):
        write_tree(out, NEW)
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*")) == before
    assert (out / "grafana/dashboards/a.json").read_bytes() == OLD["grafana/dashboards/a.json"]


def test_leftover_temporary_files_are_removed_and_not_foreign(tmp_path: Path) -> None:
    out = tmp_path / "build"
    write_tree(out, OLD)
    leftover = out / "grafana/dashboards" / f".a.json.abc123{TEMP_SUFFIX}"
    leftover.write_bytes(b'{"a": 2')  # half a file, as a killed build leaves it
    assert write_tree(out, OLD) is False
    assert not leftover.exists()


def test_interrupted_build_is_completed_by_the_next(tmp_path: Path) -> None:
    """The state a build killed half-way leaves: the intent manifest, some files new, a new directory empty."""
    out = tmp_path / "build"
    write_tree(out, OLD)
    (out / MANIFEST).write_bytes(manifest_bytes(sorted(set(OLD) | set(NEW))))
    (out / "new").mkdir()
    (out / "grafana/dashboards/a.json").write_bytes(NEW["grafana/dashboards/a.json"])
    assert write_tree(out, NEW) is True
    assert _files(out) == _expected(NEW)


def test_directory_without_a_manifest_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "src"
    out.mkdir()
    (out / "main.py").write_text("print('hi')\n")
    (out / "sub").mkdir()
    (out / "sub/keep.txt").write_text("x")
    with pytest.raises(WriteError, match=r"main\.py"):
        write_tree(out, NEW)
    assert sorted(p.name for p in out.iterdir()) == ["main.py", "sub"]


def test_manifest_of_the_previous_writer_is_accepted(tmp_path: Path) -> None:
    """Directories written by the swap-based writer (another manifest header) are taken over."""
    out = tmp_path / "build"
    write_tree(out, OLD)
    legacy = "# Files written by monitoring-dsl build. The whole directory is replaced on every build.\n"
    (out / MANIFEST).write_text(legacy + "".join(f"{p}\n" for p in sorted(OLD)))
    write_tree(out, NEW)
    assert _files(out) == _expected(NEW)


def test_a_held_lock_makes_a_build_wait_then_fail_clearly(tmp_path: Path) -> None:
    out = tmp_path / "build"
    write_tree(out, OLD)
    with open(out / LOCK, "a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        started = time.monotonic()
        with pytest.raises(WriteError, match="another monitoring-dsl build is writing"):
            write_tree(out, NEW, lock_timeout=0.3)
        assert time.monotonic() - started >= 0.3
    assert _files(out) == _expected(OLD)


def test_a_build_waits_for_the_lock_to_be_released(tmp_path: Path) -> None:
    out = tmp_path / "build"
    write_tree(out, OLD)
    held = open(out / LOCK, "a")  # noqa: SIM115 - released by the timer thread
    fcntl.flock(held, fcntl.LOCK_EX)
    timer = threading.Timer(0.3, held.close)
    timer.start()
    try:
        assert write_tree(out, NEW, lock_timeout=10) is True
    finally:
        timer.join()
    assert _files(out) == _expected(NEW)


def test_stale_files_ignores_lock_and_temporary_files(tmp_path: Path) -> None:
    out = tmp_path / "build"
    write_tree(out, NEW)
    (out / f".x{TEMP_SUFFIX}").write_bytes(b"")
    assert (out / LOCK).exists()
    assert stale_files(out, NEW) == []
    assert stale_files(out, OLD) == sorted([MANIFEST, "gone/only.txt", "grafana/dashboards/a.json", "new/b.json"])


def test_output_that_is_a_file_or_a_symlink_loop_is_an_error(tmp_path: Path) -> None:
    file = tmp_path / "file"
    file.write_text("x")
    with pytest.raises(WriteError, match="not a directory"):
        write_tree(file, NEW)
    loop = tmp_path / "loop"
    loop.symlink_to(loop)
    with pytest.raises(WriteError, match="symlink loop"):
        write_tree(loop, NEW)


def test_path_that_is_both_file_and_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(WriteError, match="both a file and a directory"):
        write_tree(tmp_path / "build", {"a": b"1", "a/b": b"2"})


SPEC = """
from monitoring_dsl import Counter, Dashboard, TimeSeries

requests = Counter("http_requests_total", "Requests", labels=["code"])
Dashboard("API", uid="api", panels=[TimeSeries("Rate", "sum(rate(http_requests_total[5m]))")])
"""


def test_two_dashboards_with_one_uid_are_an_error_even_when_allowed(tmp_path: Path) -> None:
    write_specs(
        tmp_path,
        {
            "api.py": """
            from monitoring_dsl import Counter, Dashboard, TimeSeries

            requests = Counter("http_requests_total", "Requests", labels=["code"])
            q = "sum(rate(http_requests_total[5m]))"
            Dashboard("API", uid="api", panels=[TimeSeries("Rate", q)], allow={"D501": "migrating"})
            Dashboard("API v2", uid="api", panels=[TimeSeries("Rate", q)], allow={"D501": "migrating"})
            """
        },
    )
    run = run_cli("build", cwd=tmp_path)
    assert run.code == 2, run.stderr
    assert "specs/api.py:6:" in run.stderr and "E011" in run.stderr, run.stderr
    assert "would both be written to grafana/dashboards/api.json" in run.stderr
    assert not (tmp_path / "build").exists()


def test_relative_out_is_resolved_before_specs_run(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    write_specs(tmp_path, {"api.py": f"import os\nos.chdir({str(elsewhere)!r})\n" + SPEC})
    run = run_cli("build", "--out", "out", cwd=tmp_path)
    assert run.code == 0, run.stderr
    assert (tmp_path / "out/grafana/dashboards/api.json").is_file()
    assert not (elsewhere / "out").exists()


def test_out_dot_is_refused_and_deletes_nothing(tmp_path: Path) -> None:
    write_specs(tmp_path, {"api.py": SPEC})
    (tmp_path / "keep").mkdir()
    before = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*"))
    run = run_cli("build", "--out", ".", cwd=tmp_path)
    assert run.code == 2
    assert "E006" in run.stderr and "did not write" in run.stderr
    after = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*"))
    assert [path for path in after if not path.startswith(CACHE_DIR)] == before  # the compiled specs are kept


def test_leftovers_of_the_swapping_writer_are_repaired(tmp_path: Path) -> None:
    """A build of the previous writer killed between its two renames left no build/ at all."""
    retired = tmp_path / ".build.old-abc123"
    write_tree(retired, OLD)
    staging = tmp_path / ".build.new-def456"
    write_tree(staging, NEW)
    unrelated = tmp_path / ".build.new-mine"
    unrelated.mkdir()  # no manifest: not ours, left alone
    inode = retired.stat().st_ino
    out = tmp_path / "build"
    assert write_tree(out, NEW) is True
    assert out.stat().st_ino == inode, "the old tree went back to build/"
    assert _files(out) == _expected(NEW)
    assert not retired.exists() and not staging.exists() and unrelated.is_dir()
