# (STYLE.md: `assert expected == actual`, expected first.)
"""The import contracts in pyproject.toml (checked by `lint-imports` in `make lint`) cover the whole package.

A forbidden contract names the modules its layer may not import; a module added next to them later would be
allowed silently. These tests fail until the new module is named in the contract (or is a lower layer).
"""

from __future__ import annotations

import pkgutil
import tomllib

import pytest

import monitoring_dsl
from tests.conftest import REPO

CONTRACTS = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]["contracts"]
TOP_LEVEL = {f"monitoring_dsl.{info.name}" for info in pkgutil.iter_modules(monitoring_dsl.__path__)}
# What each lower layer may import besides itself (DESIGN.md: `(promql | gotemplate) -> model`; diagnostics
# and the E0xx codes are leaves every stage imports).
BELOW = {
    "monitoring_dsl.model": set(),
    "monitoring_dsl.promql": {"monitoring_dsl.model"},
    "monitoring_dsl.gotemplate": {"monitoring_dsl.model"},
    "monitoring_dsl.diagnostics": {"monitoring_dsl.model"},
    "monitoring_dsl.codes": {"monitoring_dsl.model", "monitoring_dsl.diagnostics"},
}


def _contract(source: str) -> dict[str, object]:
    found = [c for c in CONTRACTS if c["type"] == "forbidden" and c["source_modules"] == [source]]
    assert 1 == len(found), f"expected one forbidden contract for {source} in pyproject.toml"
    return found[0]


@pytest.mark.parametrize("layer", sorted(BELOW.keys() & TOP_LEVEL))
def test_lower_layer_forbids_every_module_above_it(layer: str) -> None:
    contract = _contract(layer)
    expected = sorted(TOP_LEVEL - {layer} - BELOW[layer])
    assert expected == sorted(contract["forbidden_modules"]), (
        f"the contract for {layer} must forbid every other module of the package except {sorted(BELOW[layer])}"
    )


def test_every_protected_third_party_package_has_an_existing_adapter() -> None:
    protected = [c for c in CONTRACTS if c["type"] == "protected"]
    names = {m for c in protected for m in c["protected_modules"]}
    assert {"click", "grafanalib", "promql_parser", "re2", "yaml"} == names
    for contract in protected:
        for importer in contract["allowed_importers"]:
            top = ".".join(importer.split(".")[:2])
            assert top in TOP_LEVEL, f"{contract['name']}: {importer} is not a module of monitoring_dsl"
