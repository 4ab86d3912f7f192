"""promql's value fact: what a query's numbers measure, from one walk over promql_parser's tree."""

from __future__ import annotations

import pytest

from monitoring_dsl.model.units import COUNT, DATA, FRACTION, NUMBER, TIME, Quantity, unit_from_name
from monitoring_dsl.promql import Parsed, parse
from monitoring_dsl.promql.values import thresholds, times_100, value_of


def _series(name: str) -> Quantity | None:
    base = name.removesuffix("_total")
    return unit_from_name(base, name) or (Quantity(COUNT, series=(name,)) if name.endswith("_total") else None)


def _value(query: str) -> Quantity | None:
    parsed = parse(query)
    assert isinstance(parsed, Parsed), parsed
    return value_of(parsed, _series, lambda name: name.endswith("_total"))


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("1 + 2", Quantity(NUMBER)),
        ("request_duration_seconds", Quantity(TIME)),
        ("(request_duration_seconds * 1000)", Quantity(TIME, 1e-3)),
        ("-request_duration_seconds / -1000", Quantity(TIME, 1e3)),
        ("rate(sent_bytes_total[5m])", Quantity(DATA, per_second=True)),
        ("sum by (job) (rate(errors_total[5m])) / sum by (job) (rate(requests_total[5m]))", Quantity(FRACTION)),
        ("rate(cpu_seconds_total[5m]) / rate(requests_total[5m])", Quantity(TIME)),
        ("topk(5, memory_bytes) and on() up", Quantity(DATA)),
        ("count(up)", Quantity(COUNT)),
        ("max_over_time(memory_bytes[1h:1m] offset 5m)", Quantity(DATA)),
    ],
)
def test_the_value_of_a_query(query: str, expected: Quantity) -> None:
    assert expected == _value(query)


@pytest.mark.parametrize(
    "query",
    [
        "rate(memory_bytes[5m])",  # not a counter
        "memory_bytes > bool 5",
        "request_duration_seconds + memory_bytes",
        '{__name__="memory_bytes"}',  # no name the walk can trust
        "absent(up)",
    ],
)
def test_what_the_walk_does_not_model_has_no_value(query: str) -> None:
    assert _value(query) is None


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("rate(errors_total[5m]) > 0.05", (0.05,)),
        ("x > bool -5 and y < (2 * 3)", (-5.0, 2.0)),
        ('x{code!="500"} == 1e3 or x != Inf', (1000.0,)),
        ("x > y", ()),
    ],
)
def test_thresholds_are_the_numbers_a_comparison_compares_with(query: str, expected: tuple[float, ...]) -> None:
    parsed = parse(query)
    assert isinstance(parsed, Parsed)
    assert expected == thresholds(parsed)


@pytest.mark.parametrize(
    ("query", "expected"),
    [("x / y * 100 > 5", True), ("100 * x", True), ("x * 1000", False), ("x * -100", False), ("x + 100", False)],
)
def test_times_100(query: str, expected: bool) -> None:
    parsed = parse(query)
    assert isinstance(parsed, Parsed)
    assert expected == times_100(parsed)
