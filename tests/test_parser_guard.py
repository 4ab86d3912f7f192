"""The PromQL guard holds for every spelling, and no query it admits crashes or recurses out of a walk.

Each build runs in a subprocess: a SIGSEGV in the native parser would kill pytest itself otherwise.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

from monitoring_dsl.promql import analysis
from monitoring_dsl.promql.parser import MAX_OPERATORS, Parsed, SyntaxProblem, parse
from tests.conftest import run_cli, write_specs

CATALOG = """
from monitoring_dsl import Alert, Gauge, RuleGroup

{metrics}
RuleGroup("g", [Alert("Big", {expr!r}, for_="5m", severity="warning", summary="s")])
"""


def _chain(operator: str, terms: int) -> str:
    return f" {operator} ".join(f"m{i % 10}" for i in range(terms))


def _spec(expr: str) -> str:
    metrics = "\n".join(f'm{i} = Gauge("m{i}", "m")' for i in range(10))
    return CATALOG.format(metrics=metrics, expr=expr)


@pytest.mark.parametrize("operator", ["OR", "And", "UNLESS", "or"])
def test_thousands_of_operators_in_any_case_are_refused_not_a_crash(tmp_path: Path, operator: str) -> None:
    write_specs(tmp_path, {"rules.py": _spec(_chain(operator, 5000))})
    run = run_cli("build", cwd=tmp_path, timeout=60)
    assert run.code == 2, (run.code, run.stderr[-2000:])
    assert "Q200" in run.stderr and f"the limit is {MAX_OPERATORS}" in run.stderr
    assert "Traceback" not in run.stderr


@pytest.mark.parametrize("operator", ["or", "OR", "+", "and", "unless", "/"])
def test_deep_chains_the_guard_admits_are_analysed_without_recursion(operator: str) -> None:
    """990 chained operators build a tree 990 levels deep: every fact about it is computed."""
    text = _chain(operator, 991)
    parsed = parse(text)
    assert isinstance(parsed, Parsed), parsed
    previous = sys.getrecursionlimit()
    sys.setrecursionlimit(200)  # far below the tree's depth: any recursive walk fails loudly
    try:
        labels_of = lambda name: frozenset({"job"})  # noqa: E731
        assert len(analysis.selectors(parsed)) == 991
        assert len(analysis.series_uses(parsed)) == 991
        assert analysis.output_labels(parsed, labels_of) is not None
        operations = analysis.binary_operations(parsed, labels_of)
        assert len(operations) == 990
        assert analysis.range_arguments(parsed) == []
        assert analysis.top_aggregation(parsed) is None
        assert analysis.features(parsed) == []
        assert analysis.function_names(parsed) == []
    finally:
        sys.setrecursionlimit(previous)


def test_deep_nesting_of_calls_and_aggregations_is_analysed_without_recursion() -> None:
    text = "sum(" * 120 + "rate(m0[5m])" + ")" * 120
    parsed = parse(text)
    assert isinstance(parsed, Parsed), parsed
    previous = sys.getrecursionlimit()
    sys.setrecursionlimit(100)
    try:
        assert analysis.top_aggregation(parsed) == "sum"
        uses = analysis.series_uses(parsed)
        assert [len(use.path) for use in uses] == [121]
        assert analysis.output_labels(parsed, lambda name: frozenset({"job"})) == frozenset()
        assert [r.function for r in analysis.range_arguments(parsed)] == ["rate"]
    finally:
        sys.setrecursionlimit(previous)


def test_uppercase_operator_count_matches_lowercase() -> None:
    lower, upper = parse(_chain("or", 1500)), parse(_chain("OR", 1500))
    assert isinstance(lower, SyntaxProblem) and isinstance(upper, SyntaxProblem)
    assert lower.message == upper.message


def test_a_deep_admitted_chain_builds_through_the_cli(tmp_path: Path) -> None:
    write_specs(tmp_path, {"rules.py": _spec(_chain("OR", 990) + " > 1")})
    started = time.monotonic()
    run = run_cli("build", cwd=tmp_path, timeout=60)
    assert "Traceback" not in run.stderr and "RecursionError" not in run.stderr, run.stderr[-2000:]
    assert run.code in (0, 2), run.stderr[-2000:]
    assert time.monotonic() - started < 30


def test_small_and_large_query_paths_agree(monkeypatch: pytest.MonkeyPatch) -> None:
    """binary_operations analyses big trees in one bottom-up pass: it must agree with the per-operator path."""
    parts = [
        "sum by (job) (rate(m0[5m]))",
        "m1",
        "m2 * 2",
        "m3",
        "vector(1)",
        "label_replace(m4, 'x', '$1', 'job', '(.*)')",
        "histogram_quantile(0.9, sum by (le) (rate(m5[5m])))",
    ]
    operators = ["/ on (job) group_left (instance)", "+ ignoring (code)", "or", "and", "unless", "*", "> bool"]
    text = " ".join(f"({part}) {operators[i % len(operators)]}" for i, part in enumerate(parts * 3)) + " m9"
    parsed = parse(text)
    assert isinstance(parsed, Parsed), parsed

    def labels_of(name: str) -> frozenset[str] | None:
        return None if name == "m3" else frozenset({"job", "instance", "code", "le"})

    big = analysis.binary_operations(parsed, labels_of)
    assert len(big) > analysis._FEW_OPERATORS
    monkeypatch.setattr(analysis, "_FEW_OPERATORS", 10_000)
    assert analysis.binary_operations(parsed, labels_of) == big
