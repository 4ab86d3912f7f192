"""The build cache: a rebuild with unchanged inputs replays the recorded build, and any changed input (a spec,
a helper module outside the spec directory, a data file a spec reads, pyproject.toml, the output tree) makes
the build run again. Cached and uncached runs print the same and leave the same bytes."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitoring_dsl import compiler
from monitoring_dsl.buildcache import CACHE_DIR
from tests.conftest import run_cli, run_process

HELPER = 'THRESHOLD = "10"\n'
SPEC = """\
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).parent.parent / "lib"))
from thresholds import THRESHOLD  # a helper module outside the spec directory

from monitoring_dsl import Alert, Counter

SUMMARY = (pathlib.Path(__file__).parent.parent / "data" / "summary.txt").read_text().strip()
print("loading the api spec")
requests = Counter("http_requests_total", "Requests")
busy = Alert(
    "Busy",
    "sum(rate(http_requests_total[1m])) > " + THRESHOLD,
    for_="5m",
    severity="warning",
    summary=SUMMARY,
)
"""


def _project(tmp_path: Path) -> Path:
    (tmp_path / "specs").mkdir()
    (tmp_path / "lib").mkdir()
    (tmp_path / "data").mkdir()
    (tmp_path / "specs" / "api.py").write_text(SPEC)
    (tmp_path / "lib" / "thresholds.py").write_text(HELPER)
    (tmp_path / "data" / "summary.txt").write_text("API busy\n")
    return tmp_path


def _tree(directory: Path) -> dict[str, bytes]:
    return {p.relative_to(directory).as_posix(): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}


def _no_compile(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make any load/check/emit fail loudly: a run that passes under this was served from the cache."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("compile_specs ran although nothing changed")

    monkeypatch.setattr(compiler, "compile_specs", refuse)


def test_cached_rebuild_prints_and_writes_what_an_uncached_one_does(tmp_path: Path) -> None:
    """Warnings (Q206 here) and what the spec printed are replayed; the output tree is byte-identical."""
    root = _project(tmp_path)
    first = run_cli("build", cwd=root)
    assert 0 == first.code, first.stderr
    assert "Q206" in first.stderr and "loading the api spec" in first.stderr
    uncached = run_cli("build", "--no-cache", cwd=root)
    tree = _tree(root / "build")
    with pytest.MonkeyPatch.context() as patch:
        _no_compile(patch)
        cached = run_cli("build", cwd=root)
    assert (uncached.code, uncached.stdout, uncached.stderr) == (cached.code, cached.stdout, cached.stderr)
    assert cached.stdout.startswith("unchanged, ")
    assert tree == _tree(root / "build")
    assert (root / CACHE_DIR / ".gitignore").is_file()
    assert not any(p.name.startswith(".monitoring-dsl-cache") for p in (root / "build").iterdir())


def test_cached_and_uncached_processes_agree(tmp_path: Path) -> None:
    """The installed console script, in processes of its own: same output, same bytes, with and without cache."""
    root = _project(tmp_path)
    assert 0 == run_process("build", "--no-cache", "--out", "plain", cwd=root).code
    assert 0 == run_process("build", "--out", "cached", cwd=root).code
    again = run_process("build", "--out", "cached", cwd=root)
    plain = run_process("build", "--no-cache", "--out", "plain", cwd=root)
    assert _tree(root / "plain") == _tree(root / "cached")
    assert plain.stderr == again.stderr
    assert plain.stdout.replace("plain", "cached") == again.stdout


@pytest.mark.parametrize(
    ("path", "text", "expected"),
    [
        ("specs/api.py", SPEC.replace("[1m]", "[5m]"), "rate(http_requests_total[5m])"),
        ("lib/thresholds.py", 'THRESHOLD = "42"\n', "> 42"),
        ("data/summary.txt", "API is busy\n", "API is busy"),
        ("specs/more.py", 'from monitoring_dsl import Gauge\nq = Gauge("queue_depth", "Queued")\n', None),
    ],
)
def test_a_changed_input_is_built_again(tmp_path: Path, path: str, text: str, expected: str | None) -> None:
    """In processes of their own: one process keeps an imported helper module in sys.modules."""
    root = _project(tmp_path)
    assert 0 == run_process("build", cwd=root).code
    before = _tree(root / "build")
    (root / path).write_text(text)
    rebuilt = run_process("build", cwd=root)
    assert 0 == rebuilt.code, rebuilt.stderr
    after = _tree(root / "build")
    assert after != before
    if expected is not None:
        assert expected in after["prometheus/rules/api.yml"].decode()
    assert rebuilt.stdout.startswith("wrote ")


def test_a_changed_pyproject_is_built_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _project(tmp_path)
    assert 0 == run_cli("build", cwd=root).code
    (root / "pyproject.toml").write_text('[tool.monitoring-dsl]\nignore = ["Q206"]\n')
    rebuilt = run_cli("build", cwd=root)
    assert 0 == rebuilt.code, rebuilt.stderr
    assert "Q206" not in rebuilt.stderr


@pytest.mark.parametrize("damage", ["edit", "remove", "add"])
def test_a_damaged_output_tree_is_repaired(tmp_path: Path, damage: str) -> None:
    root = _project(tmp_path)
    assert 0 == run_cli("build", cwd=root).code
    before = _tree(root / "build")
    rules = root / "build" / "prometheus" / "rules" / "api.yml"
    if damage == "edit":
        rules.write_text("edited by hand\n")
    elif damage == "remove":
        rules.unlink()
    else:
        (root / "build" / "stray.txt").write_text("not ours\n")
    rebuilt = run_cli("build", cwd=root)
    if damage == "add":  # the uncached build refuses a directory holding foreign files; so must a cached one
        assert 2 == rebuilt.code and "stray.txt" in rebuilt.stderr
    else:
        assert 0 == rebuilt.code, rebuilt.stderr
        assert before == _tree(root / "build")


def test_no_cache_never_consults_the_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _project(tmp_path)
    assert 0 == run_cli("build", cwd=root).code
    _no_compile(monkeypatch)
    assert 2 == run_cli("build", "--no-cache", cwd=root).code  # it ran compile_specs, which refused
    assert 0 == run_cli("build", cwd=root).code


def test_a_spec_writing_a_file_is_never_cached(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _project(tmp_path)
    spec = root / "specs" / "api.py"
    spec.write_text(spec.read_text() + '(pathlib.Path(__file__).parent.parent / "data" / "log").write_text("x")\n')
    assert 0 == run_cli("build", cwd=root).code
    _no_compile(monkeypatch)
    assert 2 == run_cli("build", cwd=root).code  # compile_specs was called again


ENV_SPEC = """\
import os

from monitoring_dsl import Alert, Counter

requests = Counter("http_requests_total", "Requests")
busy = Alert("Busy", "sum(rate(http_requests_total[5m])) > " + os.environ.get("BUSY_THRESHOLD", "10"),
             for_="5m", severity="warning", summary="API busy")
"""


@pytest.mark.parametrize(
    "read", ['os.environ.get("BUSY_THRESHOLD", "10")', 'dict(os.environ).get("BUSY_THRESHOLD", "10")']
)
def test_an_environment_variable_the_specs_read_is_an_input(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, read: str
) -> None:
    """A variable read by name, or the whole environment copied: set, changed or unset, the build runs again."""
    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "api.py").write_text(ENV_SPEC.replace('os.environ.get("BUSY_THRESHOLD", "10")', read))
    rules = tmp_path / "build" / "prometheus" / "rules" / "api.yml"
    monkeypatch.delenv("BUSY_THRESHOLD", raising=False)
    assert 0 == run_cli("build", cwd=tmp_path).code
    assert "> 10" in rules.read_text()
    for value in ("4242424242", "43", None):
        if value is None:
            monkeypatch.delenv("BUSY_THRESHOLD")
        else:
            monkeypatch.setenv("BUSY_THRESHOLD", value)
        rebuilt = run_cli("build", cwd=tmp_path)
        assert 0 == rebuilt.code, rebuilt.stderr
        assert f"> {value or 10}" in rules.read_text()
        if value == "4242424242":  # the cache keeps a digest of the value, never the value (it may be a secret)
            cached = b"".join(p.read_bytes() for p in (tmp_path / CACHE_DIR).glob("build-*.json"))
            assert cached and value.encode() not in cached
        with pytest.MonkeyPatch.context() as patch:
            _no_compile(patch)
            again = run_cli("build", cwd=tmp_path)  # unchanged environment: served from the cache
        assert (0, "unchanged, ") == (again.code, again.stdout[: len("unchanged, ")])
