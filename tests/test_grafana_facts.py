"""The facts about Grafana that dashboard checks use agree with each other, and Grafana references in a query
are found where the user wrote them."""

from __future__ import annotations

from monitoring_dsl.checks.dashboards import _top_level_arguments, _variable_query_problem
from monitoring_dsl.config import key_line
from monitoring_dsl.model.units import GRAFANA_UNIT_IDS, GRAFANA_UNITS, UNIT_WORDS
from monitoring_dsl.promql import references


def test_units_the_unit_checks_know_are_grafana_ids() -> None:
    """Every unit D506 interprets and every suggestion D513 makes is a Grafana unit id."""
    assert set() == (set(GRAFANA_UNITS) | set(UNIT_WORDS.values())) - GRAFANA_UNIT_IDS


def test_references_are_found_with_their_offsets() -> None:
    """Macros and variables, braced or not, with whether they sit in a string."""
    query = 'sum(rate(x{queue=~"${queue:regex}"}[$__rate_interval])) by ([[group]])'
    found = [(r.name, r.text, r.start, r.quoted, r.macro) for r in references(query)]
    assert [
        ("queue", "${queue:regex}", 19, True, False),
        ("__rate_interval", "$__rate_interval", 36, False, True),
        ("group", "[[group]]", 60, False, False),
    ] == found


def test_label_replace_group_references_are_not_grafana_variables() -> None:
    """`$1` in label_replace() is a regex group, not a variable."""
    assert () == references('label_replace(up, "dst", "$1", "src", "(.*)")')


def test_variable_query_arguments_respect_brackets() -> None:
    """A comma inside a selector does not split label_values() arguments; unbalanced ones give up."""
    assert ['x{a="1,2", b=~"c"}', "d"] == _top_level_arguments('x{a="1,2", b=~"c"}, d')
    assert _top_level_arguments("x{, d") is None
    assert _variable_query_problem('label_values(x{a="1"}, d)', plain=False) is None


def test_key_line_finds_the_key_in_its_table_only() -> None:
    """The same key in another table does not count."""
    text = '[tool.other]\nspecs = 1\n\n[tool.monitoring-dsl]\nout = "x"\nspecs = ["s"]\n'
    assert (6, 1) == (key_line(text, "specs"), key_line(text, "missing"))
