"""lint and promtool 2.42 agree on every real-world rule file: lint refuses exactly the files promtool refuses,
and no file makes lint raise or report an internal error."""

from __future__ import annotations

import json
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from monitoring_dsl.compiler import lint
from monitoring_dsl.model.settings import Settings
from monitoring_dsl.sources import Sources
from tests.conftest import require_binary

# What makes Prometheus refuse a rule file: invalid PromQL, syntax newer than the target, keys the loader does
# not accept, values the model cannot represent.
REFUSING = {"Q200", "Q214", "E002", "E046", "E047", "E048"}


def _rule_files(realworld: Path) -> list[Path]:
    manifest = json.loads((realworld / "manifest.json").read_text(encoding="utf-8"))
    tests = {test["path"] for test in manifest["rule_tests"]}
    found = sorted(path for pattern in ("rules/**/*.y*ml", "ruletests/**/*.y*ml") for path in realworld.glob(pattern))
    return [path for path in found if path.relative_to(realworld).as_posix() not in tests]


def test_lint_refuses_what_promtool_refuses(realworld: Path, tmp_path: Path) -> None:
    """Per rule file, promtool's verdict (exit status) and lint's (a refusing code at an error) agree."""
    promtool = require_binary("promtool")
    files = _rule_files(realworld)
    assert len(files) > 100

    def promtool_refuses(path: Path) -> bool:
        done = subprocess.run([promtool, "check", "rules", str(path)], capture_output=True, text=True, timeout=60)
        return done.returncode != 0

    with ThreadPoolExecutor(2) as pool:
        expected = dict(zip(files, pool.map(promtool_refuses, files), strict=True))
    diagnostics = lint(files, tmp_path, Sources(), Settings(prometheus_version="2.42")).diagnostics
    assert not [d.message for d in diagnostics if d.code == "E045"]
    refused = {Path(d.location.path).resolve() for d in diagnostics if d.code in REFUSING and d.location}
    actual = {path: path.resolve() in refused for path in files}
    assert expected == actual
