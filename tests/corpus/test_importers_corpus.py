# (STYLE.md: `assert expected == actual`, expected first.)
"""The importers over the public corpus: every rule and dashboard imports, and only the rule tests are refused."""

from __future__ import annotations

import collections
import json
from pathlib import Path

import pytest

from monitoring_dsl.load.json_positions import parse_json
from monitoring_dsl.load.plain import PlainLoad, load_plain_files


def corpus_files(realworld: Path) -> list[Path]:
    patterns = ["rules/**/*.y*ml", "dashboards/**/*.json", "ruletests/**/*.y*ml"]
    return sorted(path for pattern in patterns for path in realworld.glob(pattern))


@pytest.fixture(scope="module")
def corpus(realworld: Path) -> PlainLoad:
    return load_plain_files(corpus_files(realworld), realworld)


def test_corpus_imports_every_rule(corpus: PlainLoad, realworld: Path) -> None:
    """Every rule file imports exactly the alerting and recording rules the manifest counts."""
    manifest = json.loads((realworld / "manifest.json").read_text(encoding="utf-8"))
    sources = {module.name: module.source for module in corpus.project.modules}
    counted = collections.Counter((sources[d.module], type(d.obj).__name__) for d in corpus.project.declared)
    expected = {f["path"]: (f["alerting_rules"], f["recording_rules"]) for f in manifest["rule_files"]}
    actual = {path: (counted[path, "Alert"], counted[path, "Record"]) for path in expected}
    assert expected == actual


def test_corpus_diagnostics_are_only_the_unit_test_files(corpus: PlainLoad, realworld: Path) -> None:
    """The promtool unit-test files are E009; every rule file and dashboard imports without a diagnostic, except
    Prometheus's fixture for `--ignore-unknown-fields`, whose two unknown group keys promtool refuses too."""
    manifest = json.loads((realworld / "manifest.json").read_text(encoding="utf-8"))
    extra_fields = [("E046", "ruletests/prometheus/rules_extrafields.yml")] * 2  # `namespace:`, `ownership:`
    expected = sorted([("E009", test["path"]) for test in manifest["rule_tests"]] + extra_fields)
    actual = sorted((d.code, d.location.path) for d in corpus.diagnostics if d.location)
    assert len(corpus.diagnostics) == len(actual)
    assert expected == [(code, Path(path).resolve().relative_to(realworld).as_posix()) for code, path in actual]


def test_corpus_dashboards_import(corpus: PlainLoad, realworld: Path) -> None:
    """Every dashboard file becomes a dashboard; only the log dashboards, all of whose queries go to Loki, are
    left without panels."""
    manifest = json.loads((realworld / "manifest.json").read_text(encoding="utf-8"))
    assert len(manifest["dashboards"]) == len(corpus.project.dashboards)
    empty = [Path(d.location.path).name for d in corpus.project.dashboards if not d.all_panels()]
    assert 7 == len(empty)
    assert all("logs" in name for name in empty)


def test_parse_json_agrees_with_json_loads_on_the_corpus(realworld: Path) -> None:
    """The line-tracking parser gives the same data as `json.loads` for every real dashboard."""
    for path in sorted(realworld.glob("dashboards/**/*.json")):
        text = path.read_text(encoding="utf-8")
        assert json.loads(text) == parse_json(text), path
