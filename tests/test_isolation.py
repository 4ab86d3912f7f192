"""No exception in one check or on one object stops the run (E045), and arbitrary input never crashes lint."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monitoring_dsl.checks import REGISTRY, CheckContext
from monitoring_dsl.compiler import lint
from monitoring_dsl.diagnostics import Diagnostic
from monitoring_dsl.model.settings import Settings
from monitoring_dsl.sources import Sources
from tests.conftest import run_cli

RULES = """\
groups:
  - name: api
    rules:
      - record: job:boom_metric:sum
        expr: sum by (job) (boom_metric)
      - alert: QueueGrowing
        expr: sum(rate(queue_total[30s])) > 0
        for: 10m
        labels: {severity: warning}
        annotations: {summary: queue grows}
      - record: job:fine_total:rate5m
        expr: sum by (job) (rate(fine_total[5m]))
"""


def _exploding_q206(monkeypatch: pytest.MonkeyPatch) -> None:
    """Q206 raises on the query that selects `boom_metric` and otherwise behaves as itself."""
    info = REGISTRY["Q206"]
    original = info.function
    assert original is not None

    def exploding(ctx: CheckContext) -> Iterator[Diagnostic]:
        for query in ctx.queries:
            if "boom_metric" in query.text:
                raise ValueError("number too large to fit in target type")
        yield from original(ctx)

    monkeypatch.setitem(REGISTRY, "Q206", attrs.evolve(info, function=exploding))


def test_a_failing_check_names_itself_and_the_object(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The exception becomes E045 at the object's line naming check and object; the check's other findings
    (Q206 on the short range) and other checks' findings are still reported, and lint exits 2."""
    _exploding_q206(monkeypatch)
    (tmp_path / "rules.yml").write_text(RULES, encoding="utf-8")
    run = run_cli("lint", "--format", "json", "rules.yml", cwd=tmp_path)
    found = json.loads(run.stdout)
    internal = [d for d in found if d["code"] == "E045"]
    assert len(internal) == 1
    assert internal[0]["line"] == 4
    assert "check Q206 (range-too-short) failed on record 'job:boom_metric:sum'" in internal[0]["message"]
    assert "ValueError: number too large" in internal[0]["message"]
    assert [d["line"] for d in found if d["code"] == "Q206"] == [6]
    assert run.code == 2
    assert "Traceback" not in run.stderr


def test_a_pathological_rule_among_good_ones(tmp_path: Path) -> None:
    """`x[300000000y]`, which once killed the run, is a Q200 at its rule; the other rules' findings remain."""
    rules = RULES.replace("sum by (job) (boom_metric)", "sum by (job) (rate(boom_metric_total[300000000y]))")
    (tmp_path / "rules.yml").write_text(rules, encoding="utf-8")
    run = run_cli("lint", "--format", "json", "rules.yml", cwd=tmp_path)
    found = {(d["code"], d["line"]) for d in json.loads(run.stdout)}
    assert {("Q200", 4), ("Q206", 6)} <= found
    assert not any(code == "E045" for code, _ in found)
    assert run.code == 1


_PROMQL_TOKENS = st.sampled_from(
    [
        *("x", "up", "rate(", "sum", " by ", "(", ")", "[", "]", "{", "}", "=~", "!~", "=", ",", " offset ", " @ "),
        *("5m", "5", "1e400", "300000000y", "0x", "-", "+", "/", " > ", " and ", "`", '"', "'", "\\", ":", "anchored"),
        *("histogram_quantile(0.9, ", "label_replace(", "topk(", "$__rate_interval", "${var}", "#", "\n", "é"),
    ]
)
_PROMQL = st.one_of(st.text(max_size=60), st.lists(_PROMQL_TOKENS, max_size=25).map("".join))
_TEMPLATE = st.one_of(
    st.text(max_size=40),
    st.lists(
        st.sampled_from(
            ["{{", "}}", " $value", " $labels.job", " humanize", " | ", "query ", '"up"', " range ", "end", "if "]
        ),
        max_size=15,
    ).map("".join),
)
_SCALAR = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=20), _PROMQL)
_YAML_VALUE = st.recursive(
    _SCALAR,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)


@st.composite
def _rule_files(draw: st.DrawFn) -> str:
    """A rule file: mostly well-formed groups of alerts and records with arbitrary expressions and templates,
    sometimes an arbitrary YAML value in any place."""
    rules = []
    for _ in range(draw(st.integers(1, 4))):
        if draw(st.booleans()):
            rule: dict[str, object] = {"alert": draw(st.text(max_size=12)) or "A", "expr": draw(_PROMQL)}
            rule["annotations"] = {"summary": draw(_TEMPLATE), "runbook_url": draw(st.text(max_size=20))}
            rule["for"] = draw(st.sampled_from(["5m", "0s", "", "1x", "300000000y"]))
        else:
            rule = {"record": draw(st.text(max_size=12)) or "r", "expr": draw(_PROMQL)}
        if draw(st.integers(0, 4)) == 0:
            rule[draw(st.text(max_size=8))] = draw(_YAML_VALUE)
        rules.append(rule)
    document: object = {"groups": [{"name": draw(st.text(max_size=8)), "rules": rules}]}
    if draw(st.integers(0, 5)) == 0:
        document = draw(_YAML_VALUE)
    return yaml.safe_dump(document, allow_unicode=True)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.one_of(_rule_files(), st.text(max_size=200)))
def test_arbitrary_rule_files_never_crash_lint(tmp_path: Path, text: str) -> None:
    """Whatever the rule file holds, lint returns diagnostics, none of them an internal error."""
    path = tmp_path / "rules.yml"
    path.write_text(text, encoding="utf-8")
    diagnostics = lint([path], tmp_path, Sources(), Settings()).diagnostics
    assert not [d.message for d in diagnostics if d.code == "E045" or "could not import" in d.message]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(expr=_PROMQL, title=st.text(max_size=20), legend=_TEMPLATE)
def test_arbitrary_dashboard_queries_never_crash_lint(tmp_path: Path, expr: str, title: str, legend: str) -> None:
    """A dashboard whose panel and variable hold arbitrary queries is linted without an internal error."""
    dashboard = {
        "title": title or "d",
        "uid": "fuzz",
        "templating": {"list": [{"name": "var", "type": "query", "query": f"label_values({expr}, job)"}]},
        "panels": [
            {
                "type": "timeseries",
                "title": title,
                "gridPos": {"x": 0, "y": 0, "w": 12, "h": 8},
                "targets": [{"expr": expr, "legendFormat": legend, "refId": "A"}],
            }
        ],
    }
    path = tmp_path / "dashboard.json"
    path.write_text(json.dumps(dashboard), encoding="utf-8")
    diagnostics = lint([path], tmp_path, Sources(), Settings()).diagnostics
    assert not [d.message for d in diagnostics if d.code == "E045" or "could not import" in d.message]
