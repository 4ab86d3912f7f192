"""Work linear in the input: variable substitution, finding locations in big JSON, bounded reads."""

from __future__ import annotations

import json
import random
import time
from pathlib import Path

from monitoring_dsl.promql import macros
from monitoring_dsl.promql.macros import VariableInfo, substitute
from tests.conftest import run_cli


def _inside_quotes_reference(text: str, position: int) -> bool:
    """The scan-from-the-start definition the incremental scanner must agree with."""
    quote = None
    index = 0
    while index < position:
        char = text[index]
        if quote:
            if char == "\\":
                index += 1
            elif char == quote:
                quote = None
        elif char == "#":
            newline = text.find("\n", index)
            if newline < 0 or newline >= position:
                return False
            index = newline
        elif char in "\"'`":
            quote = char
        index += 1
    return quote is not None


def test_thirty_thousand_variable_references_substitute_quickly() -> None:
    query = " + ".join(f'sum(rate(m{{a="$v{i % 7}"}}[$__rate_interval])) * $v{i % 7}' for i in range(15_000))
    variables = {f"v{i}": VariableInfo("query", "") for i in range(7)}
    started = time.monotonic()
    result = substitute(query, variables)
    elapsed = time.monotonic() - started
    assert result.text.count("grafana_var__v") == 15_000  # outside quotes: placeholders
    assert result.text.count('"value"') == 15_000  # inside quotes: a plain value
    assert elapsed < 2.0, f"substituting 45,000 references took {elapsed:.1f}s"
    last = result.text.rindex("grafana_var__v")
    assert query[result.original_offset(last)] == "$"


def test_quote_scanner_agrees_with_a_scan_from_the_start() -> None:
    rng = random.Random(8)
    alphabet = "ab $\"'`\\#\n{}="
    for _ in range(2000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        positions = sorted({rng.randint(0, len(text)) for _ in range(rng.randint(1, 8))})
        scanner = macros._QuoteScanner(text)
        for position in positions:
            assert scanner.inside(position) == _inside_quotes_reference(text, position), (text, position)


def _minified_dashboard(panels: int) -> str:
    board = {
        "title": "Big",
        "uid": "big",
        "schemaVersion": 39,
        "panels": [
            {
                "id": i,
                "type": "timeseries",
                "title": f"Panel number {i}",
                "gridPos": {"x": 0, "y": i * 8, "w": 12, "h": 8},
                "datasource": {"type": "prometheus", "uid": "prom"},
                "targets": [{"refId": "A", "expr": f'sum(rate(http_requests_total{{job="a{i}"}}[5m]))'}],
            }
            for i in range(panels)
        ],
    }
    return json.dumps(board, separators=(",", ":"))


def test_findings_in_minified_json_are_located_per_panel_in_linear_time(tmp_path: Path) -> None:
    """A one-line 1.1 MB dashboard: every panel's finding points at that panel, found without rescanning."""
    text = _minified_dashboard(5000)
    assert len(text) > 1_100_000 and "\n" not in text
    (tmp_path / "big.json").write_text(text)
    started = time.monotonic()
    run = run_cli("lint", "big.json", "--format", "json", "--select", "D505,D507", cwd=tmp_path, timeout=120)
    elapsed = time.monotonic() - started
    findings = json.loads(run.stdout)
    fixed_windows = [f for f in findings if f["code"] == "D507"]
    assert len(fixed_windows) == 5000, "each panel's [5m] is its own finding, at its own column"
    columns = [f["column"] for f in fixed_windows]
    for column, i in zip(sorted(columns), range(5000), strict=True):
        assert text[column - 1 :].startswith("[5m]")
        assert text.rfind('"title":"Panel number ', 0, column) == text.find(f'"title":"Panel number {i}"')
    assert elapsed < 30, f"linting took {elapsed:.1f}s"
