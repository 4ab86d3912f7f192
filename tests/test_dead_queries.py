"""A job-queue service's specs, as a new user writes them: every dead alert and always-empty panel stops
`build` at its line, and the labels the deployment attaches are accepted once declared."""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path

from tests.conftest import run_cli, write_specs

CATALOG = """
    from monitoring_dsl import Counter, Gauge, Histogram
    queued = Gauge("jobs_queued", "Jobs waiting", labels=["queue"])
    done = Counter("jobs_done_total", "Jobs done", labels=["queue", "jobtype"])
    duration = Histogram("job_duration_seconds", "Time to run a job", labels=["queue"])
"""

# Each line marked `# <CODE>` must get that error, and nothing else may be an error; `# <CODE> warning` marks a
# suspicious query, which is reported without stopping the build.
DEAD = """
    from monitoring_dsl import (Alert, Dashboard, Record, Row, RuleGroup, Stat, Target, Threshold, TimeSeries,
                                Variable)
    from catalog import done, duration, queued

    rules = RuleGroup("jobs", [
        Alert("Backlog", 'sum(jobs_queued{queue=~"$queue"}) > 100', for_="5m",  # Q215
              severity="warning", summary="s"),
        Alert("Slow", "histogram_quantile(0.95, sum by (queue) (rate(job_duration_seconds_bucket[5m]))) > 1",  # Q203
              for_="5m", severity="warning", summary="s"),
        Alert("Busy", "job:jobs_don:rate5m > 1", for_="5m", severity="warning", summary="s"),  # R405
        Alert("Failing", f'{done.rate(window="5m", queue="$queue")} > 1', for_="5m",  # Q215
              severity="warning", summary="s"),
        Alert("Stuck", "sum(rate(jobs_done_total[$__rate_interval])) == 0", for_="15m",  # Q215
              severity="warning", summary="s"),
        Record("job:jobs_done:rate5m", "sum by (job) (rate(jobs_done_total[5m]))"),
    ])

    jobs = Dashboard(
        "Jobs",
        variables=[
            Variable.query("queue", "label_values(jobs_queued, queue)", multi=True, include_all=True),
            Variable.query("jobtype", "label_value(jobs_done_total, jobtype)"),  # D515
        ],
        rows=[
            Row("Queues", [
                TimeSeries("Backlog", 'sum(jobs_queued{queue="$queue"})', unit="short"),  # D512
                TimeSeries("Done", Target(
                    'sum by (queue) (rate(jobs_done_total{jobtype=~"$jobtype"}[$__rate_interval]))',
                    legend="{{jobtype}}"), unit="ops"),  # D516 warning
                TimeSeries("Typo", 'sum(rate(jobs_done_total{queue=~"$queu"}[$__rate_interval]))', unit="ops"),  # D509
                Stat("p95", duration.quantile(0.95), unit="seconds"),  # D513 warning
            ]),
            Row("Queue $queue", [Stat("Backlog now", 'sum(jobs_queued{queue=~"$queue"})', unit="short")],
                repeat="queu"),  # D514
            Row("Layout", [
                Stat("Queues", "count(jobs_queued)", unit="short", grid_pos=(0, 0, 12, 4)),
                Stat("Workers", "count(up)", unit="short", grid_pos=(8, 0, 8, 4)),  # D517 warning
                Stat("Backlog total", "sum(jobs_queued)", unit="short",
                     thresholds=[Threshold("green"), Threshold("red", 500), Threshold("orange", 100)]),  # D518 warning
                Stat("Backlog max", "max(jobs_queued)", unit="short",
                     thresholds=[Threshold("green"), Threshold("amber", 100)]),  # D519 warning
            ]),
        ],
    )
"""


def _expected(source: str, severity: str) -> set[tuple[str, int]]:
    lines = textwrap.dedent(source).lstrip("\n").splitlines()
    return {
        (match.group(1), number)
        for number, line in enumerate(lines, start=1)
        for match in re.finditer(r"# ([A-Z]\d{3})( warning)?", line)
        if (match.group(2) is None) == (severity == "error")
    }


def test_every_dead_query_stops_the_build_at_its_line(tmp_path: Path) -> None:
    """`build` exits 2, and each dead or always-empty query is an error at the line marked for it."""
    write_specs(tmp_path, {"catalog.py": CATALOG, "jobs.py": DEAD})
    run = run_cli("lint", "--format", "json", cwd=tmp_path)
    found = json.loads(run.stdout)
    errors = {(d["code"], d["line"]) for d in found if d["severity"] == "error" and d["path"].endswith("jobs.py")}
    warnings = {(d["code"], d["line"]) for d in found if d["severity"] == "warning"}
    assert _expected(DEAD, "error") == errors
    assert _expected(DEAD, "warning") <= warnings
    build = run_cli("build", "--format", "concise", cwd=tmp_path)
    assert 2 == build.code
    assert not (tmp_path / "build").exists()


DEPLOYMENT = """
    from monitoring_dsl import Alert, Dashboard, Link, RuleGroup, Target, TimeSeries, Variable
    from catalog import done

    rules = RuleGroup("jobs", [
        Alert("Failing",
              'sum by (cluster, namespace) (rate(jobs_done_total{namespace="shop", pod=~"worker-.*"}[5m])) > 1',
              for_="5m", severity="warning", summary="{{ $labels.namespace }} in {{ $labels.cluster }}",
              runbook_url="https://runbooks.example/jobs"),
    ])

    jobs = Dashboard(
        "Jobs",
        uid="jobs",
        variables=[Variable.query("namespace", "label_values(jobs_done_total, namespace)", multi=True)],
        panels=[TimeSeries(
            "Done by pod",
            Target('sum by (namespace, pod) (rate(jobs_done_total{namespace=~"$namespace"}[$__rate_interval]))',
                   legend="{{namespace}}/{{pod}}"),
            unit="ops",
            data_links=[Link("Namespace", dashboard="jobs", variables={"namespace": "${__field.labels.namespace}"})],
        )],
    )
"""


def test_declared_target_labels_give_no_finding(tmp_path: Path) -> None:
    """With `target_labels` and `external_labels` declared, queries, templates and legends may use them (rule
    test coverage, A326, is not what this spec set is about)."""
    write_specs(tmp_path, {"catalog.py": CATALOG, "jobs.py": DEPLOYMENT})
    (tmp_path / "pyproject.toml").write_text(
        '[tool.monitoring-dsl]\ntarget_labels = ["namespace", "pod"]\nexternal_labels = ["cluster"]\n'
    )
    run = run_cli("lint", "--format", "json", "--ignore", "M109,A326", cwd=tmp_path)
    assert [] == json.loads(run.stdout)
    assert 0 == run_cli("build", cwd=tmp_path).code


def test_undeclared_deployment_label_says_how_to_declare_it(tmp_path: Path) -> None:
    """Without the declaration, `namespace` is Q212, and the help names the pyproject.toml key."""
    write_specs(tmp_path, {"catalog.py": CATALOG, "jobs.py": DEPLOYMENT})
    run = run_cli("build", "--format", "concise", cwd=tmp_path)
    assert 2 == run.code
    assert "Q212" in run.stderr
    text = run_cli("build", cwd=tmp_path).stderr
    assert 'target_labels = ["namespace"]' in text


PLAIN_DASHBOARD = {
    "title": "Queues",
    "uid": "queues",
    "templating": {
        "list": [
            {"name": "queue", "type": "query", "query": "label_values(jobs_queued, queue)", "multi": True},
        ]
    },
    "panels": [
        {
            "type": "timeseries",
            "title": "Backlog $queue",
            "repeat": "queue",
            "gridPos": {"x": 0, "y": 0, "w": 12, "h": 8},
            "targets": [{"expr": 'sum(jobs_queued{queue="$queue"})', "refId": "A"}],
        },
        {
            "type": "timeseries",
            "title": "Backlog by job",
            "repeat": "queu",
            "gridPos": {"x": 12, "y": 0, "w": 12, "h": 8},
            "targets": [
                {"expr": 'sum by (job) (jobs_queued{queue=~"$queue"})', "legendFormat": "{{instance}}", "refId": "A"}
            ],
        },
    ],
    "schemaVersion": 39,
}


def test_plain_dashboard_repeat_and_legend(tmp_path: Path) -> None:
    """In dashboard JSON: a repeat by an undefined variable is D514, a legend reading a label the aggregation
    drops is D516, and an exact match on a variable that repeats its panel is accepted."""
    path = tmp_path / "queues.json"
    path.write_text(json.dumps(PLAIN_DASHBOARD, indent=2))
    run = run_cli("lint", "--format", "json", "queues.json", cwd=tmp_path)
    found = {(d["code"], d["line"]) for d in json.loads(run.stdout) if d["code"] in ("D512", "D514", "D516")}
    text = path.read_text().splitlines()
    repeat_line = next(i for i, line in enumerate(text, start=1) if '"queu"' in line)
    legend_line = next(i for i, line in enumerate(text, start=1) if "{{instance}}" in line)
    assert {("D514", repeat_line), ("D516", legend_line)} == found


PLAIN_RULES = """\
groups:
  - name: jobs
    rules:
      - alert: Backlog
        expr: sum(jobs_queued{queue=~"$queue"}) > 100
        for: 5m
      - record: job:jobs_done:rate5m
        expr: |
          sum by (job) (
            rate(jobs_done_total[$__rate_interval])
          )
"""


def test_grafana_references_in_a_plain_rule_file(tmp_path: Path) -> None:
    """In a rule file, Q215 points at the `$` of each reference, with the fix for its kind."""
    (tmp_path / "rules.yml").write_text(PLAIN_RULES)
    run = run_cli("lint", "--format", "json", "rules.yml", cwd=tmp_path)
    found = [(d["line"], d["column"], d["help"].split(":")[0]) for d in json.loads(run.stdout) if d["code"] == "Q215"]
    assert [
        (5, 39, "rules have no dashboard variables"),
        (10, 34, "Prometheus evaluates rules itself and never substitutes Grafana's $__rate_interval"),
    ] == found
