"""Golden trees: each spec set under tests/golden/<case>/specs compiles to exactly tests/golden/<case>/expected.

Goldens change only with `pytest --update-goldens`, and the change is reviewed as a diff in the pull request.
"""

from __future__ import annotations

import difflib
import shutil
from pathlib import Path

import pytest

from monitoring_dsl.compiler import compile_specs
from monitoring_dsl.diagnostics import Severity
from monitoring_dsl.writer import MANIFEST, manifest_bytes

GOLDEN = Path(__file__).parent / "golden"
CASES = sorted(p.name for p in GOLDEN.iterdir() if (p / "specs").is_dir())


def compiled_tree(case: str) -> dict[str, bytes]:
    """The tree `build` writes for a golden case, manifest included."""
    root = GOLDEN / case
    result = compile_specs([root / "specs"], root)
    assert result.artifacts is not None, [d.message for d in result.diagnostics]
    assert [] == [f"{d.code} {d.message}" for d in result.diagnostics if d.severity is not Severity.INFO]
    return {**result.artifacts, MANIFEST: manifest_bytes(result.artifacts)}


def _tree_on_disk(directory: Path) -> dict[str, bytes]:
    return {p.relative_to(directory).as_posix(): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("case", CASES)
def test_golden_tree(case: str, request: pytest.FixtureRequest) -> None:
    """The compiled tree equals the expected tree byte for byte."""
    actual = compiled_tree(case)
    expected_dir = GOLDEN / case / "expected"
    if request.config.getoption("--update-goldens"):
        shutil.rmtree(expected_dir, ignore_errors=True)
        for path, data in actual.items():
            target = expected_dir / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
    expected = _tree_on_disk(expected_dir)
    assert sorted(expected) == sorted(actual), "files differ; run `pytest --update-goldens` and review the diff"
    for path in expected:
        if expected[path] != actual[path]:
            diff = "\n".join(
                difflib.unified_diff(
                    expected[path].decode().splitlines(),
                    actual[path].decode().splitlines(),
                    f"expected/{path}",
                    f"actual/{path}",
                    lineterm="",
                    n=2,
                )
            )
            pytest.fail(f"{case}: {path} differs from its golden file:\n{diff}")


def test_goldens_exist() -> None:
    """The golden suite is not empty."""
    assert len(CASES) >= 3
