"""The pipeline: load the specs (or plain rule files and dashboards), run every check, and emit the output
tree when nothing is an error. `lint` is the same pipeline without emit."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from pathlib import Path

import attrs

from monitoring_dsl import codes
from monitoring_dsl.checks import CheckContext, run_checks
from monitoring_dsl.diagnostics import Diagnostic, Related, has_errors, sort_diagnostics
from monitoring_dsl.emit import Artifacts, OutputCollision, emit_all
from monitoring_dsl.emit.slo import expand_slos
from monitoring_dsl.load.discovery import split_inputs
from monitoring_dsl.load.limits import oversized, unencodable_text
from monitoring_dsl.load.specs import load
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
    infos: bool = True,
) -> CompileResult:
    """Load, check and (when `emit` and error-free) emit. Load errors stop before the checks, which would
    otherwise report every use of whatever the broken module declared. Without `infos`, the checks whose
    findings are infos do not run (see run_checks): `build` shows warnings and errors only."""
    loaded = load(paths, root)
    diagnostics = list(loaded.diagnostics)
    diagnostics.extend(unencodable_text(loaded.project))
    diagnostics.extend(oversized(loaded.project))
    if has_errors(diagnostics):
        return CompileResult(sort_diagnostics(diagnostics), None, loaded.project, loaded.tracebacks, loaded.output)
    project = expand_slos(loaded.project)  # SLO rules and dashboards are checked and emitted like written ones
    context = CheckContext(project, sources, settings)
    generated = {id(d.obj) for d in project.declared[len(loaded.project.declared) :]}
    diagnostics.extend(_once_per_place(run_checks(context, select, ignore, infos), generated))
    diagnostics = sort_diagnostics(diagnostics)
    if has_errors(diagnostics) or not emit:
        return CompileResult(diagnostics, None, project, loaded.tracebacks, loaded.output)
    try:
        artifacts = emit_all(project, settings)
    except OutputCollision as collision:
        diagnostics = sort_diagnostics([*diagnostics, _collision(collision)])
        return CompileResult(diagnostics, None, project, loaded.tracebacks, loaded.output)
    return CompileResult(diagnostics, artifacts, project, loaded.tracebacks, loaded.output)


def _once_per_place(diagnostics: list[Diagnostic], generated: set[int]) -> list[Diagnostic]:
    """An SLO's eight error-ratio records share its indicator's selectors, and its line: a finding about them
    (an unknown metric, say) is reported once, not once per window."""
    seen: set[tuple[object, ...]] = set()
    kept = []
    for diagnostic in diagnostics:
        if id(diagnostic.subject) in generated:
            key = (diagnostic.code, diagnostic.location, diagnostic.span, diagnostic.help)
            if key in seen:
                continue
            seen.add(key)
        kept.append(diagnostic)
    return kept


def _collision(collision: OutputCollision) -> Diagnostic:
    """E011: two objects would become one file; neither may silently win, even when D501 is allowed."""
    first = getattr(collision.first, "location", None)
    return codes.OUTPUT_PATH_COLLISION(
        f"{_describe(collision.second)} and {_describe(collision.first)} would both be written to "
        f"{collision.path}; one would silently replace the other",
        getattr(collision.second, "location", None),
        related=(Related(first, "first written here"),) if first is not None else (),
        help="give each dashboard its own uid= (an allow= for D501 does not make two files of one)",
    )


def _describe(obj: object) -> str:
    title = getattr(obj, "title", None)
    return f"dashboard {title!r}" if title is not None else type(obj).__name__


@attrs.frozen
class LintResult:
    diagnostics: list[Diagnostic]
    checked: int  # spec modules and plain files that could be read; 0 means nothing was checked
    spec_output: tuple[tuple[str, str], ...] = ()


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
        from monitoring_dsl.load.plain import load_plain_files  # only lint reads plain files

        plain = load_plain_files(plain_paths, root, settings.prometheus_version_tuple)
        diagnostics.extend(plain.diagnostics)
        diagnostics.extend(oversized(plain.project))
        context = CheckContext(plain.project, sources, settings, plain=True)
        diagnostics.extend(run_checks(context, select, ignore))
        checked += len(plain.project.modules)
    return LintResult(sort_diagnostics(diagnostics), checked, spec_output)
