"""sources.find_text finds what the regular expression it replaces found: same index for every line, needle,
start and end, whole names or plain text."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from monitoring_dsl.sources import find_text

ALPHABET = "ab_:1 (){}=é²\t"


def _reference(line: str, needle: str, start: int, end: int, whole: bool) -> int:
    pattern = re.compile(rf"(?<![\w:]){re.escape(needle)}(?![\w:])" if whole else re.escape(needle))
    found = pattern.search(line, start, end)
    return -1 if found is None else found.start()


@settings(max_examples=3000, deadline=None)
@given(
    st.text(ALPHABET, max_size=30),
    st.text(ALPHABET, min_size=1, max_size=4),
    st.integers(0, 35),
    st.integers(0, 40),
    st.booleans(),
)
def test_find_text_agrees_with_the_regular_expression(
    line: str, needle: str, start: int, end: int, whole: bool
) -> None:
    assert find_text(line, needle, start, end, whole) == _reference(line, needle, start, end, whole)


def test_whole_names_only() -> None:
    assert -1 == find_text("queue_depth > 1", "queue_dept", 0, 100, True)
    assert 0 == find_text("queue_dept > 1", "queue_dept", 0, 100, True)
    assert 4 == find_text("job:rate5m + rate5m", "rate5m", 0, 100, False)
    assert 13 == find_text("job:rate5m + rate5m", "rate5m", 0, 100, True)
