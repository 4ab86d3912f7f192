"""Every dashboard we emit decodes with the Grafana Foundation SDK's typed models (Grafana 11.6 schema),
with no key or value those models do not know. See tests/grafana_schema.py for how strict decoding works."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from monitoring_dsl.compiler import compile_specs
from tests.grafana_schema import problems

REPO = Path(__file__).resolve().parent.parent
GOLDEN = REPO / "tests" / "golden"
GOLDEN_DASHBOARDS = sorted(GOLDEN.glob("*/expected/grafana/dashboards/*.json"))


def _repo_dashboards() -> dict[str, dict[str, Any]]:
    result = compile_specs([REPO / "specs"], REPO)
    assert result.artifacts is not None, [d.message for d in result.diagnostics]
    return {path: json.loads(data) for path, data in result.artifacts.items() if path.startswith("grafana/dashboards/")}


def test_sdk_is_the_pinned_grafana_schema() -> None:
    """The README names the schema the test checks; the installed SDK is that one."""
    from importlib.metadata import version

    assert version("grafana-foundation-sdk").endswith("!11.6.0")


@pytest.mark.parametrize("path", GOLDEN_DASHBOARDS, ids=lambda p: f"{p.parts[-5]}/{p.name}")
def test_golden_dashboards_decode(path: Path) -> None:
    """Each golden dashboard (the every-option case `panel_options` included) is known to the typed models."""
    assert [] == problems(json.loads(path.read_text(encoding="utf-8")))


def test_repository_dashboards_decode() -> None:
    """This repository's own dashboards (specs/) are known to the typed models."""
    dashboards = _repo_dashboards()
    assert len(dashboards) >= 4
    assert {} == {path: found for path, data in dashboards.items() if (found := problems(data))}


def test_golden_cases_cover_every_dashboard_option() -> None:
    """The goldens the schema test decodes include the case that uses every option."""
    assert any(p.parts[-5] == "panel_options" for p in GOLDEN_DASHBOARDS)


@pytest.fixture(scope="module")
def dashboard() -> dict[str, Any]:
    return _repo_dashboards()["grafana/dashboards/database-performance.json"]


def _first(data: dict[str, Any], kind: str) -> dict[str, Any]:
    return next(panel for panel in data["panels"] if panel["type"] == kind)


def test_unknown_panel_key_is_found(dashboard: dict[str, Any]) -> None:
    """A panel key the models do not know is reported with its path."""
    data = copy.deepcopy(dashboard)
    data["panels"][1]["error"] = False
    assert ["$.panels[1].error: unknown key"] == problems(data)


def test_unknown_enum_value_is_found(dashboard: dict[str, Any]) -> None:
    """A value outside an enum of the schema (a time series' threshold style) is reported."""
    data = copy.deepcopy(dashboard)
    _first(data, "timeseries")["fieldConfig"]["defaults"]["custom"]["thresholdsStyle"]["mode"] = "lines"
    [found] = problems(data)
    assert "thresholds_style.mode: 'lines' is not a GraphThresholdsStyleMode" in found


def test_wrong_scalar_type_is_found(dashboard: dict[str, Any]) -> None:
    """A string where the schema wants an integer is reported."""
    data = copy.deepcopy(dashboard)
    data["panels"][0]["gridPos"]["h"] = "8"
    assert ["$.panels[0].grid_pos.h: expected an integer, got '8'"] == problems(data)


def test_key_inside_a_value_the_sdk_passes_through_is_found(dashboard: dict[str, Any]) -> None:
    """Panel links are left undecoded by the SDK's from_json; the strict walk decodes and checks them too."""
    data = copy.deepcopy(dashboard)
    _first(data, "timeseries")["links"] = [{"title": "x", "url": "/d/x", "targetBlank": False, "wat": 1}]
    found = problems(data)
    assert len(found) == 1 and found[0].endswith(".links[0].wat: unknown key")


def test_legacy_variable_keys_are_found(dashboard: dict[str, Any]) -> None:
    """grafanalib's old variable keys would be caught (tags were removed from variables in Grafana 8)."""
    data = copy.deepcopy(dashboard)
    data["templating"]["list"][0]["useTags"] = False
    assert ["$.templating.list[0].useTags: unknown key"] == problems(data)
