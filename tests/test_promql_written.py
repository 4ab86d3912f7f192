# (STYLE.md: `assert expected == actual`, expected first.)
"""promql/written.py reads a query as its author wrote it, Grafana macros and variables still in."""

from __future__ import annotations

from monitoring_dsl.promql.written import (
    exact_matchers,
    fixed_rate_windows,
    literal_ranges,
    regex_matchers,
    trailing_comparison,
)


def test_fixed_rate_windows_skip_strings_subqueries_and_macros() -> None:
    written = (
        'sum(rate(a{path="rate(x[1m])"}[5m])) + rate(b[$__rate_interval]) + irate(c[2m])'
        " + max_over_time(rate(d[1m])[1h:5m]) + rate(e[1h30m])"
    )
    assert ["[5m]", "[1m]", "[1h30m]"] == list(fixed_rate_windows(written))


def test_literal_ranges_by_seconds_first_spelling_kept() -> None:
    assert {300.0: "[5m", 3600.0: "[1h"} == literal_ranges("rate(a[5m]) / rate(b[300s]) + max_over_time(c[1h:1m])")


def test_matchers_as_written() -> None:
    written = """a{queue="$queue", env!='prod', path=~"/api/$v", x!~`y.*`}"""
    assert [("queue", "=", "$queue"), ("env", "!=", "prod")] == [
        (m.label, m.op, m.value) for m in exact_matchers(written)
    ]
    assert [("path", "=~", "/api/$v"), ("x", "!~", "y.*")] == [
        (m.label, m.op, m.value) for m in regex_matchers(written)
    ]


def test_trailing_comparison_splits_body_operator_and_number_as_written() -> None:
    assert ("sum(rate(x[5m]))", ">", "0.5") == trailing_comparison("sum(rate(x[5m])) > 0.5")
    assert ("up", "==", "0") == trailing_comparison("up == 0")
    assert trailing_comparison("a > b") is None
