# (STYLE.md: `assert expected == actual`, expected first.)
"""The small grammars that several stages share have one home each: durations, did-you-mean, check codes."""

from __future__ import annotations

import pytest

from monitoring_dsl.model.base import CODE_RE, nearest
from monitoring_dsl.model.rules import format_duration


@pytest.mark.parametrize(
    ("seconds", "in_files", "in_messages"),
    [(0, "0s", "0s"), (90, "90s", "90s"), (300.0, "5m", "5m"), (86400 * 2, "2d", "2d"), (1.5, "1500ms", "1.5s"),
     (0.25, "250ms", "0.25s"), (3600 + 0.5, "3600500ms", "3600.5s")],
)  # fmt: skip
def test_format_duration_in_files_and_in_messages(seconds: float, in_files: str, in_messages: str) -> None:
    assert in_files == format_duration(seconds)
    assert in_messages == format_duration(seconds, milliseconds=False)


def test_nearest_is_the_close_candidate_or_nothing() -> None:
    assert "labels" == nearest("lables", ["annotations", "labels", "expr"])
    assert nearest("zzz", ["annotations", "labels"]) is None


def test_code_re_is_the_one_the_registry_checks() -> None:
    from monitoring_dsl.checks import registry

    assert registry.CODE_RE is CODE_RE
    assert CODE_RE.match("Q201") and not CODE_RE.match("X201") and not CODE_RE.match("Q20")


def test_grafana_variable_references_have_one_grammar() -> None:
    from monitoring_dsl.model.dashboards import FIELD_LABEL_RE, variable_references, whole_reference
    from monitoring_dsl.promql import macros

    text = 'sum(x{a=~"$a", b="${b:raw}", c="[[c]]", d="[[d:csv]]"}[$__rate_interval]) ${e.text} ${unclosed'
    assert ["a", "b", "c", "d", "__rate_interval", "e"] == variable_references(text)
    assert ["a", "b", "c", "d", "__rate_interval", "e"] == [r.name for r in macros.references(text)]
    assert ["ds", "ds", "ds", "ds"] == [whole_reference(t) for t in ("$ds", "${ds}", "[[ds]]", "${ds:text}")]
    assert [None, None, None] == [whole_reference(t) for t in ("prometheus", "$ds}", "x$ds")]
    assert ["job"] == FIELD_LABEL_RE.findall("${__field.labels.job} ${__field.name}")


def test_string_literals_are_stepped_over_by_one_scanner() -> None:
    from monitoring_dsl.promql.prometheus import string_ends

    text = 'x{a="b\\"c", d=\'e\'} # "comment\nor `raw\\`'
    quote = text.index('"')
    assert {quote: text.index(","), text.index("'"): text.index("}"), text.index("`"): len(text)} == string_ends(text)
