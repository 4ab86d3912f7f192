"""lint's verdict on each PromQL expression of tests/oracle/expressions.yml against real promtool 2.42's.

The verdicts were produced by tests/oracle/generate.py running `promtool check rules`; here every expression
becomes a recording rule of one plain rule file, linted as `monitoring-dsl lint rules.yml` would with the
default target (Prometheus 2.42), and an expression counts as refused when lint reports one of the codes for
what Prometheus refuses to load. docs/promql-compatibility.md lists each remaining disagreement.
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from monitoring_dsl.compiler import lint
from monitoring_dsl.model.settings import Settings
from monitoring_dsl.sources import Sources

ORACLE = Path(__file__).parent / "oracle" / "expressions.yml"
REFUSED = {"Q200", "Q214"}  # what Prometheus refuses to parse or load
THRESHOLD = 0.995
FIRST_LINE = 4  # line of the first rule in the file written below; each rule takes two lines (record, expr)


def _entries() -> list[dict[str, str]]:
    entries = yaml.safe_load(ORACLE.read_text(encoding="utf-8"))
    assert isinstance(entries, list)
    return entries


def _lint_verdicts(tmp_path: Path, exprs: list[str]) -> list[str]:
    lines = ["groups:", "  - name: oracle", "    rules:"]
    for index, expr in enumerate(exprs):
        lines += [f"      - record: oracle_{index}", f"        expr: {json.dumps(expr, ensure_ascii=False)}"]
    rules = tmp_path / "rules.yml"
    rules.write_text("\n".join(lines) + "\n", encoding="utf-8")
    diagnostics = lint([rules], tmp_path, Sources(), Settings(prometheus_version="2.42")).diagnostics
    refused = {d.location.line for d in diagnostics if d.code in REFUSED and d.location is not None}
    unexpected = [d for d in diagnostics if d.code.startswith("E")]
    assert not unexpected, [f"{d.code} {d.message}" for d in unexpected]
    return [
        "invalid" if {FIRST_LINE + 2 * index, FIRST_LINE + 2 * index + 1} & refused else "valid"
        for index in range(len(exprs))
    ]


def test_the_oracle_has_both_verdicts() -> None:
    """The stored verdicts are promtool's: both kinds present, every invalid one with promtool's message."""
    entries = _entries()
    assert len(entries) >= 300
    assert {e["promtool"] for e in entries} == {"valid", "invalid"}
    assert all(e.get("error") for e in entries if e["promtool"] == "invalid")


def test_lint_agrees_with_promtool(tmp_path: Path) -> None:
    """lint accepts what promtool 2.42 accepts and refuses what it refuses, on at least 99.5% of expressions."""
    entries = _entries()
    verdicts = _lint_verdicts(tmp_path, [e["expr"] for e in entries])
    disagreements = [
        f"{entry['expr']!r}: promtool {entry['promtool']}, lint {verdict} ({entry.get('error', '')})"
        for entry, verdict in zip(entries, verdicts, strict=True)
        if entry["promtool"] != verdict
    ]
    agreement = 1 - len(disagreements) / len(entries)
    assert agreement >= THRESHOLD, f"{agreement:.2%} agreement; disagreements:\n" + "\n".join(disagreements)
