# (STYLE.md: `assert expected == actual`, expected first.)
"""Every rule file and dashboard of the corpus, linted in one process and split over three: the same findings."""

from __future__ import annotations

from pathlib import Path

from monitoring_dsl.compiler import lint
from monitoring_dsl.model.settings import Settings
from monitoring_dsl.sources import Sources


def test_corpus_lint_is_the_same_in_one_and_three_processes(realworld: Path) -> None:
    runs = [lint([realworld], realworld, Sources(), Settings(), jobs=jobs) for jobs in (1, 3)]
    assert runs[0].checked > 100 and len(runs[0].diagnostics) > 1000, (runs[0].checked, len(runs[0].diagnostics))
    assert [to_row(d) for d in runs[0].diagnostics] == [to_row(d) for d in runs[1].diagnostics]


def to_row(d: object) -> tuple[object, ...]:
    return tuple(getattr(d, name) for name in ("code", "severity", "message", "location", "span", "help", "related"))
