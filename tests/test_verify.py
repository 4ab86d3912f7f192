"""verify's pieces that need no Prometheus: Grafana's substitution, the report, exit codes without a server."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest

from monitoring_dsl import Variable
from monitoring_dsl.model.base import SourceLocation
from monitoring_dsl.promql import Matcher, Selector, interpolate
from monitoring_dsl.verify import PrometheusAPI, QueryFailed
from monitoring_dsl.verify.report import render_report
from monitoring_dsl.verify.run import (
    EMPTY,
    FAILING,
    OK,
    Outcome,
    Report,
    _apply_regex,
    _range_seconds,
    _step,
    format_variable,
    macros,
    regex_escape,
    selector_text,
)
from tests.conftest import run_cli, write_specs
from tests.support.servers import free_port


def test_regex_escape_matches_grafana() -> None:
    """Regex metacharacters get a doubled backslash, as Grafana writes them inside a PromQL string."""
    assert "/orders/\\\\{id\\\\}" == regex_escape("/orders/{id}")
    assert "a\\\\.b\\\\|c" == regex_escape("a.b|c")


def test_multi_value_variable_becomes_an_alternation() -> None:
    """A multi-value or include-all variable stands for all its values; a single value is escaped alone."""
    multi = Variable.query("endpoint", "label_values(x, endpoint)", multi=True)
    assert "(/a|/b\\\\.c)" == format_variable(multi, ["/a", "/b.c"])
    assert "/a" == format_variable(multi, ["/a"])


def test_single_value_variable_takes_default_or_first() -> None:
    """A plain variable is its default when offered, else its first value, unescaped."""
    plain = Variable.custom("env", ["prod", "staging"], default="staging")
    assert "staging" == format_variable(plain, ["prod", "staging"])
    assert "prod" == format_variable(Variable.custom("env", ["prod", "dev"]), ["prod", "dev"])


def test_macros_follow_grafana_rate_interval_rule() -> None:
    """$__rate_interval is max($__interval + scrape, 4 x scrape); ranges in seconds."""
    values = macros(21600, 216, 15)
    assert ("216s", "231s", "21600s", "216000") == (
        values["__interval"],
        values["__rate_interval"],
        values["__range"],
        values["__interval_ms"],
    )
    assert "60s" == macros(3600, 15, 15)["__rate_interval"]


def test_step_respects_a_target_minimum_interval() -> None:
    """About a hundred points per range, never under the scrape interval or the target's own interval."""
    assert 216 == _step(21600, 15, None)
    assert 3600 == _step(21600, 15, "1h")
    assert 21600 == _range_seconds("now-6h")
    assert 7 * 86400 == _range_seconds("now-7d")


def test_interpolate_replaces_every_reference_form() -> None:
    """$name, ${name}, ${name:fmt} and [[name]] are all replaced; unknown names are reported."""
    text, missing = interpolate(
        'x{a=~"$v", b="${v}", c="${v:regex}", d="[[v]]"}[$__rate_interval] $w',
        {
            "v": "1",
            "__rate_interval": "1m",
        },
    )
    assert ('x{a=~"1", b="1", c="1", d="1"}[1m] $w', ("w",)) == (text, missing)


def test_variable_regex_filters_and_captures() -> None:
    """A variable's regex keeps matching values, or their first group."""
    assert ["api", "web"] == _apply_regex("/job-(.*)/", ["job-api", "other", "job-web"])


def test_selector_text_quotes_values() -> None:
    """Selectors sent to /api/v1/series are valid PromQL with escaped values."""
    selector = Selector("x_total", (Matcher("a", "=~", 'say "hi"'),), None, None)
    assert 'x_total{a=~"say \\"hi\\""}' == selector_text(selector)


def test_report_problems_respect_allow_empty_and_allowed() -> None:
    """Empty fails unless --allow-empty; failing always fails unless the object is allowed."""
    here = SourceLocation("specs/a.py", 3)
    report = Report(
        (
            Outcome("panel", "panel P", here, OK, "q", "1 series"),
            Outcome("panel", "panel E", here, EMPTY, "q", "no series named `x`"),
            Outcome("alert", "alert F", here, FAILING, "q", "bad_data: parse error"),
            Outcome("alert", "alert G", here, FAILING, "q", "bad_data", allowed=True),
        ),
        ("declared_total",),
        (),
    )
    assert ["panel E", "alert F"] == [o.title for o in report.problems()]
    assert ["alert F"] == [o.title for o in report.problems(allow_empty=True)]
    text = render_report(report, lambda loc: f"{loc.path}:{loc.line}" if loc else "?")
    assert "specs/a.py:3: empty   panel E: no series named `x`\n    query: q" in text
    assert "declared but not exposed (1): declared_total" in text
    assert text.endswith("1 ok, 1 empty, 2 failing")


def test_report_lists_queries_in_file_and_line_order() -> None:
    """Line 9 comes before line 10 of the same file (numbers, not text, are compared)."""
    outcomes = tuple(
        Outcome("panel", f"panel {line}", SourceLocation("specs/a.py", line), OK, "q", "1 series") for line in (10, 9)
    )
    text = render_report(Report(outcomes, (), ()), lambda loc: f"{loc.path}:{loc.line}" if loc else "?")
    assert ["specs/a.py:9", "specs/a.py:10"] == [line.split(": ")[0] for line in text.splitlines()[:2]]


def test_verify_exits_2_when_prometheus_is_unreachable(tmp_path: Path) -> None:
    """Nothing listening at the URL: exit 2 with a message, not a traceback."""
    root = write_specs(tmp_path, {"api.py": 'from monitoring_dsl import *\nc = Counter("a_total", "A")\n'})
    run = run_cli("verify", "--prometheus", f"http://127.0.0.1:{free_port()}", "--timeout", "2", cwd=root)
    assert 2 == run.code
    assert "cannot reach Prometheus" in run.stderr


def test_a_query_without_answer_fails_after_the_timeout() -> None:
    """A server that accepts the connection but never answers costs one timeout, reported as a failure."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        api = PrometheusAPI(f"http://127.0.0.1:{listener.getsockname()[1]}", timeout=0.5)
        start = time.monotonic()
        with pytest.raises(QueryFailed, match=r"no answer within 0\.5 s"):
            api.query("up", time.time())
        assert time.monotonic() - start < 3


def test_verify_stops_at_a_broken_spec_with_exit_2(tmp_path: Path) -> None:
    """A spec that does not load is reported at its line; nothing is sent to Prometheus."""
    root = write_specs(tmp_path, {"api.py": 'from monitoring_dsl import *\nc = Counter("a_total", "A", lables=[])\n'})
    run = run_cli("verify", "--prometheus", f"http://127.0.0.1:{free_port()}", cwd=root)
    assert 2 == run.code
    assert "specs/api.py:2" in run.stderr and "nothing was verified" in run.stderr


def test_an_invalid_variable_regex_is_a_query_failure() -> None:
    """A variable regex Python cannot compile fails that variable, not the whole run."""
    with pytest.raises(QueryFailed, match="invalid regular expression"):
        _apply_regex("/(unclosed/", ["a"])
