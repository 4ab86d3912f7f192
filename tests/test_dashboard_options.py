"""Dashboard options beyond queries: how they are validated, and the Grafana JSON they become."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from monitoring_dsl import (
    Annotation,
    BarGauge,
    Dashboard,
    GaugePanel,
    Link,
    Override,
    PieChart,
    Stat,
    Table,
    Target,
    Text,
    Threshold,
    TimeSeries,
    Transformation,
    ValueMapping,
    Variable,
)
from monitoring_dsl.checks.dashboard_options import DASHBOARD_TYPED_PATHS, PANEL_TYPED_PATHS
from monitoring_dsl.emit.grafana import dashboard_json
from monitoring_dsl.emit.layout import layout
from monitoring_dsl.model.base import SpecError
from tests.conftest import run_cli

Q = "sum(rate(http_requests_total[$__rate_interval]))"
TABLE_Q = Target("sum by (endpoint) (rate(http_requests_total[5m]))", instant=True, format="table")


def _json(*panels: Any, **options: Any) -> dict[str, Any]:
    return dashboard_json(Dashboard("T", panels=list(panels), **options), "t")


def _panel(*panels: Any, **options: Any) -> dict[str, Any]:
    return _json(*panels, **options)["panels"][0]


def _keys(node: Any) -> set[str]:
    if isinstance(node, dict):
        return set(node) | {k for v in node.values() for k in _keys(v)}
    if isinstance(node, list):
        return {k for v in node for k in _keys(v)}
    return set()


def _paths(node: Any, prefix: str = "") -> set[str]:
    if not isinstance(node, dict):
        return set()
    found = set()
    for key, value in node.items():
        found.add(prefix + key)
        found |= _paths(value, f"{prefix}{key}.")
    return found


# --- correct defaults ---------------------------------------------------------------------------------------


def test_time_series_thresholds_are_drawn_as_lines() -> None:
    """Declared thresholds are visible: Grafana draws them as lines unless the spec asks otherwise."""
    panel = _panel(TimeSeries("p95", Q, unit="s", thresholds=[Threshold("green"), Threshold("red", 1)]))
    assert {"mode": "line"} == panel["fieldConfig"]["defaults"]["custom"]["thresholdsStyle"]


def test_time_series_threshold_style_as_asked() -> None:
    """threshold_style="area" shades the threshold bands."""
    panel = _panel(TimeSeries("p95", Q, unit="s", thresholds=[Threshold("red", 1)], threshold_style="area"))
    assert {"mode": "area"} == panel["fieldConfig"]["defaults"]["custom"]["thresholdsStyle"]


def test_time_series_without_thresholds_draws_none() -> None:
    """No thresholds declared: nothing drawn (the base step alone would be a line at minus infinity)."""
    panel = _panel(TimeSeries("p95", Q, unit="s"))
    assert {"mode": "off"} == panel["fieldConfig"]["defaults"]["custom"]["thresholdsStyle"]


def test_no_value_only_when_declared() -> None:
    """A Stat shows Grafana's "No data" unless the spec says otherwise."""
    assert "noValue" not in _panel(Stat("Up", "min(up)", unit="none"))["fieldConfig"]["defaults"]
    declared = _panel(Stat("Up", "min(up)", unit="none", no_value="no scrape"))
    assert "no scrape" == declared["fieldConfig"]["defaults"]["noValue"]


def test_no_legacy_keys() -> None:
    """Keys only Grafana 6-8 read are gone from panels, targets, variables and gauges."""
    data = _json(
        TimeSeries("a", Q, unit="s"),
        Stat("b", Q, unit="s"),
        GaugePanel("c", Q, unit="s"),
        BarGauge("d", Q, unit="s"),
        Table("e", TABLE_Q, unit="s"),
        variables=[
            Variable.query("endpoint", "label_values(http_requests_total, endpoint)"),
            Variable.custom("q", ["0.5", "0.9"]),
            Variable.interval("w"),
        ],
    )
    legacy = {"error", "intervalFactor", "useTags", "tagsQuery", "tagValuesQuery", "auto_min", "auto_count"}
    assert set() == legacy & _keys(data)
    gauge = data["panels"][2]
    assert not {"showThresholdLabels", "showThresholdMarkers"} & set(gauge["fieldConfig"])
    assert gauge["options"]["showThresholdMarkers"] is True


def test_query_variable_has_a_definition() -> None:
    """Grafana shows a query variable's definition in the variables list."""
    query = "label_values(http_requests_total, endpoint)"
    variable = _json(Text("x"), variables=[Variable.query("endpoint", query)])["templating"]["list"][1]
    assert query == variable["definition"] == variable["query"]


def test_link_carries_every_value_of_a_variable() -> None:
    """A link passing the dashboard's own variable carries all selected values (`${x:queryparam}`)."""
    panel = _panel(
        TimeSeries("a", Q, unit="s", links=[Link("Detail", dashboard="d", variables={"endpoint": "$endpoint"})]),
        variables=[Variable.query("endpoint", "label_values(http_requests_total, endpoint)", multi=True)],
    )
    assert "/d/d?${endpoint:queryparam}&${__url_time_range}" == panel["links"][0]["url"]


def test_table_data_links_use_data_fields() -> None:
    """In a table, labels are columns: `${__field.labels.x}` becomes `${__data.fields.x}`."""
    link = Link("Detail", dashboard="d", variables={"endpoint": "${__field.labels.endpoint}"})
    table = _panel(Table("t", TABLE_Q, unit="s", data_links=[link]))
    series = _panel(TimeSeries("t", Q, unit="s", data_links=[link]))
    assert "var-endpoint=${__data.fields.endpoint}" in table["fieldConfig"]["defaults"]["links"][0]["url"]
    assert "var-endpoint=${__field.labels.endpoint}" in series["fieldConfig"]["defaults"]["links"][0]["url"]


def test_dashboard_link_keeps_time_once() -> None:
    """A dashboard link says keepTime/includeVars; its URL does not repeat the time range."""
    data = _json(Text("x"), links=[Link("D", dashboard="d", include_vars=True)])
    [link] = data["links"]
    assert ("/d/d", True, True) == (link["url"], link["keepTime"], link["includeVars"])


def test_panel_link_include_vars() -> None:
    """A panel link with include_vars=True carries every variable in its URL."""
    panel = _panel(TimeSeries("a", Q, unit="s", links=[Link("D", dashboard="d", include_vars=True, keep_time=False)]))
    assert "/d/d?${__all_variables}" == panel["links"][0]["url"]


def test_table_of_several_queries_is_merged_by_default() -> None:
    """Several table-format queries become one table; one query or an explicit list is left as it is."""
    two = [TABLE_Q, Target("count by (endpoint) (up)", instant=True, format="table")]
    assert [{"id": "merge", "options": {}}] == _panel(Table("t", two, unit="s"))["transformations"]
    assert [] == _panel(Table("t", TABLE_Q, unit="s"))["transformations"]
    assert [] == _panel(Table("t", two, unit="s", transformations=[]))["transformations"]


# --- typed options ------------------------------------------------------------------------------------------


def test_overrides_become_matchers_and_properties() -> None:
    """Override(match, **options): one matcher, one property per option, in Grafana's ids."""
    override = Override("Value", unit="percentunit", width=90, hidden=True)
    panel = _panel(Table("t", TABLE_Q, unit="s", overrides=[override]))
    assert [
        {
            "matcher": {"id": "byName", "options": "Value"},
            "properties": [
                {"id": "unit", "value": "percentunit"},
                {"id": "custom.width", "value": 90},
                {"id": "custom.hidden", "value": True},
            ],
        }
    ] == panel["fieldConfig"]["overrides"]


def test_value_mappings() -> None:
    """Each kind of ValueMapping in Grafana's shape, indexed in order."""
    panel = _panel(
        Stat(
            "s",
            "min(up)",
            unit="none",
            mappings=[
                ValueMapping.value(1, "up", color="green"),
                ValueMapping.range(2, None, "many"),
                ValueMapping.regex("^x", "x"),
                ValueMapping.special("null", "n/a"),
            ],
        )
    )
    assert [
        {"type": "value", "options": {"1": {"text": "up", "index": 0, "color": "green"}}},
        {"type": "range", "options": {"from": 2, "result": {"text": "many", "index": 1}}},  # no bound: no key
        {"type": "regex", "options": {"pattern": "^x", "result": {"text": "x", "index": 2}}},
        {"type": "special", "options": {"match": "null", "result": {"text": "n/a", "index": 3}}},
    ] == panel["fieldConfig"]["defaults"]["mappings"]


def test_repeat_time_shift_and_log_axis() -> None:
    """repeat=, time_from=, time_shift= and log_base= in Grafana's keys."""
    panel = _panel(
        TimeSeries(
            "$e",
            Q,
            unit="s",
            repeat="e",
            repeat_direction="h",
            max_per_row=4,
            time_from="1h",
            time_shift="1d",
            log_base=2,
        ),
        variables=[Variable.custom("e", ["a", "b"], multi=True)],
    )
    picked = {k: panel.get(k) for k in ("repeat", "repeatDirection", "maxPerRow", "timeFrom", "timeShift")}
    assert {"repeat": "e", "repeatDirection": "h", "maxPerRow": 4, "timeFrom": "1h", "timeShift": "1d"} == picked
    assert {"type": "log", "log": 2} == panel["fieldConfig"]["defaults"]["custom"]["scaleDistribution"]


def test_panel_url_link_include_vars() -> None:
    """A panel's url link with include_vars=True appends every variable to the URL it already has."""
    links = [Link("A", url="https://x.example/a?b=1", include_vars=True), Link("B", url="https://x.example/b")]
    panel = _panel(TimeSeries("a", Q, unit="s", links=links))
    assert ["https://x.example/a?b=1&${__all_variables}", "https://x.example/b"] == [
        link["url"] for link in panel["links"]
    ]


def test_library_panel_reference() -> None:
    """library_panel="uid" refers the panel to a library panel of that uid, named by the panel's title."""
    panel = _panel(TimeSeries("Shared latency", Q, unit="s", library_panel="lib-latency"))
    assert {"uid": "lib-latency", "name": "Shared latency"} == panel["libraryPanel"]


def test_variable_kinds() -> None:
    """constant (hidden), textbox and ad hoc variables; all_value with include_all."""
    listed = _json(
        Text("x"),
        variables=[
            Variable.constant("job", "api"),
            Variable.textbox("pod", "api-.*"),
            Variable.adhoc(),
            Variable.custom("q", ["a", "b"], include_all=True, all_value=".*"),
        ],
    )["templating"]["list"][1:]
    assert [("constant", 2, "api"), ("textbox", 0, "api-.*")] == [
        (v["type"], v["hide"], v["query"]) for v in listed[:2]
    ]
    assert {"type": "adhoc", "name": "filters"}.items() <= listed[2].items()
    assert ".*" == listed[3]["allValue"]


def test_alerts_annotation_from_rule_group() -> None:
    """Annotation.alerts draws the firing periods of the given alerts from ALERTS."""
    from monitoring_dsl import Alert, RuleGroup

    group = RuleGroup("g", [Alert("A", "up == 0", severity="page", summary="s"), Alert("B.x", "up == 0", summary="s")])
    [annotation] = _json(Text("x"), annotations=[Annotation.alerts(group)])["annotations"]["list"]
    assert 'ALERTS{alertname=~"A|B\\.x", alertstate="firing"}' == annotation["expr"]
    assert ("{{alertname}}", "alertname,severity", "red") == (
        annotation["titleFormat"],
        annotation["tagKeys"],
        annotation["iconColor"],
    )


def test_extra_is_deep_merged_last() -> None:
    """extra= sets its keys and keeps the siblings the typed model wrote."""
    data = _json(
        TimeSeries("a", Q, unit="s", extra={"options": {"tooltip": {"sort": "desc"}}, "pluginVersion": "11.0.0"}),
        extra={"weekStart": "monday", "time": {"to": "now-1m"}},
    )
    panel = data["panels"][0]
    assert {"mode": "multi", "sort": "desc"} == panel["options"]["tooltip"]
    assert "11.0.0" == panel["pluginVersion"]
    assert ("monday", {"from": "now-6h", "to": "now-1m"}) == (data["weekStart"], data["time"])


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: Override("Value"), "set at least one option"),
        (lambda: ValueMapping.special("nul", "n/a"), "'match' must be one of"),
        (lambda: Transformation.join(""), "give the field to join on"),
        (lambda: Transformation.filter(), "give the field names to keep"),
        (lambda: Variable.custom("q", ["a"], all_value=".*"), "'all_value' needs include_all=True"),
        (lambda: TimeSeries("a", Q, extra={"x": object()}), "extra['x'] is object"),
        (lambda: TimeSeries("a", Q, height=101), "'height' must be an integer from 1 to 100"),
        (lambda: TimeSeries("a", Q, grid_pos=(0, 0, 12, 5000)), "does not fit the 24-column grid"),
        (lambda: TimeSeries("a", Q, log_base=3), "'log_base' must be one of 2, 10"),
        (lambda: Override("Value", unti="s"), "did you mean 'unit'?"),
        (lambda: Text("About", content="x", no_value="-"), "'no_value' does not apply to a text panel"),
        (lambda: Override("nubmer", by="type", unit="s"), "with by='type', 'match' must be one of"),
        (lambda: Transformation.organize(field="x"), "'field' is not an option of organize"),
        (lambda: Transformation.join("Time", rename={"a": "b"}), "'rename' is not an option of join"),
    ],
)
def test_invalid_options_are_refused(make: Any, message: str) -> None:
    """Each option is validated when the spec is built, with a message naming the field."""
    with pytest.raises(SpecError) as raised:
        make()
    assert message in raised.value.message


def test_invalid_option_reported_at_spec_line(tmp_path: Path) -> None:
    """A misspelt option keyword is E002 at the spec's file and line, with the nearest keyword."""
    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "d.py").write_text(
        "from monitoring_dsl import Dashboard, Override, Table\n"
        "d = Dashboard('T', panels=[\n"
        "    Table('t', 'up', unit='s', overrides=[Override('Value', widht=90)]),\n"
        "])\n",
        encoding="utf-8",
    )
    run = run_cli("build", cwd=tmp_path)
    assert 2 == run.code
    assert "specs/d.py:3" in run.stdout + run.stderr
    assert "did you mean 'width'?" in run.stdout + run.stderr


# --- layout -------------------------------------------------------------------------------------------------


def _boxes(*panels: Any) -> list[tuple[int, int, int, int]]:
    [placed] = layout(Dashboard("T", panels=list(panels)))
    return [(b.x, b.y, b.w, b.h) for _, b in placed.panels]


def test_line_without_holes() -> None:
    """Panels of one line share its height; free columns go to panels of implicit width."""
    boxes = _boxes(GaugePanel("g", Q), Stat("s", Q), Stat("t", Q), TimeSeries("a", Q), TimeSeries("b", Q))
    assert [(0, 0, 8, 6), (8, 0, 8, 6), (16, 0, 8, 6), (0, 6, 12, 8), (12, 6, 12, 8)] == boxes


def test_explicit_sizes_are_kept() -> None:
    """An explicit width or height stays as written."""
    boxes = _boxes(Stat("s", Q, width=4, height=3), TimeSeries("a", Q))
    assert [(0, 0, 4, 3), (4, 0, 20, 8)] == boxes


def test_layout_is_linear_in_panels() -> None:
    """Ten thousand panels lay out in well under a second (no per-unit loop, no pairwise overlap test)."""
    panels = [Stat(f"s{i}", Q) for i in range(10_000)]
    start = time.perf_counter()
    boxes = _boxes(*panels)
    assert time.perf_counter() - start < 1.0
    assert (0, 2495 * 5, 6, 5) == boxes[9980]


def test_tall_fixed_panel_is_skipped_in_one_step() -> None:
    """Flowing around a full-width panel of the maximum height jumps past it instead of walking each unit."""
    boxes = _boxes(Text("top", grid_pos=(0, 0, 24, 100)), Stat("s", Q))
    assert (0, 100, 6, 5) == boxes[1]


# --- the check table of typed paths is true ----------------------------------------------------------------


def test_typed_paths_are_what_the_emitter_writes() -> None:
    """Every JSON path D531 attributes to a keyword is written by the emitter when that keyword is set."""
    thresholds = [Threshold("green"), Threshold("red", 1)]
    links = [Link("L", url="https://example.com")]
    common: dict[str, Any] = {
        "description": "d",
        "unit": "s",
        "decimals": 1,
        "min": 0,
        "max": 1,
        "thresholds": thresholds,
        "links": links,
        "data_links": links,
        "mappings": [ValueMapping.value(1, "one")],
        "no_value": "-",
        "overrides": [Override("x", unit="s")],
        "repeat": "e",
        "max_per_row": 2,
        "time_from": "1h",
        "time_shift": "1d",
        "library_panel": "lib-1",
        "transformations": [Transformation.merge()],
        "transparent": True,
    }
    data = _json(
        TimeSeries("a", Q, legend_calcs=["max"], log_base=10, **common),
        Stat("b", Q, **common),
        BarGauge("c", Q, **common),
        Table("d", TABLE_Q, sort_by="Value", **common),
        PieChart("e", Q, **common),
        Text("f", content="x"),
        variables=[Variable.custom("e", ["a", "b"], multi=True)],
        links=links,
        annotations=[Annotation("A", "up == 0")],
    )
    emitted = set().union(*(_paths(panel) for panel in data["panels"]))
    assert set() == set(PANEL_TYPED_PATHS) - emitted
    assert set() == set(DASHBOARD_TYPED_PATHS) - set(data)


def test_every_option_golden_is_valid_json() -> None:
    """The every-option golden exists and parses (its bytes are compared by tests/test_golden.py)."""
    path = Path(__file__).parent / "golden/panel_options/expected/grafana/dashboards/store-options.json"
    assert "Store Options" == json.loads(path.read_text(encoding="utf-8"))["title"]


def test_annotation_queries_are_checked(tmp_path: Path) -> None:
    """An annotation's query is checked like a panel's: an unknown metric is reported at its line."""
    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "d.py").write_text(
        "from monitoring_dsl import Annotation, Dashboard, Text\n"
        "d = Dashboard('T', panels=[Text('x')],\n"
        "              annotations=[Annotation('Deploys', 'changes(app_build_infoo[5m]) > 0')])\n",
        encoding="utf-8",
    )
    run = run_cli("lint", "--format", "concise", cwd=tmp_path)
    assert "specs/d.py:3" in run.stdout and "Q210" in run.stdout, run.stdout + run.stderr


def test_panels_and_dashboards_stay_hashable() -> None:
    """Dict-valued options (extra, renames) do not make spec objects unhashable."""
    table = Table("t", TABLE_Q, unit="s", transformations=[Transformation.organize(rename={"a": "b"})])
    objects = [TimeSeries("a", Q, extra={"x": {"y": 1}}), Dashboard("d", extra={"weekStart": "monday"}), table]
    assert len(objects) == len({hash(obj) for obj in objects})
