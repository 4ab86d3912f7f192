"""Public promtool test files (`$MONITORING_DSL_CORPUS/ruletests`) get the same verdict through
`monitoring-dsl test` as through promtool, and a copy with one expected value changed fails through both.

Collected by `make test-corpus` only (the corpus directory comes from the `realworld` fixture).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import run_cli

# kubernetes-mixin's tests.yaml alone takes promtool half a minute: the verdict test leaves it out
SLOW = {"kubernetes-mixin/tests/tests.yaml"}


@pytest.fixture(scope="module")
def ruletests(realworld: Path) -> Path:
    return realworld / "ruletests"


def _test_files(ruletests: Path) -> list[Path]:
    files = sorted(p for p in ruletests.rglob("*") if p.suffix in (".yml", ".yaml") and p.is_file())
    return [
        p
        for p in files
        if p.relative_to(ruletests).as_posix() not in SLOW
        and any(line.startswith("tests:") for line in p.read_text(encoding="utf-8").splitlines())
    ]


def _promtool(promtool: str, path: Path) -> int:
    completed = subprocess.run(
        [promtool, "test", "rules", path.name], cwd=path.parent, capture_output=True, timeout=120, check=False
    )
    return completed.returncode


def test_corpus_holds_passing_and_failing_test_files(promtool: str, ruletests: Path) -> None:
    """The corpus is what this test expects: test files of several projects."""
    files = _test_files(ruletests)
    assert len(files) >= 15
    assert {"etcd", "kubernetes-mixin", "prometheus", "thanos"} <= {p.relative_to(ruletests).parts[0] for p in files}


def test_same_verdict_as_promtool(promtool: str, ruletests: Path, tmp_path: Path) -> None:
    """One `monitoring-dsl test` run over every file: PASS/FAIL per file equals promtool's exit code."""
    files = _test_files(ruletests)
    expected = {p.relative_to(ruletests).as_posix(): _promtool(promtool, p) == 0 for p in files}
    assert any(expected.values()) and not all(expected.values())  # both verdicts are exercised
    result = run_cli("test", *(str(p) for p in files), cwd=tmp_path)
    actual = {}
    for line in result.stdout.splitlines():
        verdict, _, path = line.partition(" ")
        if verdict in ("PASS", "FAIL"):
            actual[Path(path).resolve().relative_to(ruletests.resolve()).as_posix()] = verdict == "PASS"
    assert expected == actual
    assert 1 == result.code


def test_one_changed_expected_value_fails_through_both(promtool: str, ruletests: Path, tmp_path: Path) -> None:
    """etcd's passing test with one expected annotation changed fails through promtool and through us."""
    copy = tmp_path / "etcd"
    shutil.copytree(ruletests / "etcd", copy)
    path = copy / "test.yaml"
    path.chmod(0o644)
    original = path.read_text(encoding="utf-8")
    changed = original.replace("members are down (3).", "members are down (4).", 1)
    assert changed != original
    assert 0 == _promtool(promtool, ruletests / "etcd" / "test.yaml")
    assert 0 == run_cli("test", str(ruletests / "etcd" / "test.yaml"), cwd=tmp_path).code
    path.write_text(changed, encoding="utf-8")
    assert 1 == _promtool(promtool, path)
    result = run_cli("test", str(path), cwd=tmp_path)
    assert 1 == result.code
    assert "E025" in result.stderr and "alert etcdMembersDown at 24m" in result.stderr
    lines = result.stderr.splitlines()
    start = lines.index("    expected (-) and actual (+):")
    assert [
        '      etcdMembersDown{job="etcd", severity="warning"}',
        '    -     description: etcd cluster "etcd": members are down (4).',
        '    +     description: etcd cluster "etcd": members are down (3).',
        "          summary: etcd cluster members are down.",
    ] == lines[start + 1 : start + 5]
