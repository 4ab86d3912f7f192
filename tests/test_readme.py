# (STYLE.md: `assert expected == actual`, expected first.)
"""The README's examples are tests: its spec modules are the `readme` golden case, its console sessions are run
and must print what the README shows, and its configuration block is read by the real config loader.

A Python block whose first line is `# specs/<name>.py` is that spec module. A console block is a session of
`$ command` lines, each followed by what it prints; a broken line shown in a diagnostic's snippet
(`13 |     ...`) is written into that spec before the session runs, so the README's mistake is the one tested.
`pytest --update-goldens` rewrites tests/golden/readme/specs from the README.
"""

from __future__ import annotations

import re
import shlex
import tomllib
from pathlib import Path

import pytest

from monitoring_dsl.config import load_config
from tests.conftest import REPO, run_cli, write_specs

README = REPO / "README.md"
GOLDEN_SPECS = Path(__file__).parent / "golden" / "readme" / "specs"
BLOCK_RE = re.compile(r"^```(\w+)\n(.*?)^```$", re.MULTILINE | re.DOTALL)
SPEC_HEAD_RE = re.compile(r"^# (specs/\w+\.py)\n")
DIAGNOSTIC_HEAD_RE = re.compile(r"^(specs/\w+\.py):(\d+):\d+: ", re.MULTILINE)


def blocks(language: str) -> list[str]:
    return [body for lang, body in BLOCK_RE.findall(README.read_text(encoding="utf-8")) if lang == language]


def readme_specs() -> dict[str, str]:
    """`{"catalog.py": source}` for every spec module the README shows, in the order shown."""
    specs = {}
    for body in blocks("python"):
        head = SPEC_HEAD_RE.match(body)
        if head:
            specs[Path(head.group(1)).name] = body
    return specs


def sessions() -> list[list[tuple[str, str]]]:
    """Each console block as `[(command, what it prints)]`."""
    found = []
    for body in blocks("console"):
        steps: list[tuple[str, list[str]]] = []
        for line in body.splitlines():
            if line.startswith("$ "):
                steps.append((line[2:], []))
            else:
                steps[-1][1].append(line)
        found.append([(command, "\n".join(output) + "\n" if output else "") for command, output in steps])
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
        run = run_cli(*argv[1:], cwd=root)
        return run.stdout + run.stderr
    if argv[:1] == ["find"] and argv[2:] == ["-type", "f"]:
        files = sorted(p.relative_to(root).as_posix() for p in (root / argv[1]).rglob("*") if p.is_file())
        return "".join(f"{f}\n" for f in files)
    raise AssertionError(f"the README runs {command!r}, which this test cannot run; teach _run about it")


def _apply_shown_mistake(root: Path, output: str) -> None:
    """Write the source line a diagnostic's snippet shows into its spec, as the README's reader would."""
    for head in DIAGNOSTIC_HEAD_RE.finditer(output):
        path, line = head.group(1), int(head.group(2))
        snippet = re.search(rf"^{line} \| (.*)$", output[head.end() :], re.MULTILINE)
        assert snippet is not None, f"the diagnostic at {path}:{line} shows no source line"
        lines = (root / path).read_text(encoding="utf-8").splitlines(keepends=True)
        lines[line - 1] = snippet.group(1) + "\n"
        (root / path).write_text("".join(lines), encoding="utf-8")


@pytest.mark.parametrize("index", range(len(sessions())))
def test_console_session_prints_what_the_readme_shows(index: int, tmp_path: Path) -> None:
    """Each console session, run on the README's specs, prints exactly what the README shows."""
    session = sessions()[index]
    root = write_specs(tmp_path, readme_specs())
    for _, output in session:
        _apply_shown_mistake(root, output)
    for command, output in session:
        assert output == _run(command, root), command


def test_readme_shows_console_sessions() -> None:
    """The README keeps its worked sessions (a build and a failing build)."""
    assert len(sessions()) >= 2


def test_configuration_block_is_what_the_loader_reads(tmp_path: Path) -> None:
    """The README's `[tool.monitoring-dsl]` example loads without error, and its values are the defaults it claims."""
    [toml] = [body for body in blocks("toml") if "[tool.monitoring-dsl]" in body]
    (tmp_path / "pyproject.toml").write_text(toml, encoding="utf-8")
    config = load_config(tmp_path)
    table = tomllib.loads(toml)["tool"]["monitoring-dsl"]
    assert table["specs"] == [p.relative_to(tmp_path).as_posix() for p in config.specs]
    assert table["scrape_interval"] == config.settings.scrape_interval
