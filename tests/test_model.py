# (STYLE.md: `assert expected == actual`, expected first.)
"""The model layer on its own: spec classes build from valid input and refuse bad input with a SpecError."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import attrs
import pytest

from monitoring_dsl import (
    Alert,
    BarGauge,
    Counter,
    Dashboard,
    Gauge,
    GaugePanel,
    Heatmap,
    Histogram,
    Link,
    PieChart,
    Record,
    Row,
    RuleGroup,
    Stat,
    Summary,
    Table,
    Target,
    Text,
    Threshold,
    TimeSeries,
    Variable,
)
from monitoring_dsl.model import SourceLocation, SpecError


def line_here() -> int:
    """The line of the caller's call to this function."""
    frame = inspect.currentframe()
    assert frame is not None and frame.f_back is not None
    return frame.f_back.f_lineno


def spec_error(build: Callable[[], object]) -> SpecError:
    """The SpecError that `build()` raises."""
    with pytest.raises(SpecError) as caught:
        build()
    return caught.value


def missing(message: str, *fragments: str) -> list[str]:
    """The fragments that `message` does not contain (an empty list when all are there)."""
    return [fragment for fragment in fragments if fragment not in message]


# --- valid input --------------------------------------------------------------------------------------------

VALID: list[Any] = [
    pytest.param(
        lambda: Counter("http_requests_total", "Requests", labels=["method", "status"]),
        {"name": "http_requests_total", "labels": ("method", "status")},
        id="Counter",
    ),
    pytest.param(
        lambda: Gauge("queue_depth", "Items queued", unit="items"), {"name": "queue_depth", "unit": "items"}, id="Gauge"
    ),
    pytest.param(
        lambda: Histogram("job_duration_seconds", "Job time", buckets=[0.1, 1, 10]),
        {"name": "job_duration_seconds", "buckets": (0.1, 1, 10)},
        id="Histogram",
    ),
    pytest.param(
        lambda: Summary("payload_bytes", "Payload size", quantiles=[0.5, 0.99]),
        {"name": "payload_bytes", "quantiles": (0.5, 0.99)},
        id="Summary",
    ),
    pytest.param(
        lambda: Target("up", "{{instance}}", instant=True),
        {"expr": "up", "legend": "{{instance}}", "instant": True},
        id="Target",
    ),
    pytest.param(lambda: Threshold("red", 0.9), {"color": "red", "value": 0.9}, id="Threshold"),
    pytest.param(lambda: Link("Docs", "https://docs.example"), {"url": "https://docs.example"}, id="Link-url"),
    pytest.param(
        lambda: Link("Detail", dashboard="api", variables={"endpoint": "x"}),
        {"dashboard": "api", "variables": {"endpoint": "x"}},
        id="Link-dashboard",
    ),
    pytest.param(
        lambda: TimeSeries("Traffic", "up", unit="reqps", stacking="normal"),
        {"title": "Traffic", "unit": "reqps", "stacking": "normal"},
        id="TimeSeries",
    ),
    pytest.param(
        lambda: Stat("Up", "min(up)", thresholds=[Threshold("red"), Threshold("green", 1)]),
        {"title": "Up", "thresholds": (Threshold("red"), Threshold("green", 1))},
        id="Stat",
    ),
    pytest.param(lambda: GaugePanel("Pool", "up", min=0, max=1), {"min": 0, "max": 1}, id="GaugePanel"),
    pytest.param(lambda: BarGauge("Top", "up", orientation="vertical"), {"orientation": "vertical"}, id="BarGauge"),
    pytest.param(
        lambda: Table("Slowest", Target("up", format="table")), {"targets": (Target("up", format="table"),)}, id="Table"
    ),
    pytest.param(lambda: Heatmap("Latency", "up", color_scheme="Blues"), {"color_scheme": "Blues"}, id="Heatmap"),
    pytest.param(lambda: PieChart("Shares", "up", pie_type="donut"), {"pie_type": "donut"}, id="PieChart"),
    pytest.param(lambda: Text("About", content="**hi**"), {"content": "**hi**", "targets": ()}, id="Text"),
    pytest.param(
        lambda: Row("Traffic", [Stat("Up", "up")], collapsed=True),
        {"panels": (Stat("Up", "up"),), "collapsed": True},
        id="Row",
    ),
    pytest.param(
        lambda: Variable("constant", "env", "prod"), {"kind": "constant", "definition": "prod"}, id="Variable"
    ),
    pytest.param(
        lambda: Dashboard("API", uid="api", rows=[Row("R")], tags=["team"]),
        {"uid": "api", "rows": (Row("R"),), "tags": ("team",)},
        id="Dashboard",
    ),
    pytest.param(
        lambda: Alert("Down", "up == 0", for_="1h30m", severity="page", labels={"team": "x"}),
        {"for_": "1h30m", "severity": "page", "labels": {"team": "x"}},
        id="Alert",
    ),
    pytest.param(
        lambda: Record("job:up:sum", "sum by (job) (up)", labels={"team": "x"}),
        {"name": "job:up:sum", "labels": {"team": "x"}},
        id="Record",
    ),
    pytest.param(
        lambda: RuleGroup("api", [Record("job:up:sum", "sum(up)")], interval="30s"),
        {"rules": (Record("job:up:sum", "sum(up)"),), "interval": "30s"},
        id="RuleGroup",
    ),
]


@pytest.mark.parametrize(("build", "expected"), VALID)
def test_valid_input_constructs(build: Callable[[], object], expected: dict[str, object]) -> None:
    """Each spec class builds from valid input and keeps the values given (lists as tuples)."""
    obj = build()
    assert expected == {name: getattr(obj, name) for name in expected}


def test_objects_are_frozen() -> None:
    """A spec object cannot be changed after it is built."""
    counter = Counter("http_requests_total", "Requests")
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        counter.name = "other_total"


# --- unknown keywords and missing arguments -----------------------------------------------------------------


def test_unknown_keyword_names_it_and_the_nearest() -> None:
    """`lables=` is refused, naming 'lables' and suggesting 'labels'."""
    error = spec_error(lambda: Counter("http_requests_total", "Requests", lables=["method"]))
    assert [] == missing(error.message, "'lables'", "did you mean 'labels'")


def test_unknown_keyword_for_suggests_for_underscore() -> None:
    """`for=` (passed through **) on an Alert suggests 'for_'."""
    error = spec_error(lambda: Alert("Down", "up == 0", **{"for": "5m"}))
    assert [] == missing(error.message, "'for'", "did you mean 'for_'")


def test_missing_positional_argument() -> None:
    """A metric without its help text names the missing argument."""
    error = spec_error(lambda: Counter("http_requests_total"))
    assert [] == missing(error.message, "missing", "'help'")


def test_too_many_positional_arguments() -> None:
    """Options passed by position beyond the positional ones are refused, naming the positional ones."""
    error = spec_error(lambda: Alert("Down", "up == 0", "5m"))
    assert [] == missing(error.message, "positional", "name, expr")


# --- wrong types: field, expectation, actual value ----------------------------------------------------------


def test_buckets_as_string() -> None:
    """`buckets="fast"` names 'buckets', a list of numbers, and the string given."""
    error = spec_error(lambda: Histogram("job_duration_seconds", "Job time", buckets="fast"))
    assert [] == missing(error.message, "'buckets'", "list of numbers", "'fast'", "str")


def test_labels_as_string() -> None:
    """`labels="method"` names 'labels', a list, and the string given."""
    error = spec_error(lambda: Counter("http_requests_total", "Requests", labels="method"))
    assert [] == missing(error.message, "labels", "a list", "'method'", "str")


def test_labels_with_invalid_label_name() -> None:
    """A label name with a dash names the labels field, what a label name is, and the bad name."""
    error = spec_error(lambda: Counter("http_requests_total", "Requests", labels=["method", "status-code"]))
    assert [] == missing(error.message, "labels", "label names", "'status-code'")


def test_for_not_a_duration() -> None:
    """`for_="5 minutes"` names 'for_', a Prometheus duration, and the value given."""
    error = spec_error(lambda: Alert("Down", "up == 0", for_="5 minutes"))
    assert [] == missing(error.message, "'for_'", "duration", "'5 minutes'")


def test_threshold_value_as_string() -> None:
    """`Threshold("red", "0.9")` names 'value', a number, and the string given."""
    error = spec_error(lambda: Threshold("red", "0.9"))
    assert [] == missing(error.message, "'value'", "number", "'0.9'", "str")


def test_decimals_as_string() -> None:
    """A panel's `decimals="2"` names 'decimals', an integer, and the string given."""
    error = spec_error(lambda: TimeSeries("Traffic", "up", decimals="2"))
    assert [] == missing(error.message, "'decimals'", "integer", "'2'")


def test_dashboard_with_rows_and_panels() -> None:
    """A dashboard may have both: the loose panels come first (they sit above the first row)."""
    dashboard = Dashboard("API", rows=[Row("R", [Stat("Inner", "up")])], panels=[Stat("Up", "up")])
    assert ["Up", "Inner"] == [panel.title for panel in dashboard.all_panels()]


def test_link_with_url_and_dashboard() -> None:
    """A link given both url and dashboard is refused, naming both and the values given."""
    error = spec_error(lambda: Link("Docs", "https://docs.example", dashboard="api"))
    assert [] == missing(error.message, "'url'", "'dashboard'", "'https://docs.example'", "'api'")


def test_text_panel_with_query() -> None:
    """A Text panel given a query is refused: text panels take no queries."""
    error = spec_error(lambda: Text("About", "up"))
    assert [] == missing(error.message, "Text", "no queries")


def test_grid_pos_outside_the_grid() -> None:
    """A grid_pos reaching past column 24 names 'grid_pos', the 24-column grid, and the position given."""
    error = spec_error(lambda: TimeSeries("Traffic", "up", grid_pos=(20, 0, 6, 4)))
    assert [] == missing(error.message, "'grid_pos'", "24-column", "(20, 0, 6, 4)")


@pytest.mark.parametrize("width", [0, 25])
def test_width_outside_the_grid(width: int) -> None:
    """A width of 0 or 25 names 'width', 1 to 24, and the width given."""
    error = spec_error(lambda: TimeSeries("Traffic", "up", width=width))
    assert [] == missing(error.message, "'width'", "1 to 24", f"(got {width})")


# --- locations ----------------------------------------------------------------------------------------------


def test_object_records_its_location() -> None:
    """An object remembers the file and line of the call that built it."""
    line = line_here() + 1
    counter = Counter("http_requests_total", "Requests")
    assert SourceLocation(__file__, line) == counter.location


def test_nested_objects_record_their_own_lines() -> None:
    """In a declaration spanning lines, each object records the line of its own call."""
    first = line_here() + 2
    # fmt: off
    row = Row("Traffic", [
        Stat("Up", "up"),
    ])
    # fmt: on
    assert (first, first + 1) == (row.location.line, row.panels[0].location.line)


def test_spec_error_records_the_callers_line() -> None:
    """A SpecError points at the user's line that made the bad call, not at the library."""
    line = line_here() + 1
    error = spec_error(lambda: Threshold("red", "0.9"))
    assert SourceLocation(__file__, line) == error.location


def test_equality_ignores_location() -> None:
    """Two objects built alike on different lines are equal."""
    first = Counter("http_requests_total", "Requests", labels=["method"])
    second = Counter("http_requests_total", "Requests", labels=["method"])
    assert (True, True) == (first == second, first.location != second.location)


# --- variables ----------------------------------------------------------------------------------------------


def test_variable_query() -> None:
    """Variable.query makes a query variable whose definition is the query."""
    variable = Variable.query("endpoint", "label_values(http_requests_total, endpoint)", multi=True)
    expected = ("query", "endpoint", "label_values(http_requests_total, endpoint)", True)
    assert expected == (variable.kind, variable.name, variable.definition, variable.multi)


def test_variable_custom() -> None:
    """Variable.custom makes a custom variable whose definition is the values joined by commas."""
    variable = Variable.custom("quantile", ["0.5", "0.95", "0.99"])
    expected = ("custom", "0.5,0.95,0.99", ("0.5", "0.95", "0.99"))
    assert expected == (variable.kind, variable.definition, variable.values)


def test_variable_interval() -> None:
    """Variable.interval makes an interval variable with Grafana's usual default choices."""
    variable = Variable.interval("window")
    expected = ("interval", "1m,5m,15m,1h", ("1m", "5m", "15m", "1h"))
    assert expected == (variable.kind, variable.definition, variable.values)


# --- PromQL helpers -----------------------------------------------------------------------------------------

LATENCY = Histogram("http_request_duration_seconds", "Latency", labels=["endpoint"])
REQUESTS = Counter("http_requests_total", "Requests", labels=["endpoint", "status"])


def test_histogram_quantile_by_label() -> None:
    """quantile(0.95, by=[...]) groups by le and the given labels over $__rate_interval."""
    expected = (
        "histogram_quantile(0.95, sum by (le, endpoint) (rate(http_request_duration_seconds_bucket[$__rate_interval])))"
    )
    assert expected == LATENCY.quantile(0.95, by=["endpoint"])


def test_histogram_quantile_with_matcher_and_window() -> None:
    """quantile with a matcher and a window puts both on the _bucket selector."""
    expected = 'histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{endpoint="/api"}[5m])))'
    assert expected == LATENCY.quantile(0.99, window="5m", endpoint="/api")


def test_counter_rate_by_label() -> None:
    """rate(by=[...]) sums the per-second rate by the given labels."""
    expected = "sum by (endpoint) (rate(http_requests_total[$__rate_interval]))"
    assert expected == REQUESTS.rate(by=["endpoint"])


def test_counter_rate_with_regex_matcher() -> None:
    """A matcher value with regex characters becomes a `=~` matcher."""
    expected = 'sum(rate(http_requests_total{status=~"5.."}[5m]))'
    assert expected == REQUESTS.rate(window="5m", status="5..")


def test_counter_rate_escapes_quotes_in_matcher_values() -> None:
    """A double quote in a matcher value is escaped, so the query stays valid PromQL."""
    expected = 'sum(rate(http_requests_total{endpoint="say \\"hi\\""}[$__rate_interval]))'
    assert expected == REQUESTS.rate(endpoint='say "hi"')


# --- panels -------------------------------------------------------------------------------------------------


def test_panel_plain_string_becomes_one_target() -> None:
    """A panel given a query string holds exactly one Target with that expr."""
    panel = TimeSeries("Up", "min(up)")
    assert (Target("min(up)"),) == panel.targets


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        (
            lambda: Alert("A", "x > 1", severity="page", summary="s", fore="5m"),
            "unknown keyword 'fore'; did you mean 'for_'?",
        ),
        (
            lambda: Alert("A", "x > 1", "5m", "page", "s", "extra", "more", "again", "and", "more", "x", "y"),
            "positional argument(s)",
        ),
        (lambda: Alert("A"), "missing required argument(s): 'expr'"),
    ],
)
def test_arguments_that_do_not_fit_are_explained_without_pythons_message(call: Any, expected: str) -> None:
    """A signature mistake is a SpecError naming the fix, with Python's own TypeError not chained to it."""
    with pytest.raises(SpecError) as raised:
        call()
    assert expected in str(raised.value)
    assert raised.value.__suppress_context__
