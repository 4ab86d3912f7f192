"""`monitoring-dsl import`: dashboards and rule files become spec modules that build back to the same output."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from monitoring_dsl.review.import_specs import import_paths
from monitoring_dsl.review.roundtrip import round_trip
from tests.conftest import run_cli, write_specs

BOARD = {
    "title": "Checkout",
    "uid": "checkout",
    "tags": ["shop"],
    "templating": {
        "list": [
            {"name": "datasource", "type": "datasource", "query": "prometheus"},
            {
                "name": "instance",
                "type": "query",
                "datasource": {"type": "prometheus", "uid": "${datasource}"},
                "definition": "label_values(checkout_requests_total, instance)",
                "query": {"query": "label_values(checkout_requests_total, instance)"},
                "multi": True,
                "includeAll": True,
            },
        ]
    },
    "panels": [
        {"type": "row", "title": "Traffic", "gridPos": {"x": 0, "y": 0, "w": 24, "h": 1}, "panels": []},
        {
            "type": "timeseries",
            "title": "Requests",
            "gridPos": {"x": 0, "y": 1, "w": 16, "h": 9},
            "fieldConfig": {"defaults": {"unit": "reqps"}},
            "targets": [
                {
                    "expr": 'sum by (status) (rate(checkout_requests_total{instance=~"$instance"}[$__rate_interval]))',
                    "legendFormat": "{{status}}",
                },
                {"expr": "sum(rate(checkout_requests_total[$__rate_interval]))", "refId": "B"},
            ],
        },
        {
            "type": "stat",
            "title": "Queue",
            "gridPos": {"x": 16, "y": 1, "w": 8, "h": 9},
            "fieldConfig": {
                "defaults": {
                    "unit": "short",
                    "thresholds": {
                        "mode": "absolute",
                        "steps": [{"color": "green", "value": 0}, {"color": "red", "value": 100}],
                    },
                }
            },
            "targets": [{"expr": "max(checkout_queue_depth)", "refId": "A"}],
        },
        {
            "type": "row",
            "title": "Latency",
            "collapsed": True,
            "gridPos": {"x": 0, "y": 10, "w": 24, "h": 1},
            "panels": [
                {
                    "type": "graph",
                    "title": "p99",
                    "gridPos": {"x": 0, "y": 11, "w": 24, "h": 8},
                    "yaxes": [{"format": "s"}, {"format": "short"}],
                    "targets": [
                        {
                            "refId": "A",
                            "expr": "histogram_quantile(0.99, sum by (le) (rate(checkout_duration_seconds_bucket[5m])))",  # noqa: E501
                        }
                    ],
                }
            ],
        },
    ],
}

RULES = """
groups:
  - name: checkout
    interval: 30s
    rules:
      - record: job:checkout_requests:rate5m
        expr: sum by (job) (rate(checkout_requests_total[5m]))
      - alert: CheckoutErrors
        expr: |
          sum(rate(checkout_requests_total{status=~"5.."}[5m]))
            / sum(job:checkout_requests:rate5m) > 0.05
        for: 10m
        keep_firing_for: 15m
        labels:
          severity: page
          team: shop
        annotations:
          summary: "Checkout errors at {{ $value | humanizePercentage }}"
          runbook_url: https://runbooks.example.com/checkout
"""

PROMETHEUS_RULE = """
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata:
  name: checkout
spec:
  groups:
    - name: checkout.queue
      rules:
        - alert: QueueBacklog
          expr: max(checkout_queue_depth) > 100
          for: 5m
          labels:
            severity: warning
"""


def _write(tmp_path: Path, name: str, content: object) -> Path:
    path = tmp_path / name
    path.write_text(content if isinstance(content, str) else json.dumps(content, indent=2), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "shape",
    [
        pytest.param(BOARD, id="provisioning file"),
        pytest.param({"dashboard": BOARD, "meta": {"slug": "checkout"}}, id="API export"),
    ],
)
def test_dashboard_round_trips_exactly(tmp_path: Path, shape: object) -> None:
    """Rows (a collapsed one too), layout, queries, units, thresholds and variables survive import and build."""
    result = round_trip(_write(tmp_path, "checkout.json", shape))
    assert (None, ()) == (result.failure, result.differences)


@pytest.mark.parametrize("text", [RULES, PROMETHEUS_RULE], ids=["rule file", "PrometheusRule"])
def test_rule_file_round_trips_exactly(tmp_path: Path, text: str) -> None:
    """Groups, interval, records and alerts with their labels and annotations survive import and build."""
    result = round_trip(_write(tmp_path, "checkout.yml", textwrap.dedent(text)))
    assert (None, ()) == (result.failure, result.differences)


def test_panels_outside_the_vocabulary_are_kept(tmp_path: Path) -> None:
    """An alert list (no query), a status-history panel, a Loki datasource and a variable querying it survive
    the round trip through `extra=`."""
    board = json.loads(json.dumps(BOARD))
    board["panels"][1:1] = [
        {
            "type": "alertlist",
            "title": "Firing",
            "gridPos": {"x": 0, "y": 1, "w": 24, "h": 4},
            "options": {"maxItems": 10},
        },
        {
            "type": "status-history",
            "title": "States",
            "gridPos": {"x": 0, "y": 5, "w": 24, "h": 4},
            "targets": [{"refId": "A", "expr": "max(checkout_queue_depth)"}],
        },
    ]
    board["templating"]["list"] += [
        {"name": "logs", "type": "datasource", "query": "loki"},
        {
            "name": "app",
            "type": "query",
            "datasource": {"type": "loki", "uid": "${logs}"},
            "query": 'label_values({job="checkout"}, app)',
            "hide": 0,
        },
    ]
    result = round_trip(_write(tmp_path, "checkout.json", board))
    assert (None, ()) == (result.failure, result.differences)
    built = import_paths([tmp_path / "checkout.json"])
    module = built.files["checkout.py"]
    assert '"datasource": {"type": "loki", "uid": "${logs}"}' in module  # the variable, kept through extra=
    assert 'extra={"type": "alertlist", "options": {"maxItems": 10}}' in module
    assert 'extra={"type": "status-history"}' in module


def test_panels_above_the_first_row_round_trip(tmp_path: Path) -> None:
    """A panel above the first row is imported into `panels=` beside `rows=` and built back in its place."""
    board = json.loads(json.dumps(BOARD))
    for panel in board["panels"]:
        panel["gridPos"]["y"] += 3
        for inner in panel.get("panels", []):
            inner["gridPos"]["y"] += 3
    up = {"type": "stat", "title": "Up", "gridPos": {"x": 0, "y": 0, "w": 24, "h": 3}, "targets": [{"expr": "min(up)"}]}
    board["panels"].insert(0, up)
    result = round_trip(_write(tmp_path, "checkout.json", board))
    assert (None, ()) == (result.failure, result.differences)
    module = import_paths([tmp_path / "checkout.json"]).files["checkout.py"]
    assert '    panels=[Stat("Up", [Target("min(up)")], grid_pos=[0, 0, 24, 3])],\n' in module


def test_round_trip_reports_what_is_lost(tmp_path: Path) -> None:
    """A target with an empty expression is not imported (Grafana does not run it); the round trip names the
    legend that went with it."""
    board = json.loads(json.dumps(BOARD))
    board["panels"][1]["targets"].append({"refId": "C", "expr": "", "legendFormat": "spare"})
    result = round_trip(_write(tmp_path, "checkout.json", board))
    assert not result.exact
    changes = [(c.kind, c.action, c.subject, [(f.name, f.old, f.new) for f in c.fields]) for c in result.differences]
    assert [("panel", "changed", "Checkout / Traffic / Requests", [("legend C", "spare", None)])] == changes


def test_dashboard_module_is_idiomatic(tmp_path: Path) -> None:
    """Rows and variables are spelled as a person would write them, with defaults left out."""
    files = import_paths([_write(tmp_path, "checkout.json", BOARD)]).files
    module = files["checkout.py"]
    assert "from monitoring_dsl import Dashboard, Row, Stat, Target, Threshold, TimeSeries, Variable\n" in module
    assert '        Row(\n            "Latency",\n' in module
    assert "collapsed=True" in module
    assert 'thresholds=[Threshold("green"), Threshold("red", 100)]' in module
    assert "datasource" not in module  # monitoring-dsl adds the datasource variable itself
    assert "allow=" not in module and "extra=" not in module


def test_catalog_infers_metric_types_and_labels(tmp_path: Path) -> None:
    """`_bucket` series make a histogram, `_total` a counter, the rest gauges; records are not metrics."""
    files = import_paths([_write(tmp_path, "checkout.json", BOARD), _write(tmp_path, "rules.yml", RULES)]).files
    catalog = files["catalog.py"]
    assert 'checkout_duration_seconds = Histogram(\n    "checkout_duration_seconds",' in catalog
    assert 'labels=["instance", "job", "status"]' in catalog  # matchers and `by` clauses of both files
    assert 'checkout_queue_depth = Gauge("checkout_queue_depth", "Inferred by monitoring-dsl import' in catalog
    assert "Inferred by monitoring-dsl import" in catalog
    assert "job:checkout_requests:rate5m" not in catalog


def test_group_and_alert_options_are_imported(tmp_path: Path) -> None:
    """A group's interval and an alert's keep_firing_for are spelled in the module (and compared on the round
    trip, which a dropped value would fail)."""
    module = import_paths([_write(tmp_path, "rules.yml", textwrap.dedent(RULES))]).files["rules.py"]
    assert 'interval="30s"' in module
    assert 'keep_firing_for="15m"' in module


def test_generated_modules_are_formatted(tmp_path: Path) -> None:
    """The modules are exactly what ruff's formatter would write (the project's line length)."""
    out = tmp_path / "specs"
    run = run_cli(
        "import",
        str(_write(tmp_path, "checkout.json", BOARD)),
        str(_write(tmp_path, "r.yml", RULES)),
        "--out",
        str(out),
        cwd=tmp_path,
    )
    assert run.code == 0, run.stderr
    check = subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--check", "--line-length", "120", "--no-cache", str(out)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert 0 == check.returncode, check.stdout + check.stderr


def test_import_then_build_from_the_command_line(tmp_path: Path) -> None:
    """`import` writes the modules and `build` accepts them as they are."""
    run = run_cli("import", str(_write(tmp_path, "checkout.json", BOARD)), "--out", "specs", cwd=tmp_path)
    assert run.code == 0, run.stderr
    assert "wrote 2 files in specs (1 dashboards, 0 rule groups with 0 rules, 3 inferred metrics)" in run.stdout
    assert ["catalog.py", "checkout.py"] == sorted(p.name for p in (tmp_path / "specs").iterdir())
    build = run_cli("build", cwd=tmp_path)
    assert build.code == 0, build.stderr
    assert (tmp_path / "build" / "grafana" / "dashboards" / "checkout.json").is_file()


def test_existing_modules_are_not_overwritten(tmp_path: Path) -> None:
    """A module of the same name already in --out is E056 and nothing is written; --force replaces it."""
    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "catalog.py").write_text("# mine\n")
    source = str(_write(tmp_path, "checkout.json", BOARD))
    run = run_cli("import", source, "--out", "specs", cwd=tmp_path)
    assert run.code == 2
    assert "E056 specs already has catalog.py" in run.stderr
    assert "# mine\n" == (tmp_path / "specs" / "catalog.py").read_text()
    assert not (tmp_path / "specs" / "checkout.py").exists()
    assert run_cli("import", source, "--out", "specs", "--force", cwd=tmp_path).code == 0
    assert "Histogram" in (tmp_path / "specs" / "catalog.py").read_text()


def test_panels_above_rows_are_laid_out_first(tmp_path: Path) -> None:
    """`Dashboard(panels=..., rows=...)` places the loose panels at the top and the rows below them."""
    root = write_specs(
        tmp_path,
        {
            "api.py": """
                from monitoring_dsl import Counter, Dashboard, Row, Stat, TimeSeries

                requests = Counter("http_requests_total", "Requests")
                board = Dashboard("API", uid="api", panels=[Stat("Total", "sum(http_requests_total)")], rows=[
                    Row("Traffic", [TimeSeries("Rate", "sum(rate(http_requests_total[$__rate_interval]))")]),
                ])
            """
        },
    )
    assert run_cli("build", cwd=root).code == 0
    board = json.loads((root / "build" / "grafana" / "dashboards" / "api.json").read_text())
    placed = [(p["type"], p["title"], p["gridPos"]["y"]) for p in board["panels"]]
    assert [("stat", "Total", 0), ("row", "Traffic", 5), ("timeseries", "Rate", 6)] == placed
