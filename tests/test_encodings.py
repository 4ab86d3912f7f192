"""Every encoding Python and Prometheus accept is read; text that cannot be encoded is reported, never a crash.

Also: `lint` reads regular files only, and symlink loops are diagnostics.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from monitoring_dsl import checkcache
from monitoring_dsl.load.limits import unencodable_text
from monitoring_dsl.load.specs import load
from tests.conftest import run_cli, write_specs

SPEC = """\
from monitoring_dsl import Counter, Dashboard, TimeSeries

requests = Counter("http_requests_total", "Requests", labels=["code"])
Dashboard("Caf\u00e9", uid="api", panels=[TimeSeries("Rate", "sum(rate(http_requests_total[5m]))", unit="reqps")])
"""

RULES = """\
groups:
  - name: api
    rules:
      - alert: Down
        expr: up == 0
        for: 5m
        labels: {severity: critical}
        annotations: {summary: "Caf\u00e9 down", runbook_url: "https://runbooks.example/down"}
"""

DASHBOARD = {
    "title": "Caf\u00e9",
    "uid": "cafe",
    "schemaVersion": 39,
    "panels": [
        {
            "id": 1,
            "type": "timeseries",
            "title": "Rate",
            "gridPos": {"x": 0, "y": 0, "w": 12, "h": 8},
            "datasource": {"type": "prometheus", "uid": "prom"},
            "fieldConfig": {"defaults": {"unit": "reqps"}},
            "targets": [{"refId": "A", "expr": "sum(rate(http_requests_total[$__rate_interval]))"}],
        }
    ],
}


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("bom", b"\xef\xbb\xbf" + SPEC.encode()),
        ("latin1", b"# -*- coding: latin-1 -*-\n" + SPEC.encode("latin-1")),
        ("cp1252", b"# vim: set fileencoding=cp1252 :\n" + SPEC.encode("cp1252")),
    ],
)
def test_spec_files_in_the_encodings_python_reads_build(tmp_path: Path, name: str, data: bytes) -> None:
    write_specs(tmp_path, {"api.py": data})  # type: ignore[dict-item]
    run = run_cli("build", cwd=tmp_path)
    assert run.code == 0, run.stderr
    board = json.loads((tmp_path / "build/grafana/dashboards/api.json").read_text(encoding="utf-8"))
    assert board["title"] == "Caf\u00e9"


def test_spec_not_in_its_declared_encoding_is_e003(tmp_path: Path) -> None:
    write_specs(tmp_path, {"api.py": b"# coding: ascii\n" + SPEC.encode()})  # type: ignore[dict-item]
    run = run_cli("build", cwd=tmp_path)
    assert run.code == 2
    assert "E003" in run.stderr and "not ascii" in run.stderr and "Traceback" not in run.stderr


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-32", "utf-32-be", "utf-8-sig"])
def test_rule_files_and_dashboards_with_a_byte_order_mark_are_read(tmp_path: Path, encoding: str) -> None:
    bom = {"utf-16-be": b"\xfe\xff", "utf-32-be": b"\x00\x00\xfe\xff"}.get(encoding, b"")
    (tmp_path / "rules.yml").write_bytes(bom + RULES.encode(encoding))
    (tmp_path / "board.json").write_bytes(bom + json.dumps(DASHBOARD, ensure_ascii=False).encode(encoding))
    run = run_cli("lint", "rules.yml", "board.json", cwd=tmp_path)
    assert run.code == 0, run.stdout  # an unreadable file would be an E008 error
    assert "no problems in 2 files" in run.stderr
    assert "Caf" not in run.stdout


def test_multi_document_yaml_of_prometheus_rule_resources(tmp_path: Path) -> None:
    resource = """\
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata: {{name: {name}}}
spec:
  groups:
    - name: {name}
      rules:
        - alert: {alert}
          expr: up == 0
          labels: {{severity: critical}}
          annotations: {{summary: down}}
"""
    other = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: {a: b}\n"
    text = "---\n".join(
        [resource.format(name="one", alert="OneDown"), other, resource.format(name="two", alert="TwoDown")]
    )
    (tmp_path / "rules.yaml").write_text(text)
    run = run_cli("lint", "rules.yaml", "--format", "json", "--select", "A", cwd=tmp_path)
    findings = json.loads(run.stdout)
    lines = {f["line"] for f in findings}
    assert any(line > 14 for line in lines), "the third document's alert is checked"
    assert any(line < 12 for line in lines), "the first document's alert is checked"
    assert not [
        f
        for f in json.loads(run_cli("lint", "rules.yaml", "--format", "json", cwd=tmp_path).stdout)
        if f["code"] in ("E008", "E009")
    ]


def test_multi_document_yaml_without_rules_is_not_recognised(tmp_path: Path) -> None:
    (tmp_path / "x.yaml").write_text("a: 1\n---\nb: 2\n")
    run = run_cli("lint", "x.yaml", "--format", "json", cwd=tmp_path)
    codes = [f["code"] for f in json.loads(run.stdout)]
    assert "E009" in codes


SURROGATE_BOARD = (
    '{"title":"T \\ud800","uid":"x","panels":[{"type":"timeseries","title":"P \\udfff",'
    '"targets":[{"expr":"rate(foo{a=\\"\\ud800\\"}[5m]) + sum(","refId":"A"}]}]}'
)


@pytest.mark.parametrize("fmt", ["text", "concise", "json", "github", "sarif"])
def test_lone_surrogates_never_crash_an_output_format(tmp_path: Path, fmt: str) -> None:
    (tmp_path / "d.json").write_text(SURROGATE_BOARD)
    run = run_cli("lint", "d.json", "--format", fmt, cwd=tmp_path)
    assert run.code == 1, run.stderr
    assert "Traceback" not in run.stderr and "internal error" not in run.stderr
    if fmt in ("json", "sarif"):
        json.loads(run.stdout)
    assert "\\ud800" in run.stdout + run.stderr


def test_lone_surrogate_in_a_spec_is_e012_not_a_crash(tmp_path: Path) -> None:
    write_specs(tmp_path, {"api.py": SPEC.replace("Caf\u00e9", "Caf\\ud800")})
    run = run_cli("build", cwd=tmp_path)
    assert run.code == 2, run.stderr
    assert "specs/api.py:4:" in run.stderr and "E012" in run.stderr and "Traceback" not in run.stderr
    assert not (tmp_path / "build").exists()


def test_lint_of_a_fifo_named_directly_is_a_diagnostic_not_a_hang(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.yml")
    run = run_cli("lint", "pipe.yml", cwd=tmp_path, timeout=30)
    assert "E008" in run.stdout and "not a regular file (a FIFO)" in run.stdout, run.stdout + run.stderr


def test_symlink_loops_are_diagnostics(tmp_path: Path) -> None:
    (tmp_path / "loop.yml").symlink_to(tmp_path / "loop.yml")
    for args in (["lint", "loop.yml"], ["lint", "."]):
        run = run_cli(*args, cwd=tmp_path, timeout=30)
        assert run.code == 2 and "Traceback" not in run.stderr, (args, run.stdout, run.stderr)
    write_specs(tmp_path, {"api.py": SPEC})
    (tmp_path / "out").symlink_to(tmp_path / "out")
    run = run_cli("build", "--out", "out", cwd=tmp_path)
    assert run.code == 2 and "E006" in run.stderr and "symlink loop" in run.stderr, run.stderr


def test_a_fifo_given_as_a_spec_is_e004_not_a_hang(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "api.py")
    for command in ("build", "lint"):
        run = run_cli(command, "api.py", cwd=tmp_path, timeout=30)
        assert run.code == 2, (command, run.stdout, run.stderr)
        assert "E004" in run.stdout + run.stderr and "not a regular file" in run.stdout + run.stderr


def test_only_modules_whose_pickled_objects_hold_a_surrogate_are_walked_for_e012(tmp_path: Path) -> None:
    """The kept findings' module keys pickle every object anyway; a module whose bytes show no lone surrogate
    holds none, and the E012 walk over the others finds what a walk over everything finds."""
    root = write_specs(
        tmp_path,
        {
            "api.py": SPEC.replace("Caf\u00e9", "Caf\\ud800"),
            "clean.py": SPEC.replace("Caf\u00e9", "Caf\u00e9 \U0001f600"),
        },
    )
    loaded = load([root / "specs"], root, None)
    keys = checkcache.module_keys(loaded.project, None)
    assert {"api"} == keys.suspects
    assert {"api", "clean"} == set(keys.keys)
    everything = unencodable_text(loaded.project)
    assert everything
    assert everything == unencodable_text(loaded.project, keys.suspects)
    assert [] == unencodable_text(loaded.project, {"clean"})
