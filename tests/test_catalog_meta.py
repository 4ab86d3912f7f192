# (STYLE.md: `assert expected == actual`, expected first.)
"""Meta-tests of the check catalog as a whole: every code is announced in the CHANGELOG, and every message and
help a case file produces has the catalog's style (one line, no sentence period at the end)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from monitoring_dsl.checks import REGISTRY
from tests.conftest import REPO
from tests.test_check_cases import _cases, _diagnostics

CHANGELOG = (REPO / "CHANGELOG.md").read_text(encoding="utf-8")


def test_every_code_has_a_changelog_line() -> None:
    missing = [code for code in sorted(REGISTRY) if not re.search(rf"\b{code}\b", CHANGELOG)]
    assert [] == missing, "add a CHANGELOG line (under Unreleased) for each new code"


def _style_problems(text: str | None, what: str) -> list[str]:
    if text is None:
        return []
    problems = []
    if "\n" in text or text != text.strip():
        problems.append(f"{what} is not one trimmed line: {text!r}")
    if text.endswith(".") and not text.endswith("..."):
        problems.append(f"{what} ends with a period: {text!r}")
    return problems


@pytest.mark.parametrize(("code", "name", "case"), [p for p in _cases() if str(p.values[1]).startswith("fail")])
def test_message_and_help_style(tmp_path: Path, code: str, name: str, case: dict[str, object]) -> None:
    problems = [
        problem
        for diagnostic in _diagnostics(tmp_path, case)
        for problem in _style_problems(diagnostic.message, f"{diagnostic.code} message")
        + _style_problems(diagnostic.help, f"{diagnostic.code} help")
    ]
    assert [] == problems
