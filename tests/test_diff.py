"""`monitoring-dsl diff`: the semantic change list between two builds, from git revisions or output trees."""

from __future__ import annotations

import json
import subprocess
import textwrap
from pathlib import Path

import pytest

from monitoring_dsl.review.diff import Change, Field
from monitoring_dsl.review.diff_render import COLLAPSE_AFTER, render_changes
from tests.conftest import run_cli

CATALOG = """
from monitoring_dsl import Counter, Histogram

requests = Counter("http_requests_total", "Requests", labels=["status"])
latency = Histogram("http_request_duration_seconds", "Latency", buckets=[0.1, 0.5, 1])
"""

ROUTING = """
from monitoring_dsl import Email, PagerDuty, Route, Routing, Slack

slack = Slack("slack", channel="#alerts", api_url_file="/etc/am/slack")
pager = PagerDuty("pager", routing_key_file="/etc/am/pd")
mail = Email("mail", to="a@example.com", from_="b@example.com", smarthost="smtp.example.com:587")
routing = Routing(
    receivers=[slack, pager, mail],
    default=mail,
    routes=[Route(pager, match={"severity": "critical"}), Route(slack, match={"severity": "warning"})],
)
"""

API = """
import catalog
from monitoring_dsl import Alert, Dashboard, Record, Row, RuleGroup, TimeSeries

P95 = "histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket[$__rate_interval])))"
P99 = "histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket[$__rate_interval])))"
ERRORS = 'sum(rate(http_requests_total{{status=~"5.."}}[5m]))'

rules = RuleGroup("api", [
    Record("{record}", "sum(rate(http_requests_total[5m]))"),
    Alert("HighErrorRate", ERRORS + " / {record} > {threshold}", for_="{for_}", severity="{severity}",
          summary="Errors above 1%"),
])

board = Dashboard("API", uid="api", rows=[
    Row("Traffic", [
        TimeSeries("Requests", "{record}", unit="{unit}", width=12),
        {errors}
    ]),
    Row("Latency", [
        TimeSeries("p95", P95, unit="s", width=12),
        {p99}
    ]),
])
"""

BASE = dict(
    record="job:http_requests:rate5m",
    threshold="0.01",
    for_="5m",
    severity="warning",
    unit="reqps",
    errors='TimeSeries("Errors", ERRORS.replace("5m", "$__rate_interval"), unit="reqps", width=12),',
    p99="",
)
HEAD = dict(
    BASE,
    record="job:http_requests:rate5m_total",
    threshold="0.02",
    for_="10m",
    severity="critical",
    unit="ops",
    errors="",
    p99='TimeSeries("p99", P99, unit="s", width=12),',
)


def _git(root: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.email=t@example.com", "-c", "user.name=t", *args],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


def _commit(root: Path, values: dict[str, str], message: str) -> None:
    specs = root / "specs"
    specs.mkdir(exist_ok=True)
    (specs / "catalog.py").write_text(textwrap.dedent(CATALOG).lstrip(), encoding="utf-8")
    (specs / "routing.py").write_text(textwrap.dedent(ROUTING).lstrip(), encoding="utf-8")
    (specs / "api.py").write_text(API.lstrip().format(**values), encoding="utf-8")
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", message)


@pytest.fixture
def two_commits(tmp_path: Path) -> Path:
    """A repository whose second commit renames a record, edits an alert, and adds, removes and edits panels."""
    _git(tmp_path, "init", "-q")
    _commit(tmp_path, BASE, "base")
    _commit(tmp_path, HEAD, "head")
    return tmp_path


def _changes(output: str) -> list[tuple[str, str, str, list[tuple[str, str | None, str | None]]]]:
    data = json.loads(output)["changes"]
    return [
        (c["kind"], c["action"], c["subject"], [(f["name"], f["old"], f["new"]) for f in c["fields"]]) for c in data
    ]


EXPECTED = [
    ("panel", "removed", "API / Traffic / Errors", []),
    (
        "panel",
        "changed",
        "API / Traffic / Requests",
        [("unit", "reqps", "ops"), ("query A", "job:http_requests:rate5m", "job:http_requests:rate5m_total")],
    ),
    ("panel", "added", "API / Latency / p99", []),
    (
        "alert",
        "changed",
        "HighErrorRate (group api)",
        [
            (
                "expr",
                'sum(rate(http_requests_total{status=~"5.."}[5m])) / job:http_requests:rate5m > 0.01',
                'sum(rate(http_requests_total{status=~"5.."}[5m])) / job:http_requests:rate5m_total > 0.02',
            ),
            ("for", "5m", "10m"),
            ("label severity", "warning", "critical"),
            ("routed to", "slack", "pager"),
        ],
    ),
    ("record", "renamed", "job:http_requests:rate5m → job:http_requests:rate5m_total", []),
]


def test_two_revisions_list_exactly_the_changes_made(two_commits: Path) -> None:
    """Every edit of the second commit is listed once, with old and new values, and nothing else is."""
    run = run_cli("diff", "HEAD~1", "HEAD", "--format", "json", cwd=two_commits)
    assert run.code == 0, run.stderr
    assert EXPECTED == _changes(run.stdout)


def test_renamed_record_lists_every_query_that_read_the_old_name(two_commits: Path) -> None:
    """The rename names the panel and the alert that read the old record, and what they read now."""
    run = run_cli("diff", "HEAD~1", "HEAD", "--format", "json", cwd=two_commits)
    renamed = [c for c in json.loads(run.stdout)["changes"] if c["action"] == "renamed"]
    assert [
        "read by panel API / Traffic / Requests query A: now reads job:http_requests:rate5m_total",
        "read by alert HighErrorRate (group api): now reads job:http_requests:rate5m_total",
    ] == renamed[0]["notes"]


def test_query_left_on_the_old_name_is_shown(two_commits: Path) -> None:
    """A dashboard (here edited outside the specs) still reading the renamed record is called out."""
    assert run_cli("build", "--out", "head-build", cwd=two_commits).code == 0
    board = two_commits / "head-build" / "grafana" / "dashboards" / "api.json"
    board.write_text(
        board.read_text().replace('"expr": "job:http_requests:rate5m_total"', '"expr": "job:http_requests:rate5m"')
    )
    run = run_cli("diff", "HEAD~1", "head-build", "--format", "json", cwd=two_commits)
    assert run.code == 0, run.stderr
    renamed = [c for c in json.loads(run.stdout)["changes"] if c["action"] == "renamed"]
    assert "read by panel API / Traffic / Requests query A: still reads job:http_requests:rate5m" in renamed[0]["notes"]


def test_output_directories_give_the_same_list_as_revisions(two_commits: Path) -> None:
    """Diffing two build/ directories is the same as diffing the revisions they were built from."""
    head = run_cli("build", "--out", "head-build", cwd=two_commits)
    assert head.code == 0, head.stderr
    _git(two_commits, "checkout", "-q", "HEAD~1")
    base = run_cli("build", "--out", "base-build", cwd=two_commits)
    assert base.code == 0, base.stderr
    run = run_cli("diff", "base-build", "head-build", "--format", "json", cwd=two_commits)
    assert EXPECTED == _changes(run.stdout)


def test_text_format_shows_old_and_new_values(two_commits: Path) -> None:
    """The terminal format marks each change and shows `old → new`."""
    run = run_cli("diff", "HEAD~1", "HEAD", cwd=two_commits)
    assert "  ~ alert changed: HighErrorRate (group api)\n      expr: " in run.stdout
    assert "\n      for: 5m → 10m\n      label severity: warning → critical\n" in run.stdout
    assert "  + panel added: API / Latency / p99\n" in run.stdout
    assert "\n5 changes (dashboards: 3, alerts: 1, recording rules: 1)\n" in run.stdout


def test_same_revision_has_no_changes(two_commits: Path) -> None:
    """A revision compared with itself is `no changes`, in every format."""
    run = run_cli("diff", "HEAD", "HEAD", "--format", "json", cwd=two_commits)
    assert {"changes": [], "summary": "no changes"} == json.loads(run.stdout)


def test_unknown_side_is_an_error_with_help(two_commits: Path) -> None:
    """A side that is neither a directory nor a revision exits 2 with E055 and how to fix it."""
    run = run_cli("diff", "no-such-rev", "HEAD", cwd=two_commits)
    assert run.code == 2
    assert "E055 `no-such-rev` is neither an output directory nor a git revision" in run.stderr
    assert "help: pass a directory holding a build" in run.stderr


def test_markdown_collapses_long_sections() -> None:
    """A section with more than COLLAPSE_AFTER changes is folded into <details>; a short one is not."""
    many = [Change("panel", "added", f"Board / p{i}") for i in range(COLLAPSE_AFTER + 1)]
    one = [Change("alert", "changed", "A (group g)", (Field("for", "5m", "10m"),))]
    text = render_changes([*many, *one], "markdown")
    assert "<details>\n<summary><b>Dashboards (11)</b></summary>" in text
    assert "#### Alerts (1)\n\n- **alert changed**: `A (group g)`\n  - for: `5m` → `10m`\n" in text


def _board(uid: str, panels: list[dict[str, object]], variables: tuple[dict[str, object], ...] = ()) -> bytes:
    return json.dumps(
        {"uid": uid, "title": uid.title(), "panels": panels, "templating": {"list": list(variables)}}
    ).encode()


def _panel(title: str, x: int, y: int) -> dict[str, object]:
    return {"type": "stat", "title": title, "gridPos": {"x": x, "y": y, "w": 12, "h": 4}, "targets": []}


def test_swapped_panels_are_moved_and_boards_added_and_removed() -> None:
    """Two panels that trade places are both moved; a new uid is an added dashboard, a gone one removed; a
    variable's new definition is a changed variable."""
    from monitoring_dsl.review.diff import diff_snapshots
    from monitoring_dsl.review.snapshot import read_snapshot

    variable = {"name": "env", "type": "query", "definition": "label_values(up, env)"}
    base = {
        "grafana/dashboards/a.json": _board("a", [_panel("One", 0, 0), _panel("Two", 12, 0)], (variable,)),
        "grafana/dashboards/old.json": _board("old", [_panel("X", 0, 0)]),
    }
    head = {
        "grafana/dashboards/a.json": _board(
            "a", [_panel("Two", 0, 0), _panel("One", 12, 0)], ({**variable, "definition": "label_values(up, stage)"},)
        ),
        "grafana/dashboards/new.json": _board("new", [_panel("Y", 0, 0)]),
    }
    changes = diff_snapshots(read_snapshot(base), read_snapshot(head))
    assert [
        (
            "variable",
            "changed",
            "A / $env",
            [("definition", "query label_values(up, env)", "query label_values(up, stage)")],
        ),
        ("panel", "moved", "A / Two", [("position", "x=12 y=0", "x=0 y=0")]),
        ("panel", "moved", "A / One", [("position", "x=0 y=0", "x=12 y=0")]),
        ("dashboard", "removed", "Old (old)", []),
        ("dashboard", "added", "New (new)", []),
    ] == [(c.kind, c.action, c.subject, [(f.name, f.old, f.new) for f in c.fields]) for c in changes]
