"""Shared fixtures: write small spec sets to a temporary project, run the CLI in it, find real binaries.

The CLI runs in-process through click's CliRunner (`run_cli`), which shows exit codes, stdout and stderr as a
user sees them at a fraction of a process start's cost; `run_process` starts the installed console script for
what only a real process shows (the entry point, bytecode, signals).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import textwrap
import traceback
from collections.abc import Callable, Mapping
from pathlib import Path

import attrs
import pytest
from click.testing import CliRunner

from monitoring_dsl import cli

REPO = Path(__file__).resolve().parent.parent
CORPUS_TESTS = Path(__file__).resolve().parent / "corpus"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-goldens", action="store_true", help="rewrite tests/golden/*/expected from the specs")
    parser.addoption(
        "--corpus",
        action="store_true",
        help="collect tests/corpus/, the tests over the public corpus in $MONITORING_DSL_CORPUS (make test-corpus)",
    )


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """tests/corpus/ needs a directory outside this repository: collected only with --corpus, so that `make test`
    neither fails nor skips on a clone of this repository alone."""
    if collection_path.resolve() == CORPUS_TESTS and not config.getoption("--corpus"):
        return True
    return None


@attrs.frozen
class Run:
    """A finished `monitoring-dsl` command."""

    code: int
    stdout: str
    stderr: str
    output: str = ""  # stdout and stderr interleaved as a terminal shows them (in-process runs only)


def write_specs(root: Path, specs: Mapping[str, str]) -> Path:
    """Write `{"api.py": source}` into root/specs (sources dedented) and return root."""
    spec_dir = root / "specs"
    spec_dir.mkdir(parents=True, exist_ok=True)
    for name, source in specs.items():
        path = spec_dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(source, bytes):
            path.write_bytes(source)
        else:
            path.write_text(textwrap.dedent(source).lstrip("\n"), encoding="utf-8")
    return root


def damage_and_rerun(path: Path, magic: bytes, fingerprint: bytes, run: Callable[[], None]) -> None:
    """Damage the cache file `path` four ways (empty, junk, cut short, another code's fingerprint), calling
    `run` after each: every time the file must be ignored and written again with the same data. The data, not
    the bytes: marshal's depend on how often each string is referenced."""
    from monitoring_dsl import cachefile

    good = path.read_bytes()
    kept = cachefile.read(path, magic, fingerprint)
    assert kept
    for bad in (b"", b"junk", good[:-7], magic + b"\0" * 64 + good[len(magic) + 64 :]):
        path.write_bytes(bad)
        run()
        assert kept == cachefile.read(path, magic, fingerprint)


def run_cli(*args: str, cwd: Path, timeout: float | None = None) -> Run:
    """Run `monitoring-dsl ARGS` in this process, in `cwd`, as the console script would.

    An exception the CLI does not handle is reported the way `cli.entry` reports it: a traceback on stderr and
    exit code 2, so that tests asserting "no traceback" see one if it happens. A test that guards against a
    hang gives a `timeout`: only a process of its own can be stopped, so that run goes through `run_process`.
    """
    if timeout is not None:
        return run_process(*args, cwd=cwd, timeout=timeout)
    with contextlib.chdir(cwd):
        result = CliRunner().invoke(cli.main, list(args), prog_name="monitoring-dsl", catch_exceptions=True)
    stderr, code = result.stderr, result.exit_code
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        stderr += "".join(traceback.format_exception(result.exception))
        code = cli.EXIT_FAILURE
    return Run(code, result.stdout, stderr, result.output)


def run_process(*args: str, cwd: Path, timeout: float = 120) -> Run:
    """Run the installed console script the way a user does, in `cwd`, as a separate process."""
    executable = Path(sys.executable).parent / "monitoring-dsl"
    completed = subprocess.run(
        [str(executable), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )
    return Run(completed.returncode, completed.stdout, completed.stderr)


@pytest.fixture
def project(tmp_path: Path) -> Callable[[Mapping[str, str]], Path]:
    """`project({"api.py": "..."})` writes a spec set into a fresh directory and returns that directory."""

    def make(specs: Mapping[str, str]) -> Path:
        return write_specs(tmp_path, specs)

    return make


def require_binary(name: str, package: str = "prometheus prometheus-alertmanager") -> str:
    """The path of a real binary. Missing: skip locally, fail under CI=true (a missing tool is never a pass)."""
    path = shutil.which(name)
    if path is None:
        message = f"{name} is not installed (apt-get install {package}; `make tools`)"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def promtool() -> str:
    return require_binary("promtool")


@pytest.fixture(scope="session")
def amtool() -> str:
    return require_binary("amtool")


@pytest.fixture(scope="session")
def stack_binaries() -> tuple[str, str]:
    """The real prometheus and alertmanager (Debian names the latter prometheus-alertmanager)."""
    prometheus = require_binary("prometheus")
    alertmanager = shutil.which("alertmanager") or require_binary("prometheus-alertmanager")
    return prometheus, alertmanager
