"""The pipeline: load the specs (or plain rule files and dashboards), run every check, and emit the output
tree when nothing is an error. `lint` is the same pipeline without emit."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from pathlib import Path

import attrs

from monitoring_dsl.checks import CheckContext, run_checks
from monitoring_dsl.diagnostics import Diagnostic, Related, Severity, has_errors, sort_diagnostics
from monitoring_dsl.emit import Artifacts, OutputCollision, emit_all
from monitoring_dsl.loader import load
from monitoring_dsl.model.project import Project
from monitoring_dsl.model.settings import Settings
from monitoring_dsl.sources import Sources


@attrs.frozen
class CompileResult:
    """Diagnostics, sorted; the output tree when the specs had no errors; tracebacks for --debug."""

    diagnostics: list[Diagnostic]
    artifacts: Artifacts | None
    project: Project | None
    tracebacks: tuple[str, ...] = ()
    spec_output: tuple[tuple[str, str], ...] = ()  # what each spec printed while it was imported


def compile_specs(
    paths: Sequence[Path],
    root: Path,
    sources: Sources | None = None,
    emit: bool = True,
    settings: Settings | None = None,
    select: Collection[str] = (),
    ignore: Collection[str] = (),
) -> CompileResult:
    """Load, check and (when `emit` and error-free) emit. Load errors stop before the checks, which would
    otherwise report every use of whatever the broken module declared."""
    loaded = load(paths, root)
    diagnostics = list(loaded.diagnostics)
    if has_errors(diagnostics):
        return CompileResult(sort_diagnostics(diagnostics), None, loaded.project, loaded.tracebacks, loaded.output)
    context = CheckContext(loaded.project, sources, settings)
    diagnostics.extend(run_checks(context, select, ignore))
    diagnostics = sort_diagnostics(diagnostics)
    if has_errors(diagnostics) or not emit:
        return CompileResult(diagnostics, None, loaded.project, loaded.tracebacks, loaded.output)
    try:
        artifacts = emit_all(loaded.project)
    except OutputCollision as collision:
        diagnostics = sort_diagnostics([*diagnostics, _collision(collision)])
        return CompileResult(diagnostics, None, loaded.project, loaded.tracebacks, loaded.output)
    return CompileResult(diagnostics, artifacts, loaded.project, loaded.tracebacks, loaded.output)


def _collision(collision: OutputCollision) -> Diagnostic:
    """E011: two objects would become one file; neither may silently win, even when D501 is allowed."""
    first = getattr(collision.first, "location", None)
    return Diagnostic(
        "E011",
        "output-path-collision",
        Severity.ERROR,
        f"{_describe(collision.second)} and {_describe(collision.first)} would both be written to "
        f"{collision.path}; one would silently replace the other",
        getattr(collision.second, "location", None),
        related=(Related(first, "first written here"),) if first is not None else (),
        help="give each dashboard its own uid= (an allow= for D501 does not make two files of one)",
    )


def _describe(obj: object) -> str:
    title = getattr(obj, "title", None)
    return f"dashboard {title!r}" if title is not None else type(obj).__name__


PLAIN_SUFFIXES = (".yml", ".yaml", ".json")
_SKIPPED_DIRS = {".git", ".venv", "venv", "node_modules", "__pycache__", ".mypy_cache", ".ruff_cache"}


@attrs.frozen
class LintResult:
    diagnostics: list[Diagnostic]
    checked: int  # spec modules and plain files that could be read; 0 means nothing was checked
    spec_output: tuple[tuple[str, str], ...] = ()


def split_inputs(paths: Sequence[Path], skip: Collection[Path] = ()) -> tuple[list[Path], list[Path]]:
    """Spec paths (directories holding *.py, .py files) and plain files (rule YAML, dashboard JSON).

    A directory contributes its top-level `*.py` as specs and every `.yml`, `.yaml` and `.json` below it as
    plain files, skipping hidden and tool directories and `skip` (the build output).
    """
    specs: list[Path] = []
    plain: list[Path] = []
    skipped = {p.resolve() for p in skip}
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


def _plain_files(directory: Path, skipped: set[Path]) -> list[Path]:
    found = []
    for path in sorted(directory.rglob("*")):
        relative = path.relative_to(directory).parts
        if any(part in _SKIPPED_DIRS or part.startswith(".") for part in relative[:-1]):
            continue
        if any(parent in skipped for parent in path.resolve().parents):
            continue
        if path.suffix in PLAIN_SUFFIXES and path.is_file():
            found.append(path)
    return found


def lint(
    paths: Sequence[Path],
    root: Path,
    sources: Sources,
    settings: Settings,
    select: Collection[str] = (),
    ignore: Collection[str] = (),
    skip: Collection[Path] = (),
) -> LintResult:
    """Every check over spec modules and plain files in `paths`; writes nothing."""
    spec_paths, plain_paths = split_inputs(paths, skip)
    diagnostics: list[Diagnostic] = []
    checked = 0
    spec_output: tuple[tuple[str, str], ...] = ()
    if spec_paths:
        result = compile_specs(spec_paths, root, sources, emit=False, settings=settings, select=select, ignore=ignore)
        diagnostics.extend(result.diagnostics)
        spec_output = result.spec_output
        if result.project is not None:
            failed = {d.location.path for d in result.diagnostics if d.code.startswith("E") and d.location}
            checked += sum(1 for module in result.project.modules if module.source not in failed)
    if plain_paths:
        from monitoring_dsl.importers import load_plain_files  # only lint reads plain files

        plain = load_plain_files(plain_paths, root)
        diagnostics.extend(plain.diagnostics)
        context = CheckContext(plain.project, sources, settings, plain=True)
        diagnostics.extend(run_checks(context, select, ignore))
        checked += len(plain.project.modules)
    return LintResult(sort_diagnostics(diagnostics), checked, spec_output)
