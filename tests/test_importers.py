# (STYLE.md: `assert expected == actual`, expected first.)
"""Plain rule files and dashboards become model objects located at their lines, and bad files become diagnostics."""

from __future__ import annotations

import json
import textwrap
import time
from pathlib import Path

import pytest

from monitoring_dsl.load import rules_yaml
from monitoring_dsl.load.json_positions import JsonObject, JsonSyntaxError, parse_json
from monitoring_dsl.load.plain import PlainLoad, load_plain_files
from monitoring_dsl.model.dashboards import Stat, Table, Target, Text, TimeSeries, Variable
from monitoring_dsl.model.rules import Alert, Record


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Locations are shown relative to the working directory; work in tmp_path so they are bare file names."""
    monkeypatch.chdir(tmp_path)


def write(name: str, content: str | bytes) -> Path:
    path = Path(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(textwrap.dedent(content).lstrip("\n"), encoding="utf-8")
    return path


def load(name: str, content: str | bytes) -> PlainLoad:
    return load_plain_files([write(name, content)], Path.cwd())


def problems(result: PlainLoad) -> list[tuple[str, str, int, int]]:
    """(code, path, line, column) of each diagnostic."""
    return [
        (d.code, d.location.path, d.location.line, d.location.column) if d.location else (d.code, "", 0, 0)
        for d in result.diagnostics
    ]


def located(objects: object) -> list[tuple[str, str, int]]:
    return [(type(obj).__name__, obj.location.path, obj.location.line) for obj in objects]


# --- rule files ---------------------------------------------------------------------------------------------

RULES = """
    groups:
      - name: api
        interval: 30s
        limit: 10
        rules:
          - alert: HighErrorRate
            expr: sum(rate(http_errors_total[5m])) > 1
            for: 5m
            labels:
              severity: page
              team: payments
              priority: 1
              paging: true
              ratio: 1.50
            annotations:
              summary: Errors
              description: Too many errors
              runbook_url: https://runbooks.example/errors
              dashboard: https://grafana.example/d/api
          - record: job:http_requests:rate5m
            expr: sum by (job) (rate(http_requests_total[5m]))
            labels:
              level: 2
      - rules: []
        name: empty
"""


def test_rule_objects_are_located_at_their_items() -> None:
    """Each alert and record is at its `- alert:`/`- record:` line, each group at its `name:` line."""
    project = load("rules.yml", RULES).project
    expected = [
        ("Alert", "rules.yml", 6),
        ("Record", "rules.yml", 20),
        ("RuleGroup", "rules.yml", 2),
        ("RuleGroup", "rules.yml", 25),
    ]
    assert expected == located(d.obj for d in project.declared)


def test_alert_fields_map_to_keywords() -> None:
    """`for` is for_, the severity label is severity=, summary/description/runbook_url are keywords."""
    expected = Alert(
        "HighErrorRate",
        "sum(rate(http_errors_total[5m])) > 1",
        for_="5m",
        severity="page",
        labels={"team": "payments", "priority": "1", "paging": "true", "ratio": "1.50"},
        summary="Errors",
        description="Too many errors",
        runbook_url="https://runbooks.example/errors",
        annotations={"dashboard": "https://grafana.example/d/api"},
    )
    assert (expected,) == load("rules.yml", RULES).project.alerts


def test_record_labels_are_stringified() -> None:
    """A number in a record's labels is kept as the text Prometheus reads."""
    expected = Record("job:http_requests:rate5m", "sum by (job) (rate(http_requests_total[5m]))", labels={"level": "2"})
    assert (expected,) == load("rules.yml", RULES).project.records


def test_group_interval_and_limit() -> None:
    """A group keeps its name, interval and limit, and holds its rules."""
    groups = load("rules.yml", RULES).project.rule_groups_by_module()["rules"]
    expected = [("api", "30s", 10, 2), ("empty", None, None, 0)]
    assert expected == [(g.name, g.interval, g.limit, len(g.rules)) for g in groups]


def test_invalid_duration_skips_only_that_rule() -> None:
    """`for: 5 minutes` is E002 at the rule's line; the other rule of the group is still imported."""
    result = load(
        "rules.yml",
        """
        groups:
          - name: api
            rules:
              - alert: Slow
                expr: up == 0
                for: 5 minutes
              - alert: Down
                expr: up == 0
        """,
    )
    assert [("E002", "rules.yml", 4, 0)] == problems(result)
    assert ["Down"] == [alert.name for alert in result.project.alerts]


def test_label_value_that_is_a_list_is_a_diagnostic() -> None:
    """A label value that is a list cannot be stringified: E002 at the value, the rule is skipped."""
    result = load(
        "rules.yml",
        """
        groups:
          - name: api
            rules:
              - alert: Down
                expr: up == 0
                labels:
                  team: [a, b]
        """,
    )
    assert [("E002", "rules.yml", 7, 0)] == problems(result)
    assert () == result.project.alerts


@pytest.mark.parametrize(
    ("rule", "code"),
    [
        ("- alert: Down\n", "E009"),  # no expr
        ("- expr: up == 0\n", "E009"),  # neither alert nor record
        ("- alert: Down\n  record: down\n  expr: up\n", "E009"),  # both
        ("- alert: Down\n  expr: ''\n", "E002"),  # empty expr
        ("- just a string\n", "E009"),
    ],
)
def test_invalid_rule_objects(rule: str, code: str) -> None:
    """A rule that Prometheus would refuse is a diagnostic at its line, and is left out."""
    text = "groups:\n  - name: api\n    rules:\n" + textwrap.indent(rule, "      ")
    result = load("rules.yml", text)
    assert [(code, "rules.yml", 4, 0)] == problems(result)
    assert () == result.project.alerts + result.project.records


def test_rule_file_written_as_json() -> None:
    """A rule file in JSON syntax is recognised by its content and read as YAML."""
    result = load("rules.json", '{"groups": [{"name": "api", "rules": [{"alert": "Down", "expr": "up == 0"}]}]}')
    assert [] == problems(result)
    assert [("Alert", "rules.json", 1)] == located(result.project.alerts)


def test_rule_file_in_yaml_flow_style() -> None:
    """A .yml file in YAML flow style is not JSON, and still imports."""
    result = load("rules.yml", "{groups: [{name: api, rules: [{alert: Down, expr: up == 0}]}]}\n")
    assert ["Down"] == [alert.name for alert in result.project.alerts]


def test_prometheus_rule_resource() -> None:
    """A Kubernetes PrometheusRule resource gives the groups under its `spec:`."""
    result = load(
        "resource.yaml",
        """
        apiVersion: monitoring.coreos.com/v1
        kind: PrometheusRule
        spec:
          groups:
            - name: api
              rules:
                - record: job:up:sum
                  expr: sum by (job) (up)
        """,
    )
    assert [("Record", "resource.yaml", 7)] == located(result.project.records)


def test_merge_keys_share_labels() -> None:
    """`<<: *anchor` merges shared labels, and the rule's own labels win."""
    result = load(
        "rules.yml",
        """
        groups:
          - name: api
            rules:
              - alert: Down
                expr: up == 0
                labels: &common {team: core, severity: page}
              - alert: Slow
                expr: up == 0
                labels:
                  <<: *common
                  severity: ticket
        """,
    )
    assert [("page", {"team": "core"}), ("ticket", {"team": "core"})] == [
        (alert.severity, alert.labels) for alert in result.project.alerts
    ]


# --- dashboards ---------------------------------------------------------------------------------------------

DASHBOARD = """
    {
      "title": "API",
      "uid": "api-dash",
      "templating": {"list": [
        {"type": "query", "name": "job", "query": {"query": "label_values(up, job)", "refId": "A"}},
        {"type": "custom", "name": "quantile", "query": "0.5,0.99"},
        {"type": "interval", "name": "window", "query": "1m, 5m"},
        {"type": "textbox", "name": "filter", "current": {"value": "abc"}}
      ]},
      "panels": [
        {"type": "timeseries", "title": "Requests", "gridPos": {"x": 0, "y": 0, "w": 12, "h": 8},
         "fieldConfig": {"defaults": {"unit": "reqps", "thresholds": {"steps": [{"color": "green", "value": null}]}}},
         "targets": [
           {"expr": "sum(rate(http_requests_total[5m]))", "legendFormat": "{{job}}", "refId": "A"}
         ]},
        {"type": "row", "title": "More", "collapsed": true, "panels": [
          {"type": "stat", "title": "Up", "targets": [{"expr": "min(up)", "instant": true}]}
        ]},
        {"type": "text", "title": "About", "options": {"content": "hello", "mode": "markdown"}},
        {"type": "table-old", "title": "Old table", "targets": [{"expr": "up", "format": "table"}]}
      ]
    }
"""


def test_dashboard_objects_are_located_at_their_braces() -> None:
    """The dashboard, each panel (including one in a collapsed row), target and variable is at its `{` line."""
    result = load("api.json", DASHBOARD)
    assert [] == problems(result)
    [dashboard] = result.project.dashboards
    panels = dashboard.all_panels()
    assert [("Dashboard", "api.json", 1)] == located([dashboard])
    assert [("TimeSeries", 11), ("Stat", 17), ("Text", 19), ("Table", 20)] == [
        (kind, line) for kind, _, line in located(panels)
    ]
    assert [14, 17, 20] == [target.location.line for panel in panels for target in panel.targets]
    assert [5, 6, 7, 8] == [variable.location.line for variable in dashboard.variables]


def test_panel_fields_map_to_the_model() -> None:
    """Type, title, unit, grid, thresholds and the targets' fields carry over."""
    [dashboard] = load("api.json", DASHBOARD).project.dashboards
    timeseries, stat, text, table = dashboard.all_panels()
    assert ("API", "api-dash") == (dashboard.title, dashboard.uid)
    assert isinstance(timeseries, TimeSeries)
    assert ("reqps", (0, 0, 12, 8)) == (timeseries.unit, timeseries.grid_pos)
    assert [("green", None)] == [(t.color, t.value) for t in timeseries.thresholds]
    assert (Target("sum(rate(http_requests_total[5m]))", "{{job}}", ref_id="A"),) == timeseries.targets
    assert isinstance(stat, Stat)
    assert (Target("min(up)", instant=True),) == stat.targets
    assert isinstance(text, Text)
    assert "hello" == text.content
    assert isinstance(table, Table)
    assert (Target("up", format="table"),) == table.targets


def test_variables_map_by_kind() -> None:
    """query, custom and interval variables keep their kind; anything else is a constant of its current value."""
    [dashboard] = load("api.json", DASHBOARD).project.dashboards
    expected = (
        Variable.query("job", "label_values(up, job)"),
        Variable.custom("quantile", ["0.5", "0.99"]),
        Variable.interval("window", ["1m", "5m"]),
        Variable("constant", "filter", "abc", default="abc"),
    )
    assert expected == dashboard.variables


def test_legacy_rows() -> None:
    """Panels of legacy `rows` are imported; `span` becomes width and legacy formats become the unit."""
    result = load(
        "old.json",
        """
        {
          "title": "Old",
          "rows": [
            {"title": "R1", "panels": [
              {"type": "graph", "title": "G", "span": 6, "yaxes": [{"format": "bytes"}], "targets": [{"expr": "up"}]},
              {"type": "singlestat", "title": "S", "format": "percent", "targets": [{"expr": "up"}]}
            ]}
          ]
        }
        """,
    )
    panels = result.project.dashboards[0].all_panels()
    assert [("TimeSeries", 5, 12, "bytes"), ("Stat", 6, None, "percent")] == [
        (type(p).__name__, p.location.line, p.width, p.unit) for p in panels
    ]


def test_exported_dashboard_skips_loki_targets() -> None:
    """`${DS_...}` datasources resolve through `__inputs`: Prometheus targets are kept, Loki ones skipped."""
    result = load(
        "exported.json",
        r"""
        {
          "__inputs": [
            {"name": "DS_PROMETHEUS", "type": "datasource", "pluginId": "prometheus"},
            {"name": "DS_LOKI", "type": "datasource", "pluginId": "loki"}
          ],
          "title": "Exported",
          "panels": [
            {"type": "timeseries", "title": "Mixed", "datasource": {"type": "datasource", "uid": "-- Mixed --"},
             "targets": [
               {"datasource": "${DS_PROMETHEUS}", "expr": "up", "refId": "A"},
               {"datasource": {"uid": "${DS_LOKI}"}, "expr": "{job=\"x\"} |= \"error\"", "refId": "B"}
             ]},
            {"type": "logs", "title": "Logs", "datasource": {"type": "loki", "uid": "abc"},
             "targets": [{"expr": "{job=\"x\"}"}]},
            {"type": "stat", "title": "Prom", "datasource": {"type": "prometheus", "uid": "${DS_PROMETHEUS}"},
             "targets": [{"expr": "sum(up)"}]}
          ]
        }
        """,
    )
    panels = result.project.dashboards[0].all_panels()
    assert [("Mixed", ("up",)), ("Prom", ("sum(up)",))] == [(p.title, tuple(t.expr for t in p.targets)) for p in panels]


def test_datasource_variable_resolves_loki() -> None:
    """A panel on a datasource variable whose plugin is Loki has no Prometheus queries and is skipped."""
    result = load(
        "logs.json",
        """
        {
          "title": "Logs",
          "templating": {"list": [{"type": "datasource", "name": "loki_ds", "query": "loki"}]},
          "panels": [{"type": "timeseries", "title": "Rate", "datasource": "$loki_ds", "targets": [{"expr": "x"}]}]
        }
        """,
    )
    assert () == result.project.dashboards[0].all_panels()


def test_http_api_wrapping_and_invalid_uid() -> None:
    """A dashboard under `dashboard` (the HTTP API's answer) is found; a uid Grafana would refuse is dropped."""
    result = load(
        "api-answer",
        """
        {
          "meta": {"slug": "x"},
          "dashboard": {
            "title": "Wrapped", "uid": "has spaces", "panels": []
          }
        }
        """,
    )
    [dashboard] = result.project.dashboards
    assert ("Wrapped", None, 3) == (dashboard.title, dashboard.uid, dashboard.location.line)


def test_grid_that_is_off_skips_the_panel() -> None:
    """A panel wider than the grid is E002 at its line; the rest of the dashboard imports."""
    result = load(
        "grid.json",
        """
        {
          "title": "Grid",
          "panels": [
            {"type": "stat", "title": "Wide", "gridPos": {"x": 20, "y": 0, "w": 12, "h": 4}},
            {"type": "stat", "title": "Fine", "gridPos": {"x": 0, "y": 4, "w": 12, "h": 4}}
          ]
        }
        """,
    )
    assert [("E002", "grid.json", 4, 0)] == problems(result)
    assert ["Fine"] == [panel.title for panel in result.project.dashboards[0].all_panels()]


# --- the JSON parser ----------------------------------------------------------------------------------------


def test_parse_json_equals_json_loads() -> None:
    """Escapes, unicode, numbers and literals parse exactly as `json.loads` parses them."""
    text = '{"a": [1, -2.5e3, 0, true, false, null, "\\u00e9\\n\\"q\\""], "b": {}, "c": [], "d": {"e": [[{}]]}}'
    assert json.loads(text) == parse_json(text)


def test_parse_json_records_object_lines() -> None:
    """Every object knows the line of its opening brace."""
    data = parse_json('{\n  "a": [\n    {"b": 1},\n\n    {\n    }\n  ]\n}')
    assert isinstance(data, JsonObject)
    assert [1, 3, 5] == [data.line, data["a"][0].line, data["a"][1].line]


@pytest.mark.parametrize(
    ("text", "line", "column"),
    [
        ('{\n  "a": 1,\n}', 3, 1),
        ('{\n  "a": [1 2]\n}', 2, 11),
        ('{"a": "unterminated', 1, 7),
        ("[1, 2", 1, 6),
        ('{"a": 1} x', 1, 10),
        ("[NaN]", 1, 2),
    ],
)
def test_parse_json_errors_have_positions(text: str, line: int, column: int) -> None:
    """A syntax error says where the parser gave up."""
    with pytest.raises(JsonSyntaxError) as raised:
        parse_json(text)
    assert (line, column) == (raised.value.line, raised.value.column)


def test_parse_json_deep_nesting_does_not_recurse() -> None:
    """Nesting deeper than Python's recursion limit parses, because the parser keeps its own stack."""
    depth = 100_000
    data = parse_json("[" * depth + "]" * depth)
    for _ in range(depth - 1):
        data = data[0]
    assert [] == data


# --- bad input ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("broken.yml", "groups:\n  - name: a\n    rules: [\n", ("E008", 4, 1)),
        ("broken.json", '{\n  "title": "x",\n  "panels": [\n    {"a": 1,}\n  ]\n}\n', ("E008", 4, 13)),
        ("binary.json", b'{"title": "x"}\n\x00\x01\x02', ("E008", 2, 1)),
        ("latin1.yml", b"groups:\n  - name: caf\xe9\n", ("E008", 2, 14)),
        ("empty.yml", "", ("E008", 1, 0)),
        ("blank.json", "  \n\n", ("E008", 1, 0)),
        ("comments.yml", "# nothing here\n", ("E008", 1, 0)),
        ("object.json", '{"foo": 1}', ("E009", 1, 0)),
        ("array.json", "[1, 2]", ("E009", 1, 0)),
        ("list.yml", "- a\n- b\n", ("E009", 1, 0)),
        ("prose.txt", "just some words\n", ("E009", 1, 0)),
        ("other.yml", "scrape_configs: []\n", ("E009", 1, 0)),
        ("test.yml", "rule_files: [rules.yml]\ntests: []\n", ("E009", 1, 0)),
        ("dashboard.yml", "title: x\npanels: []\n", ("E009", 1, 0)),
        ("groups.yml", "groups: {a: 1}\n", ("E009", 1, 0)),
        ("deep.yml", "a: " + "[" * 100_000, ("E008", 1, 0)),
        ("deep.json", "[" * 100_000 + "]" * 100_000, ("E009", 1, 0)),
    ],
)
def test_bad_input_is_one_diagnostic(name: str, content: str | bytes, expected: tuple[str, int, int]) -> None:
    """Each kind of bad file gives one diagnostic in that file, nothing imported and no exception."""
    result = load(name, content)
    code, line, column = expected
    [(actual_code, path, actual_line, actual_column)] = problems(result)
    assert (code, name) == (actual_code, path)
    if code == "E008" and column:
        assert (line, column) == (actual_line, actual_column)
    assert () == result.project.declared


def test_huge_file_is_refused_quickly(tmp_path: Path) -> None:
    """A 100 MB file is E008 "larger than 50 MB" without being parsed."""
    path = tmp_path / "huge.json"
    with path.open("wb") as handle:
        handle.truncate(100 * 1024 * 1024)  # sparse: costs no disk and no time
    start = time.monotonic()
    result = load_plain_files([path], tmp_path)
    assert time.monotonic() - start < 2
    assert [("E008", "huge.json", 1, 0)] == problems(result)
    assert "larger than 50 MB" in result.diagnostics[0].message


def test_unexpected_failure_is_a_diagnostic(monkeypatch: pytest.MonkeyPatch) -> None:
    """Should an importer ever raise, the file gets E008 and nothing it half-imported is kept."""

    def explode(text: str, out: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(rules_yaml, "import_rules", explode)
    result = load("rules.yml", RULES)
    assert [("E008", "rules.yml", 1, 0)] == problems(result)
    assert "RuntimeError: boom" in result.diagnostics[0].message


def test_missing_path_is_a_diagnostic() -> None:
    """A path that does not exist is E008 and the other files still import."""
    rules = write("rules.yml", RULES)
    result = load_plain_files([Path("missing.yml"), rules], Path.cwd())
    assert [("E008", "", 0, 0)] == problems(result)
    assert 1 == len(result.project.alerts)


# --- modules ------------------------------------------------------------------------------------------------


def test_modules_are_unique_and_relative_to_root() -> None:
    """Each file is a module named after its stem, made unique; its source is relative to root when under it,
    else its file name."""
    first = write("root/sub/alerts.yml", RULES)
    second = write("elsewhere/alerts.yml", RULES)
    board = write("root/api.json", DASHBOARD)
    result = load_plain_files([first, second, board], Path("root"))
    expected = [("alerts", "sub/alerts.yml"), ("alerts_2", "alerts.yml"), ("api", "api.json")]
    assert expected == [(module.name, module.source) for module in result.project.modules]
    assert ["alerts", "alerts_2"] == [result.project.module_of(alert) for alert in result.project.alerts]


def test_directory_gives_its_rule_files_and_dashboards() -> None:
    """A directory path imports its .yml, .yaml and .json files, recursively, in sorted order."""
    write("plain/rules.yml", RULES)
    write("plain/sub/api.json", DASHBOARD)
    write("plain/notes.txt", "not read")
    result = load_plain_files([Path("plain")], Path.cwd())
    assert ["plain/rules.yml", "plain/sub/api.json"] == [module.source for module in result.project.modules]
