"""The two sides of `diff`: an output directory read as it is, or a git revision of the specs built in a
temporary directory (the repository and its working tree are left untouched)."""

from __future__ import annotations

import io
import subprocess
import tarfile
import tempfile
from collections.abc import Sequence
from pathlib import Path

from monitoring_dsl.compiler import compile_specs
from monitoring_dsl.config import ConfigError, load_config
from monitoring_dsl.diagnostics import Diagnostic, Severity, has_errors
from monitoring_dsl.emit import Artifacts
from monitoring_dsl.load.discovery import display_path

WORKING_TREE = "."  # the specs as they are on disk now
GIT_TIMEOUT = 60


class SideError(Exception):
    """A side of the diff that cannot be read or built; `diagnostics` are the build's, when it failed."""

    def __init__(self, message: str, help: str, diagnostics: Sequence[Diagnostic] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.help = help
        self.diagnostics = tuple(diagnostics)


def read_tree(directory: Path) -> Artifacts:
    """Every file under `directory`, by its path relative to it (with `/`)."""
    return {
        path.relative_to(directory).as_posix(): path.read_bytes()
        for path in sorted(directory.rglob("*"))
        if path.is_file() and ".git" not in path.relative_to(directory).parts
    }


def resolve_side(side: str, root: Path) -> tuple[str, Artifacts]:
    """A description of `side` and its output tree: a directory, `.` (the working tree's specs) or a revision."""
    as_path = root / side
    if side != WORKING_TREE and as_path.is_dir():
        return display_path(as_path), read_tree(as_path)
    if side == WORKING_TREE:
        return "working tree", build_at(root)
    commit = _git(root, "rev-parse", "--verify", "--quiet", f"{side}^{{commit}}")
    if commit is None:
        raise SideError(
            f"`{side}` is neither an output directory nor a git revision of {display_path(root) or '.'}",
            "pass a directory holding a build (e.g. build/), a revision such as HEAD~1 or main, or `.`"
            " for the specs as they are on disk",
        )
    return f"{side} ({commit.strip()[:12]})", build_revision(root, commit.strip())


def build_at(root: Path) -> Artifacts:
    """The output tree of the specs under `root`, as `monitoring-dsl build` would write it."""
    try:
        config = load_config(root)
    except ConfigError as error:
        raise SideError(error.message, error.help or "fix pyproject.toml") from None
    result = compile_specs(
        list(config.specs), config.root, settings=config.settings, select=config.select, ignore=config.ignore
    )
    if has_errors(result.diagnostics) or result.artifacts is None:
        errors = [d for d in result.diagnostics if d.severity is Severity.ERROR]
        count = f"{len(errors)} {'error' if len(errors) == 1 else 'errors'}"
        raise SideError(
            f"the specs of {display_path(root) or '.'} do not build ({count})",
            "fix the errors shown, or compare output directories instead",
            errors,
        )
    return result.artifacts


def build_revision(root: Path, commit: str) -> Artifacts:
    """Build the specs of `commit` in a temporary directory holding only its pyproject.toml and spec paths."""
    top = (_git(root, "rev-parse", "--show-toplevel") or str(root)).strip()
    prefix = Path(root).resolve().relative_to(Path(top).resolve()).as_posix()
    prefix = "" if prefix == "." else prefix + "/"
    try:
        config = load_config(root)
        wanted = ["pyproject.toml", *(p.resolve().relative_to(root.resolve()).as_posix() for p in config.specs)]
    except (ConfigError, ValueError):
        wanted = ["pyproject.toml", "specs"]
    present = [p for p in wanted if _git(root, "cat-file", "-e", f"{commit}:{prefix}{p}") is not None]
    if not present:
        raise SideError(f"revision {commit[:12]} has none of {', '.join(wanted)}", "pick a revision that has specs")
    archive = subprocess.run(
        ["git", "-C", str(root), "archive", "--format=tar", commit, "--", *(prefix + p for p in present)],
        capture_output=True,
        timeout=GIT_TIMEOUT,
        check=False,
    )
    if archive.returncode != 0:
        raise SideError(
            f"git archive {commit[:12]} failed: {archive.stderr.decode(errors='replace').strip()}",
            "check that the repository is readable",
        )
    with tempfile.TemporaryDirectory(prefix="monitoring-dsl-diff-") as temporary:
        with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
            _extract(tar, Path(temporary))
        return build_at(Path(temporary) / prefix)


def _extract(tar: tarfile.TarFile, target: Path) -> None:
    """Regular files and directories only, each inside `target` (Python before 3.11.4 has no `filter=`)."""
    for member in tar.getmembers():
        path = Path(member.name)
        if path.is_absolute() or ".." in path.parts:
            continue
        if member.isdir():
            (target / path).mkdir(parents=True, exist_ok=True)
        elif member.isfile():
            (target / path).parent.mkdir(parents=True, exist_ok=True)
            source = tar.extractfile(member)
            if source is not None:
                (target / path).write_bytes(source.read())


def _git(root: Path, *args: str) -> str | None:
    """git's output, or None when it fails (not a repository, unknown revision, missing path)."""
    try:
        done = subprocess.run(
            ["git", "-C", str(root), *args], capture_output=True, text=True, timeout=GIT_TIMEOUT, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout if done.returncode == 0 else None
