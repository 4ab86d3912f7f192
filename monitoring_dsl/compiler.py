"""The pipeline: load the specs, run every check, and emit the output tree when nothing is an error."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import attrs

from monitoring_dsl.checks import CheckContext, run_checks
from monitoring_dsl.diagnostics import Diagnostic, has_errors, sort_diagnostics
from monitoring_dsl.emit import Artifacts, emit_all
from monitoring_dsl.loader import load
from monitoring_dsl.model.project import Project
from monitoring_dsl.sources import Sources


@attrs.frozen
class CompileResult:
    """Diagnostics, sorted; the output tree when the specs had no errors; tracebacks for --debug."""

    diagnostics: list[Diagnostic]
    artifacts: Artifacts | None
    project: Project | None
    tracebacks: tuple[str, ...] = ()


def compile_specs(
    paths: Sequence[Path], root: Path, sources: Sources | None = None, emit: bool = True
) -> CompileResult:
    """Load, check and (when `emit` and error-free) emit. Load errors stop before the checks, which would
    otherwise report every use of whatever the broken module declared."""
    loaded = load(paths, root)
    diagnostics = list(loaded.diagnostics)
    if has_errors(diagnostics):
        return CompileResult(sort_diagnostics(diagnostics), None, loaded.project, loaded.tracebacks)
    context = CheckContext(loaded.project, sources)
    diagnostics.extend(run_checks(context))
    diagnostics = sort_diagnostics(diagnostics)
    if has_errors(diagnostics) or not emit:
        return CompileResult(diagnostics, None, loaded.project, loaded.tracebacks)
    return CompileResult(diagnostics, emit_all(loaded.project), loaded.project, loaded.tracebacks)
