"""What build/ holds is valid for the tools that read it: promtool accepts every rule file, and every
dashboard has a valid grid, unique panel ids, a resolvable datasource and only queries that parse."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from monitoring_dsl.compiler import compile_specs
from monitoring_dsl.promql import Parsed, VariableInfo, parse, substitute
from tests.conftest import REPO

GOLDEN = Path(__file__).parent / "golden"
SPEC_SETS = {p.name: (p / "specs", p) for p in sorted(GOLDEN.iterdir()) if (p / "specs").is_dir()}
SPEC_SETS["repository specs"] = (REPO / "specs", REPO)
DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}


def _artifacts(name: str) -> dict[str, bytes]:
    specs, root = SPEC_SETS[name]
    result = compile_specs([specs], root)
    assert result.artifacts is not None, [f"{d.code} {d.message}" for d in result.diagnostics]
    return result.artifacts


def _dashboards() -> list[Any]:
    params = []
    for name in SPEC_SETS:
        for path, data in _artifacts(name).items():
            if path.startswith("grafana/dashboards/"):
                params.append(pytest.param(path, json.loads(data), id=f"{name}:{Path(path).stem}"))
    return params


def _rule_files() -> list[Any]:
    return [
        pytest.param(path, data, id=f"{name}:{Path(path).stem}")
        for name in SPEC_SETS
        for path, data in _artifacts(name).items()
        if path.startswith("prometheus/rules/")
    ]


def _panels(dashboard: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for panel in dashboard["panels"]:
        found.append(panel)
        found.extend(panel.get("panels", []))
    return found


def test_repository_specs_have_dashboards_and_rules() -> None:
    """The seed specs produce the four dashboards and rule files the README promises."""
    paths = _artifacts("repository specs")
    dashboards = sorted(Path(p).stem for p in paths if p.startswith("grafana/dashboards/"))
    assert ["api-performance", "business-logic", "database-performance", "system-overview"] == dashboards
    assert any(p.startswith("prometheus/rules/") for p in paths)


@pytest.mark.parametrize(("path", "data"), _rule_files())
def test_rule_file_passes_promtool(path: str, data: bytes, promtool: str, tmp_path: Path) -> None:
    """`promtool check rules` accepts the generated file."""
    file = tmp_path / Path(path).name
    file.write_bytes(data)
    run = subprocess.run([promtool, "check", "rules", str(file)], capture_output=True, text=True, timeout=60)
    assert 0 == run.returncode, run.stdout + run.stderr
    assert "SUCCESS" in run.stdout


@pytest.mark.parametrize(("path", "dashboard"), _dashboards())
def test_panel_ids_are_unique(path: str, dashboard: dict[str, Any]) -> None:
    """Every panel, rows and panels inside collapsed rows included, has its own integer id."""
    ids = [panel["id"] for panel in _panels(dashboard)]
    assert all(isinstance(i, int) for i in ids)
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize(("path", "dashboard"), _dashboards())
def test_grid_is_valid(path: str, dashboard: dict[str, Any]) -> None:
    """Panels fit the 24-column grid and no two panels overlap."""
    boxes = [(p["title"], p["gridPos"]) for p in _panels(dashboard)]
    for title, box in boxes:
        assert 0 <= box["x"] and box["w"] >= 1 and box["x"] + box["w"] <= 24 and box["y"] >= 0 and box["h"] >= 1, title
    for index, (title, a) in enumerate(boxes):
        for other, b in boxes[index + 1 :]:
            overlap = (
                a["x"] < b["x"] + b["w"]
                and b["x"] < a["x"] + a["w"]
                and a["y"] < b["y"] + b["h"]
                and b["y"] < a["y"] + a["h"]
            )
            assert not overlap, f"{title!r} overlaps {other!r}"


@pytest.mark.parametrize(("path", "dashboard"), _dashboards())
def test_datasource_resolves(path: str, dashboard: dict[str, Any]) -> None:
    """Every panel and target queries through the dashboard's `datasource` variable of type Prometheus."""
    variables = {v["name"]: v for v in dashboard["templating"]["list"]}
    assert "datasource" == variables["datasource"]["type"]
    assert "prometheus" == variables["datasource"]["query"]
    for panel in _panels(dashboard):
        if panel["type"] in ("row", "text"):
            continue
        assert DATASOURCE == panel["datasource"], panel["title"]
        for target in panel["targets"]:
            assert DATASOURCE == target["datasource"], panel["title"]


@pytest.mark.parametrize(("path", "dashboard"), _dashboards())
def test_queries_parse(path: str, dashboard: dict[str, Any]) -> None:
    """Every panel query is valid PromQL once Grafana's macros and the dashboard's variables are substituted."""
    infos = {}
    for variable in dashboard["templating"]["list"]:
        sample = (variable.get("current") or {}).get("value") or ""
        infos[variable["name"]] = VariableInfo(variable["type"], str(sample))
    exprs = [t["expr"] for p in _panels(dashboard) for t in p.get("targets", [])]
    assert exprs or all(p["type"] in ("row", "text") for p in _panels(dashboard))
    for expr in exprs:
        assert isinstance(parse(substitute(expr, infos).text), Parsed), expr


@pytest.mark.parametrize(("path", "dashboard"), _dashboards())
def test_uid_names_the_file(path: str, dashboard: dict[str, Any]) -> None:
    """The file is `<uid>.json` and the uid fits Grafana's 40 characters."""
    assert Path(path).stem == dashboard["uid"]
    assert len(dashboard["uid"]) <= 40
