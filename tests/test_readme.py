# (STYLE.md: `assert expected == actual`, expected first.)
"""The README's examples are tests: its spec modules are the `readme` golden case, its console sessions are run
and must print what the README shows, and its configuration block is read by the real config loader.

A Python block whose first line is `# specs/<name>.py` is that spec module. A console block is a session of
`$ command` lines, each followed by what it prints, run on the spec modules shown above it (what a reader has
written by then). The mistake a session shows is made before it runs: a broken line shown in a diagnostic's
snippet (`13 |     ...`) is written into its spec, and an HTML comment just above the block,
`<!-- readme-test: specs/queues.py: '> 100' -> '> 200' -->`, replaces text in a spec. Timings such as
`(0.4s)` are compared as `(…s)`. `pytest --update-goldens` rewrites tests/golden/readme/specs from the README.
"""

from __future__ import annotations

import re
import shlex
import tomllib
from pathlib import Path

import attrs
import pytest

from monitoring_dsl.config import load_config
from tests.conftest import REPO, require_binary, run_cli, write_specs

README = REPO / "README.md"
GOLDEN_SPECS = Path(__file__).parent / "golden" / "readme" / "specs"
BLOCK_RE = re.compile(r"^```(\w+)\n(.*?)^```$", re.MULTILINE | re.DOTALL)
EDIT_RE = re.compile(r"<!-- readme-test: (specs/\w+\.py): '(.*?)' -> '(.*?)' -->\n+```console\n\Z")
TIMING_RE = re.compile(r"\(\d+(\.\d+)?s\)")
SPEC_HEAD_RE = re.compile(r"^# (specs/\w+\.py)\n")
DIAGNOSTIC_HEAD_RE = re.compile(r"^(specs/\w+\.py):(\d+):\d+: ", re.MULTILINE)


def blocks(language: str) -> list[tuple[int, str]]:
    """`(offset, body)` of every block of `language`, in document order."""
    text = README.read_text(encoding="utf-8")
    return [(m.start(), m.group(2)) for m in BLOCK_RE.finditer(text) if m.group(1) == language]


def readme_specs(before: int | None = None) -> dict[str, str]:
    """`{"catalog.py": source}` for every spec module the README shows (above offset `before`)."""
    specs = {}
    for offset, body in blocks("python"):
        head = SPEC_HEAD_RE.match(body)
        if head and (before is None or offset < before):
            specs[Path(head.group(1)).name] = body
    return specs


@attrs.frozen
class Session:
    offset: int
    steps: list[tuple[str, str]]  # (command, what it prints)
    edits: list[tuple[str, str, str]]  # (spec path, old text, new text)


def sessions() -> list[Session]:
    """Each console block as a Session."""
    text = README.read_text(encoding="utf-8")
    found = []
    for offset, body in blocks("console"):
        steps: list[tuple[str, list[str]]] = []
        for line in body.splitlines():
            if line.startswith("$ "):
                steps.append((line[2:], []))
            else:
                steps[-1][1].append(line)
        edit = EDIT_RE.search(text[:offset] + "```console\n")
        found.append(
            Session(
                offset,
                [(command, "\n".join(output) + "\n" if output else "") for command, output in steps],
                [edit.groups()] if edit else [],
            )
        )
    return found


def test_readme_specs_are_the_readme_golden_case(request: pytest.FixtureRequest) -> None:
    """tests/golden/readme/specs holds exactly the README's spec modules, so test_golden builds them."""
    specs = readme_specs()
    if request.config.getoption("--update-goldens"):
        for stale in GOLDEN_SPECS.glob("*.py"):
            stale.unlink()
        GOLDEN_SPECS.mkdir(parents=True, exist_ok=True)
        for name, source in specs.items():
            (GOLDEN_SPECS / name).write_text(source, encoding="utf-8")
    on_disk = {p.name: p.read_text(encoding="utf-8") for p in sorted(GOLDEN_SPECS.glob("*.py"))}
    assert specs == on_disk, "run `pytest --update-goldens` and review the diff"
    assert {"catalog.py", "api.py"} <= set(specs)


def _run(command: str, root: Path) -> str:
    """What `command` prints in the project at `root`; the shell commands the README uses, emulated exactly."""
    argv = shlex.split(command)
    if argv[0] == "monitoring-dsl":
        return run_cli(*argv[1:], cwd=root).output
    if argv[:1] == ["find"] and argv[2:] == ["-type", "f"]:
        files = sorted(p.relative_to(root).as_posix() for p in (root / argv[1]).rglob("*") if p.is_file())
        return "".join(f"{f}\n" for f in files)
    raise AssertionError(f"the README runs {command!r}, which this test cannot run; teach _run about it")


def _apply_shown_mistake(root: Path, output: str) -> None:
    """Write the source line a diagnostic's snippet shows into its spec, as the README's reader would."""
    heads = list(DIAGNOSTIC_HEAD_RE.finditer(output))
    if not heads:
        return
    for head, following in zip(heads, [*heads[1:], None], strict=True):
        path, line = head.group(1), int(head.group(2))
        shown = output[head.end() : following.start() if following else len(output)]
        snippet = re.search(rf"^{line} \| (.*)$", shown, re.MULTILINE)
        if snippet is None:
            continue  # a diagnostic printed without its source line
        lines = (root / path).read_text(encoding="utf-8").splitlines(keepends=True)
        lines[line - 1] = snippet.group(1) + "\n"
        (root / path).write_text("".join(lines), encoding="utf-8")


@pytest.mark.parametrize("index", range(len(sessions())))
def test_console_session_prints_what_the_readme_shows(index: int, tmp_path: Path) -> None:
    """Each console session, run on the README's specs, prints exactly what the README shows."""
    session = sessions()[index]
    if any(shlex.split(command)[:2] == ["monitoring-dsl", "test"] for command, _ in session.steps):
        require_binary("promtool")  # skips without it, fails under CI=true (conftest.py)
    root = write_specs(tmp_path, readme_specs(before=session.offset))
    for path, old, new in session.edits:
        source = (root / path).read_text(encoding="utf-8")
        assert old in source, f"the README's edit {old!r} -> {new!r} does not apply to {path}"
        (root / path).write_text(source.replace(old, new, 1), encoding="utf-8")
    for _, output in session.steps:
        _apply_shown_mistake(root, output)
    for command, output in session.steps:
        assert TIMING_RE.sub("(…s)", output) == TIMING_RE.sub("(…s)", _run(command, root)), command


def test_readme_shows_console_sessions() -> None:
    """The README keeps its worked sessions (a build and a failing build)."""
    assert len(sessions()) >= 2


def test_configuration_block_is_what_the_loader_reads(tmp_path: Path) -> None:
    """The README's `[tool.monitoring-dsl]` example loads without error, and its values are the defaults it claims."""
    [toml] = [body for _, body in blocks("toml") if "[tool.monitoring-dsl]" in body]
    (tmp_path / "pyproject.toml").write_text(toml, encoding="utf-8")
    config = load_config(tmp_path)
    table = tomllib.loads(toml)["tool"]["monitoring-dsl"]
    assert table["specs"] == [p.relative_to(tmp_path).as_posix() for p in config.specs]
    assert table["scrape_interval"] == config.settings.scrape_interval
