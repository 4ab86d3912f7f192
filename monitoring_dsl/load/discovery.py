"""Discovery, once for the whole pipeline: which spec modules and which plain files (rule YAML, dashboard JSON)
the paths given on the command line or in `[tool.monitoring-dsl] specs` stand for, and how paths are shown.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Collection, Iterator, Sequence
from pathlib import Path

from monitoring_dsl import codes
from monitoring_dsl.diagnostics import Diagnostic
from monitoring_dsl.model.base import SourceLocation

PLAIN_SUFFIXES = (".yml", ".yaml", ".json")
_SKIPPED_DIRS = {".git", ".venv", "venv", "node_modules", "__pycache__", ".mypy_cache", ".ruff_cache"}


def resolved(path: Path) -> Path:
    """`path` made absolute with symlinks resolved as far as they go: a symlink loop stays as it is instead
    of raising (Path.resolve raises RuntimeError on one)."""
    return Path(os.path.realpath(path))


def source_path(file: Path, root: Path) -> str:
    """`file` relative to the project root, as headers and module sources name it (its name when outside)."""
    try:
        return resolved(file).relative_to(resolved(root)).as_posix()
    except ValueError:
        return file.name


def display_path(path: Path) -> str:
    """`path` relative to the working directory when it lies below it, so messages stay short."""
    absolute = resolved(path)
    try:
        return absolute.relative_to(resolved(Path.cwd())).as_posix()
    except ValueError:
        return absolute.as_posix()


def discover(paths: Sequence[Path]) -> tuple[list[Path], list[Diagnostic]]:
    """The spec files under `paths` (directories give their top-level `*.py`), and problems finding them."""
    files: list[Path] = []
    problems: list[Diagnostic] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(p for p in path.glob("*.py") if not p.name.startswith("_") and p.is_file()))
        elif path.is_file():
            if path.suffix != ".py":
                problems.append(
                    codes.SPECS_PATH_INVALID(
                        f"spec {display_path(path)} is not a .py file",
                        None,
                        help="pass Python spec files or directories that hold them",
                    )
                )
            else:
                files.append(path)
        elif os.path.exists(path):  # a FIFO, socket or device: never opened, reading it could block
            problems.append(
                codes.SPECS_PATH_INVALID(
                    f"specs path {display_path(path)} is not a regular file or a directory",
                    None,
                    help="pass Python spec files or directories that hold them",
                )
            )
        else:
            problems.append(
                codes.SPECS_PATH_INVALID(
                    f"specs path {display_path(path)} does not exist",
                    None,
                    help="pass the directory holding your specs (default: 'specs/', or [tool.monitoring-dsl] specs)",
                )
            )
    unique: dict[Path, Path] = {}
    for file in files:
        unique.setdefault(resolved(file), file)
    by_name: dict[str, Path] = {}
    kept = []
    for file in unique.values():
        other = by_name.get(file.stem)
        if other is not None:
            problems.append(
                codes.SPEC_MODULE_NAME(
                    f"two spec modules are named {file.stem!r}: {display_path(other)} and {display_path(file)}",
                    SourceLocation(display_path(file), 1),
                    help="rename one of them; spec modules import each other by name",
                )
            )
            continue
        if file.stem in sys.stdlib_module_names or file.stem in sys.modules or not file.stem.isidentifier():
            problems.append(
                codes.SPEC_MODULE_NAME(
                    f"spec module name {file.stem!r} cannot be imported: it is not an identifier or it is taken by "
                    "an installed module",
                    SourceLocation(display_path(file), 1),
                    help=f"rename {display_path(file)}",
                )
            )
            continue
        by_name[file.stem] = file
        kept.append(file)
    return kept, problems


def split_inputs(paths: Sequence[Path], skip: Collection[Path] = ()) -> tuple[list[Path], list[Path]]:
    """Spec paths (directories holding *.py, .py files) and plain files (rule YAML, dashboard JSON).

    A directory contributes its top-level `*.py` as specs and every `.yml`, `.yaml` and `.json` below it as
    plain files, skipping hidden and tool directories and `skip` (the build output).
    """
    specs: list[Path] = []
    plain: list[Path] = []
    skipped = {resolved(p) for p in skip}
    for path in paths:
        if path.is_dir():
            if any(p.suffix == ".py" for p in path.iterdir()):
                specs.append(path)
            plain.extend(_plain_files(path, skipped))
        elif path.suffix == ".py" or not path.exists():
            specs.append(path)  # the loader reports a missing path
        else:
            plain.append(path)
    return specs, plain


def _plain_files(directory: Path, skipped: Collection[Path] = ()) -> list[Path]:
    """The rule files and dashboards below `directory`, sorted, outside hidden and tool directories and
    outside `skipped` (resolved paths, such as the build output): the one walk over a directory of them.
    Those directories are never entered, so a virtualenv or a .git beside the specs costs nothing (and a
    lint's cache does not depend on them)."""
    found = []
    for top, dirs, files in os.walk(directory):
        dirs[:] = [
            name
            for name in dirs
            if name not in _SKIPPED_DIRS and not name.startswith(".") and resolved(Path(top, name)) not in skipped
        ]
        for name in files:
            path = Path(top, name)
            if path.suffix not in PLAIN_SUFFIXES or not path.is_file():
                continue
            if not any(parent in skipped for parent in resolved(path).parents):  # a symlink into the output
                found.append(path)
    return sorted(found)


def expand_plain(paths: Sequence[Path], diagnostics: list[Diagnostic]) -> Iterator[Path]:
    """The plain files (rule YAML, dashboard JSON) `paths` name: a directory gives every one below it."""
    seen: set[Path] = set()
    for path in paths:
        if path.is_dir():
            found = _plain_files(path)
        elif path.exists():
            found = [path]
        else:
            message = f"{display_path(path)} does not exist"
            help = "pass existing rule files, dashboards, or directories holding them"
            diagnostics.append(codes.INPUT_UNREADABLE(message, help=help))
            continue
        for file in found:
            if resolved(file) not in seen:
                seen.add(resolved(file))
                yield file
