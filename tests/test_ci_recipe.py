"""docs/ci.md: the `monitoring-dsl` steps of the documented workflow, read from the page and run on a
repository of two commits, do what the page says."""

from __future__ import annotations

import shlex
from pathlib import Path

import yaml

from tests.conftest import REPO, run_cli
from tests.test_diff import BASE, HEAD, _commit, _git

PAGE = REPO / "docs" / "ci.md"


def _workflow() -> dict[str, object]:
    text = PAGE.read_text(encoding="utf-8")
    block = text.split("```yaml\n", 1)[1].split("```", 1)[0]
    data = yaml.safe_load(block)
    assert isinstance(data, dict)
    return data


def _commands() -> list[list[str]]:
    """Each step's `run:` that calls monitoring-dsl, split as the shell would (BASE left as `$BASE`)."""
    steps = _workflow()["jobs"]["monitoring"]["steps"]  # type: ignore[index]
    runs = [step["run"] for step in steps if "run" in step and step["run"].startswith("monitoring-dsl ")]
    return [shlex.split(run)[1:] for run in runs]


def test_recipe_commands_run_on_a_two_commit_repository(tmp_path: Path) -> None:
    """Lint annotates, build writes, diff writes the markdown comment, preview writes the artefact."""
    _git(tmp_path, "init", "-q")
    _commit(tmp_path, BASE, "base")
    _commit(tmp_path, HEAD, "head")
    base = _git(tmp_path, "rev-parse", "HEAD~1").strip()
    commands = _commands()
    assert ["lint", "build", "diff", "preview"] == [command[0] for command in commands]
    outputs = {}
    for command in commands:
        run = run_cli(*[base if arg == "$BASE" else arg for arg in command], cwd=tmp_path)
        assert run.code == 0, (command, run.stderr)
        outputs[command[0]] = run.stdout
    assert "::notice file=specs/api.py,line=" in outputs["lint"]
    assert (tmp_path / "build" / "grafana" / "dashboards" / "api.json").is_file()
    comment = (tmp_path / "monitoring-diff.md").read_text()
    assert comment.startswith("### Monitoring changes\n\n5 changes (dashboards: 3, alerts: 1, recording rules: 1).")
    assert "- **record renamed**: `job:http_requests:rate5m → job:http_requests:rate5m_total`" in comment
    assert '<a href="api.html">API</a>' in (tmp_path / "preview" / "index.html").read_text()


def test_recipe_uploads_the_preview_it_writes() -> None:
    """The artefact step uploads the directory the preview step writes, and checkout fetches the history."""
    steps = _workflow()["jobs"]["monitoring"]["steps"]  # type: ignore[index]
    upload = next(step for step in steps if str(step.get("uses", "")).startswith("actions/upload-artifact"))
    preview = next(step for step in steps if str(step.get("run", "")).startswith("monitoring-dsl preview"))
    assert upload["with"]["path"].rstrip("/") == shlex.split(preview["run"])[-1]
    checkout = next(step for step in steps if str(step.get("uses", "")).startswith("actions/checkout"))
    assert 0 == checkout["with"]["fetch-depth"]
