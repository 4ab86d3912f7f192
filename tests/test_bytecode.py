"""The compiled-module cache (load/bytecode.py): a spec whose source, shown path and interpreter did not change
is not compiled again; anything else is, and a damaged or unwritable cache only costs the compile."""

from __future__ import annotations

import types
from pathlib import Path

import pytest

from monitoring_dsl.load import bytecode
from monitoring_dsl.load.bytecode import CACHE_DIR, CodeCache
from tests.conftest import run_cli

SOURCE = "VALUE = 6 * 7\n"


def _run(code: types.CodeType) -> object:
    namespace: dict[str, object] = {}
    exec(code, namespace)
    return namespace["VALUE"]


def _compiled(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record every compile the cache does (a compile served from the cache is not one)."""
    calls: list[str] = []

    def counting(source: str, filename: str, *args: object, **kwargs: object) -> types.CodeType:
        calls.append(filename)
        return compile(source, filename, "exec", dont_inherit=True)

    monkeypatch.setattr(bytecode, "compile", counting, raising=False)
    return calls


def test_an_unchanged_module_is_compiled_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _compiled(monkeypatch)
    cache = CodeCache(tmp_path / CACHE_DIR)
    first = cache.compile(SOURCE.encode(), SOURCE, "specs/api.py")
    again = CodeCache(tmp_path / CACHE_DIR).compile(SOURCE.encode(), SOURCE, "specs/api.py")
    assert ["specs/api.py"] == calls
    assert (42, 42) == (_run(first), _run(again))
    assert again.co_filename == "specs/api.py"
    assert b"*\n" in (tmp_path / CACHE_DIR / ".gitignore").read_bytes()


@pytest.mark.parametrize(
    ("source", "filename"), [("VALUE = 6 * 8\n", "specs/api.py"), (SOURCE, "../other/specs/api.py")]
)
def test_a_changed_source_or_shown_path_is_compiled_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, source: str, filename: str
) -> None:
    calls = _compiled(monkeypatch)
    CodeCache(tmp_path).compile(SOURCE.encode(), SOURCE, "specs/api.py")
    code = CodeCache(tmp_path).compile(source.encode(), source, filename)
    assert ["specs/api.py", filename] == calls
    assert (_run(code), code.co_filename) == (eval(source.split("=")[1]), filename)


@pytest.mark.parametrize("damage", [b"", b"short", b"\0" * 32 + b"not marshal data", None])
def test_a_damaged_entry_is_compiled_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, damage: bytes | None
) -> None:
    calls = _compiled(monkeypatch)
    CodeCache(tmp_path).compile(SOURCE.encode(), SOURCE, "specs/api.py")
    (entry,) = (tmp_path / "bytecode").iterdir()
    data = entry.read_bytes()
    # None: the right key in front of a truncated code object
    entry.write_bytes(data[:40] if damage is None else damage)
    assert 42 == _run(CodeCache(tmp_path).compile(SOURCE.encode(), SOURCE, "specs/api.py"))
    assert 2 == len(calls)
    assert entry.read_bytes() == data  # and the entry is repaired


def test_an_unwritable_cache_only_costs_the_compile(tmp_path: Path) -> None:
    (tmp_path / CACHE_DIR).write_text("a file where the cache directory would go\n")
    assert 42 == _run(CodeCache(tmp_path / CACHE_DIR).compile(SOURCE.encode(), SOURCE, "specs/api.py"))


def test_a_syntax_error_is_raised_and_not_kept(tmp_path: Path) -> None:
    with pytest.raises(SyntaxError):
        CodeCache(tmp_path).compile(b"VALUE = (\n", "VALUE = (\n", "specs/api.py")
    assert not (tmp_path / "bytecode").exists()


SPEC = """\
from monitoring_dsl import Counter

requests = Counter("http_requests_total", "Requests")
LIMIT = int("not a number")
"""


def test_build_and_lint_keep_compiled_modules_and_still_place_errors(tmp_path: Path) -> None:
    """A spec failing at run time is reported at its line, whether its code came from the cache or not;
    --no-cache compiles and keeps nothing."""
    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "api.py").write_text(SPEC)
    plain = run_cli("build", "--no-cache", cwd=tmp_path)
    assert not (tmp_path / CACHE_DIR / "bytecode").exists()
    runs = [run_cli("build", cwd=tmp_path) for _ in range(2)] + [run_cli("lint", "--no-cache", cwd=tmp_path)]
    assert 1 == len(list((tmp_path / CACHE_DIR / "bytecode").iterdir()))
    assert "specs/api.py:4" in plain.stderr
    assert all(2 == run.code for run in [plain, *runs])
    assert plain.stderr == runs[0].stderr == runs[1].stderr
    assert "specs/api.py:4" in runs[2].output
