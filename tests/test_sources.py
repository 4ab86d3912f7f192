"""sources.Sources: where a diagnostic's text sits in a spec, searched from the line of the call that built
the object to the end of its statement, whatever compound statements enclose it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from monitoring_dsl import sources
from monitoring_dsl.model.base import SourceLocation
from monitoring_dsl.sources import Sources, _statements

NESTED = """\
import contextlib

def make(kind):
    match kind:
        case "a":
            x = Alert(
                "A",
                "up == 0",
            )
        case _:
            try:
                y = 1
            except ValueError:
                y = Alert(
                    "B",
                    "down == 1",
                )
            else:
                y = 2
            finally:
                pass
    with contextlib.suppress(KeyError):
        for item in []:
            while False:
                pass
        else:
            z = [
                Alert("C", "up"),
                Alert("D", "missing_metric"),
            ]
    return x

async def later():
    async with open_thing() as thing:
        async for _ in thing:
            if thing:
                await thing
            elif not thing:
                pass
"""


def test_every_statement_is_found_without_walking_expressions() -> None:
    """The same statements as ast.walk finds, in bodies of match cases, handlers, else and finally blocks."""
    tree = ast.parse(NESTED)
    expected = sorted((n.lineno, n.end_lineno) for n in ast.walk(tree) if isinstance(n, ast.stmt))
    assert len(expected) > 20
    assert expected == sorted((n.lineno, n.end_lineno) for n in _statements(tree))


def test_a_needle_is_found_in_its_statement_and_not_past_it(tmp_path: Path) -> None:
    spec = tmp_path / "spec.py"
    spec.write_text(NESTED)
    sources = Sources()
    found, span = sources.locate(SourceLocation(str(spec), 14, 1), "down")  # inside the except handler
    assert (found, span) == (SourceLocation(str(spec), 16, 22), "down")
    # the match case's statement ends at line 9: "down" on line 16 belongs to another statement
    assert sources.locate(SourceLocation(str(spec), 6, 1), "down") == (SourceLocation(str(spec), 6, 1), None)
    # a list spanning lines 27-30 is one statement: its second element is found from the first's line
    assert sources.locate(SourceLocation(str(spec), 28, 1), "missing_metric")[0] == SourceLocation(str(spec), 29, 29)


def test_printing_a_line_parses_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A run whose findings were kept only prints lines: the syntax tree is built when something asks for it,
    and once."""
    path = tmp_path / "spec.py"
    path.write_text(NESTED)
    parsed: list[str] = []
    syntax = sources._syntax

    def counting(text: str) -> object:
        parsed.append(text)
        return syntax(text)

    monkeypatch.setattr(sources, "_syntax", counting)
    found = Sources()
    assert "            x = Alert(" == found.line(str(path), 6)
    assert [] == parsed
    assert (SourceLocation(str(path), 8, 17), '"up == 0"') == found.locate(SourceLocation(str(path), 6, 1), '"up == 0"')
    assert found.keyword(SourceLocation(str(path), 6, 1), "for_") is None
    assert 1 == len(parsed)
