"""What a plain dashboard JSON says beyond the model (repeats, declared names, rows) is recorded at load, with
the line of each `repeat` key, and the checks read those facts instead of the file's text."""

from __future__ import annotations

import json
from pathlib import Path

from monitoring_dsl.compiler import lint
from monitoring_dsl.load.json_positions import parse_json
from monitoring_dsl.load.plain import import_file
from monitoring_dsl.model.dashboards import Dashboard
from monitoring_dsl.model.rules import Alert
from monitoring_dsl.model.settings import Settings
from monitoring_dsl.sources import Sources

BOARD = """{
  "dashboard": {
    "title": "Queues",
    "__inputs": [{"name": "DS_PROM", "type": "datasource", "pluginId": "prometheus"}],
    "templating": {"list": [
      {"name": "queue", "type": "query", "query": "label_values(jobs_queued, queue)"},
      {"name": "spare", "type": "custom", "query": "a,b"}
    ]},
    "panels": [
      {"type": "row", "title": "Per $queue", "repeat": "queue", "panels": []},
      {"type": "timeseries", "title": "Backlog",
       "repeat": "queu",
       "targets": [{"expr": "sum(jobs_queued{queue=\\"$queue\\"})"}]}
    ]
  },
  "meta": {"note": "${spare}"}
}
"""


def _dashboard(tmp_path: Path, text: str) -> Dashboard:
    path = tmp_path / "board.json"
    path.write_text(text, encoding="utf-8")
    imported = import_file(path)
    [dashboard] = [obj for obj in imported.declared if isinstance(obj, Dashboard)]
    return dashboard


def test_the_import_records_repeats_names_references_and_rows_of_the_whole_file(tmp_path: Path) -> None:
    facts = _dashboard(tmp_path, BOARD).imported
    assert facts is not None
    assert facts.repeats == (("queue", 10), ("queu", 12))
    assert {"DS_PROM", "queue", "spare"} <= facts.names
    assert {"queue", "spare"} <= facts.references  # `meta` is outside the board and still counts
    assert facts.has_rows


def test_a_legacy_rows_list_counts_as_rows_and_minified_json_keeps_its_lines(tmp_path: Path) -> None:
    board = {"title": "Old", "rows": [{"title": "A", "repeat": "host", "panels": []}]}
    facts = _dashboard(tmp_path, json.dumps(board)).imported
    assert facts is not None
    assert facts.repeats == (("host", 1),)
    assert facts.has_rows
    flat = _dashboard(tmp_path, json.dumps({"title": "Flat", "rows": [], "panels": []})).imported
    assert flat is not None and not flat.has_rows and flat.repeats == ()


def test_a_spec_dashboard_has_no_imported_facts() -> None:
    assert Dashboard("API").imported is None


def test_keys_remember_their_line() -> None:
    data = parse_json('{\n "a": 1,\n\n "b": {"c": 2}\n}')
    assert data.key_lines == {"a": 2, "b": 4}
    assert data["b"].key_lines == {"c": 4}


def test_checks_read_the_facts(tmp_path: Path) -> None:
    path = tmp_path / "board.json"
    path.write_text(BOARD, encoding="utf-8")
    result = lint([path], tmp_path, Sources(), Settings())
    found = [(d.code, d.location.line if d.location else None) for d in result.diagnostics]
    assert ("D514", 12) in found  # the repeat by an undefined variable, at its key's line
    assert not [code for code, _ in found if code == "D508"]  # `spare` is used in `meta`, `queue` by the repeat


RULES = """groups:
  - name: api
    rules:
      - alert: Quoted
        expr: up == 0
        "for": 5m
        labels: {team: api}
        annotations:
          summary: down
      - alert: Last
        expr: up == 0
        labels:
          severity: page"""


def test_rule_items_record_where_their_keys_start_a_line(tmp_path: Path) -> None:
    path = tmp_path / "rules.yml"
    path.write_text(RULES, encoding="utf-8")
    quoted, last = [obj for obj in import_file(path).declared if isinstance(obj, Alert)]
    assert quoted.marks is not None and last.marks is not None
    assert quoted.marks.keys["alert"] == (4, 9)
    assert quoted.marks.keys["for"] == (6, 10)  # the key's text, inside its quotes
    assert quoted.marks.keys["summary"] == (9, 11)
    assert "team" not in quoted.marks.keys  # a flow mapping's key does not start a line
    assert quoted.marks.last_line == 9
    assert last.marks.keys["severity"] == (13, 11)
    assert last.marks.last_line == 13  # the file's last line, though it ends without a newline
    assert Alert("Spec", "up == 0").marks is None
