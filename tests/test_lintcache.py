"""The lint cache: a lint with unchanged inputs and the same options prints what the last one printed and
exits as it did; a changed spec, rule file or option makes it check again. Files lint does not read (a
README, the build output) are no input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from monitoring_dsl import compiler
from monitoring_dsl.buildcache import CACHE_DIR
from tests.conftest import run_cli, run_process

SPEC = """\
from monitoring_dsl import Alert, Counter

print("loading the api spec")
requests = Counter("http_requests_total", "Requests")
busy = Alert("Busy", "sum(rate(http_requests_total[1m])) > 10", for_="5m", severity="warning", summary="API busy")
"""
RULES = """\
groups:
  - name: node
    rules:
      - alert: Down
        expr: up == 0
        for: 5m
        labels: {severity: page}
        annotations: {summary: down}
"""


def _project(tmp_path: Path) -> Path:
    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "api.py").write_text(SPEC)
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "node.yml").write_text(RULES)
    return tmp_path


def _no_lint(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make any check fail loudly: a lint that passes under this was served from the cache."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("lint ran although nothing changed")

    monkeypatch.setattr(compiler, "lint", refuse)


def _lint_caches(root: Path) -> list[Path]:
    return sorted((root / CACHE_DIR).glob("lint-*.json"))


def test_a_cached_lint_prints_and_exits_as_an_uncached_one(tmp_path: Path) -> None:
    """Findings on stdout, the spec's own print and the summary on stderr, in the same order, and the exit code."""
    root = _project(tmp_path)
    first = run_cli("lint", "specs", "rules", cwd=root)
    assert 1 == first.code, first.output  # Q206: a 1m window is under two scrape intervals
    assert "Q206" in first.stdout and "loading the api spec" in first.stderr
    assert first.output.index("loading the api spec") < first.output.index("Q206") < first.output.index(" in 2 files")
    uncached = run_cli("lint", "--no-cache", "specs", "rules", cwd=root)
    with pytest.MonkeyPatch.context() as patch:
        _no_lint(patch)
        cached = run_cli("lint", "specs", "rules", cwd=root)
    assert (uncached.code, uncached.stdout, uncached.stderr, uncached.output) == (
        cached.code,
        cached.stdout,
        cached.stderr,
        cached.output,
    )
    assert first.output == cached.output


def test_cached_and_uncached_processes_agree(tmp_path: Path) -> None:
    """The console script in processes of its own: the second run is served from the cache the first wrote."""
    root = _project(tmp_path)
    first = run_process("lint", "--format", "json", "specs", "rules", cwd=root)
    again = run_process("lint", "--format", "json", "specs", "rules", cwd=root)
    assert 1 == first.code and json.loads(first.stdout)
    assert (first.code, first.stdout, first.stderr) == (again.code, again.stdout, again.stderr)
    assert 1 == len(_lint_caches(root))


@pytest.mark.parametrize(
    ("path", "text", "expected"),
    [
        ("specs/api.py", SPEC.replace("[1m]", "[5m]"), None),  # the finding is gone
        ("rules/node.yml", RULES.replace("Down", "NodeDown"), "'NodeDown'"),  # a rule file changed
        ("rules/more.yml", RULES.replace("Down", "Absent"), "more.yml"),  # a rule file added
    ],
)
def test_a_changed_input_is_checked_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, path: str, text: str, expected: str | None
) -> None:
    root = _project(tmp_path)
    before = run_cli("lint", "specs", "rules", cwd=root)
    (root / path).write_text(text)
    after = run_cli("lint", "specs", "rules", cwd=root)
    assert after.output != before.output
    assert after.output == run_cli("lint", "--no-cache", "specs", "rules", cwd=root).output
    if expected is None:
        assert "Q206" not in after.stdout
    else:
        assert expected in after.output


def test_a_file_lint_does_not_read_is_no_input(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`lint .`: a README beside the specs and the build output (which lint skips) are no input, and neither
    is the cache directory lint itself creates in the project."""
    root = _project(tmp_path)
    (root / "specs" / "README.md").write_text("our specs\n")
    assert 0 == run_cli("build", "--no-cache", cwd=root).code  # Q206 is a warning: the build writes build/
    first = run_cli("lint", ".", cwd=root)
    assert "rules/node.yml" in first.output and "build/" not in first.output
    (root / "specs" / "README.md").write_text("our specs, edited\n")
    (root / "build" / "prometheus" / "rules" / "api.yml").write_text("groups: []\n")
    _no_lint(monkeypatch)
    again = run_cli("lint", ".", cwd=root)
    assert (first.code, first.output) == (again.code, again.output)


def test_other_options_are_another_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`--format`, `--select` and `--fail-on` change what lint prints or how it exits: never a cache hit for
    the other's record, and each stays cached."""
    root = _project(tmp_path)
    runs = {
        options: run_cli("lint", *options, "specs", cwd=root)
        for options in [(), ("--format", "json"), ("--select", "A"), ("--fail-on", "error")]
    }
    assert ["A312", "A326", "Q206"] == sorted(f["code"] for f in json.loads(runs[("--format", "json")].stdout))
    assert "Q206" not in runs[("--select", "A")].output
    assert (1, 0) == (runs[()].code, runs[("--fail-on", "error")].code)
    assert 4 == len(_lint_caches(root))
    _no_lint(monkeypatch)
    for options, first in runs.items():
        again = run_cli("lint", *options, "specs", cwd=root)
        assert (first.code, first.output) == (again.code, again.output), options


def test_no_cache_never_consults_nor_writes_the_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _project(tmp_path)
    assert 1 == run_cli("lint", "--no-cache", "specs", cwd=root).code
    assert [] == _lint_caches(root)
    assert 1 == run_cli("lint", "specs", cwd=root).code
    _no_lint(monkeypatch)
    assert 2 == run_cli("lint", "--no-cache", "specs", cwd=root).code  # it ran compiler.lint, which refused
    assert 1 == run_cli("lint", "specs", cwd=root).code


def test_an_unwritable_cache_does_not_fail_the_lint(tmp_path: Path) -> None:
    """A read-only checkout still lints: the cache only saves time."""
    root = _project(tmp_path)
    (root / CACHE_DIR).write_text("a file where the cache directory would go\n")
    first = run_cli("lint", "specs", cwd=root)
    assert 1 == first.code and "Q206" in first.stdout
    assert first.output == run_cli("lint", "specs", cwd=root).output
