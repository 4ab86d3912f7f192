"""Every check's case file: passing specs stay clean, failing specs get exactly the listed diagnostics.

A case file `tests/cases/<CODE>.yml` holds named cases. `spec` is the source of a spec module `case.py`
(the harness adds `from monitoring_dsl import *` above it, so line numbers count from the case's first line);
`files` adds sibling modules. Cases whose name starts with `fail` list their `diagnostics` as
`{code, line}`, and may pin what the user sees with `column`, `message` and `help` (compared exactly) and the
`file` a finding is in; cases starting with `pass` must produce no diagnostic at all. Info-level findings of
other checks (an unused variable, say) are not part of a case and are ignored. Codes that no spec snippet can
produce (a non-UTF-8 file, a missing path) name the test that covers them with `covered_by`.

Per case, `settings` is a `[tool.monitoring-dsl]` table (written to the case's pyproject.toml and read by the
real config loader), and `file: rules.yml` or `file: dashboard.json` makes `spec` a plain rule file or
dashboard, linted as `monitoring-dsl lint rules.yml` would (no prelude: lines count from the file's first).
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml

from monitoring_dsl.checks import REGISTRY
from monitoring_dsl.compiler import compile_specs, lint
from monitoring_dsl.config import load_config
from monitoring_dsl.diagnostics import Diagnostic, Severity
from monitoring_dsl.sources import Sources

CASES = Path(__file__).parent / "cases"
PRELUDE = "from monitoring_dsl import *  # noqa\n"
PINNED = ("column", "message", "help")  # optional per diagnostic; compared exactly when a case gives them


def _case_files() -> list[Path]:
    return sorted(CASES.glob("*.yml"))


def _load(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict), f"{path.name} is not a mapping"
    return data


def _cases() -> list[Any]:
    params = []
    for path in _case_files():
        data = _load(path)
        for name, case in data.items():
            if name in ("check", "covered_by"):
                continue
            params.append(pytest.param(data["check"], name, case, id=f"{path.stem}-{name}"))
    return params


def _diagnostics(tmp_path: Path, case: dict[str, Any]) -> list[Diagnostic]:
    """Check the case as the user's project would be checked: its settings through the real config loader."""
    settings = case.get("settings", {})
    (tmp_path / "pyproject.toml").write_text(
        "[tool.monitoring-dsl]\n" + "".join(f"{key} = {json.dumps(value)}\n" for key, value in settings.items()),
        encoding="utf-8",
    )
    config = load_config(tmp_path)
    if "file" in case:
        plain = tmp_path / case["file"]
        plain.write_text(textwrap.dedent(case["spec"]), encoding="utf-8")
        return lint([plain], tmp_path, Sources(), config.settings).diagnostics
    specs = tmp_path / "specs"
    specs.mkdir()
    (specs / "case.py").write_text(PRELUDE + textwrap.dedent(case["spec"]), encoding="utf-8")
    for name, source in case.get("files", {}).items():
        (specs / name).write_text(PRELUDE + textwrap.dedent(source), encoding="utf-8")
    return compile_specs([specs], tmp_path, emit=False, settings=config.settings).diagnostics


def _run(tmp_path: Path, case: dict[str, Any], code: str) -> list[dict[str, Any]]:
    """The case's findings: code, file, line (counted from the case's first line) and the pinnable fields."""
    offset = 0 if "file" in case else 1  # the prelude line
    found = []
    for diagnostic in _diagnostics(tmp_path, case):
        if diagnostic.code != code and diagnostic.severity is Severity.INFO:
            continue  # a case pins its own check; others' infos (an unused variable) are not part of it
        location = diagnostic.location
        found.append(
            {
                "code": diagnostic.code,
                "file": Path(location.path).name if location else "",
                "line": location.line - offset if location else 0,
                "column": location.column if location else 0,
                "message": diagnostic.message,
                "help": diagnostic.help,
            }
        )
    return sorted(found, key=_place)


def _place(diagnostic: dict[str, Any]) -> tuple[str, str, int]:
    return diagnostic["code"], diagnostic["file"], diagnostic["line"]


@pytest.mark.parametrize(("code", "name", "case"), _cases())
def test_case(tmp_path: Path, code: str, name: str, case: dict[str, Any]) -> None:
    """The case's spec gets exactly the diagnostics it lists (none for a passing case), as the user sees them:
    at its line, and with the column, message and help a case pins."""
    listed = sorted(
        ({"file": case.get("file", "case.py")} | d for d in case.get("diagnostics", [])), key=lambda d: _place(d)
    )
    found = _run(tmp_path, case, code)
    assert [_place(d) for d in listed] == [_place(d) for d in found]
    for expected, actual in zip(listed, found, strict=True):
        pinned = [key for key in PINNED if key in expected]
        assert {key: expected[key] for key in pinned} == {key: actual[key] for key in pinned}


def test_every_code_has_a_case_file() -> None:
    """The catalog and the case files list the same codes."""
    assert sorted(REGISTRY) == sorted(path.stem for path in _case_files())


@pytest.mark.parametrize("path", _case_files(), ids=lambda p: p.stem)
def test_case_file_shape(path: Path) -> None:
    """A case file names its check, and has a passing and a failing case (or names the test covering it)."""
    data = _load(path)
    assert path.stem == data["check"]
    names = [n for n in data if n not in ("check", "covered_by")]
    if "covered_by" in data:
        module, _, test = data["covered_by"].partition("::")
        function, _, param = test.partition("[")
        source = (Path(__file__).parent.parent / module).read_text(encoding="utf-8")
        assert f"def {function}(" in source
        assert not param or f'id="{param.removesuffix("]")}"' in source, f"{module} has no case {param!r}"
        return
    assert any(n.startswith("pass") for n in names), "no passing case"
    assert any(n.startswith("fail") for n in names), "no failing case"
    for name in names:
        assert name.startswith(("pass", "fail")), name
        if name.startswith("fail"):
            codes = {d["code"] for d in data[name]["diagnostics"]}
            assert data["check"] in codes, f"{name} does not exercise {data['check']}"


def test_docs_pages_are_current() -> None:
    """docs/checks/ is what `python -m monitoring_dsl.checks.docs` generates from the registry."""
    from monitoring_dsl.checks.docs import pages

    docs = Path(__file__).parent.parent / "docs" / "checks"
    on_disk = {p.name: p.read_text(encoding="utf-8") for p in sorted(docs.glob("*.md"))}
    assert pages() == on_disk, "run `make docs` and commit docs/checks/"


@pytest.mark.parametrize("code", sorted(REGISTRY))
def test_every_check_documents_why_and_an_example(code: str) -> None:
    """A check's docstring is its page: a summary line, why it is bad, an example and the fix."""
    doc = REGISTRY[code].doc
    assert doc.splitlines()[0].endswith("."), "the summary line is a sentence"
    for heading in ("## Why is this bad?", "## Example"):
        assert heading in doc, f"{code} lacks {heading!r}"
