"""Render diagnostics for people and tools: `text` (with source snippet and help) and `concise`."""

from __future__ import annotations

from collections.abc import Iterable

from monitoring_dsl.diagnostics import Diagnostic, Severity
from monitoring_dsl.sources import Sources


def _head(diagnostic: Diagnostic) -> str:
    location = diagnostic.location
    where = f"{location.path}:{location.line}:{location.column or 1}: " if location else ""
    severity = "" if diagnostic.severity is Severity.ERROR else f"{diagnostic.severity.value}: "
    return f"{where}{diagnostic.code} {severity}{diagnostic.message} [{diagnostic.name}]"


def render_text(diagnostic: Diagnostic, sources: Sources) -> str:
    """`path:line:col: CODE message [name]`, the source line with the span underlined, related places, help."""
    lines = [_head(diagnostic)]
    location = diagnostic.location
    source = sources.line(location.path, location.line) if location else None
    if location is not None and source is not None:
        gutter = " " * len(str(location.line))
        lines.append(f"{gutter} |")
        lines.append(f"{location.line} | {source.rstrip()}")
        if location.column:
            width = max(1, len(diagnostic.span)) if diagnostic.span else 1
            lines.append(f"{gutter} | {' ' * (location.column - 1)}{'^' * width}")
        for related in diagnostic.related:
            lines.append(f"{gutter} = note: {related.message} at {related.location}")
        if diagnostic.help:
            lines.append(f"{gutter} = help: {diagnostic.help}")
    else:
        for related in diagnostic.related:
            lines.append(f"  = note: {related.message} at {related.location}")
        if diagnostic.help:
            lines.append(f"  = help: {diagnostic.help}")
    return "\n".join(lines)


def render(diagnostics: Iterable[Diagnostic], fmt: str, sources: Sources) -> str:
    """All diagnostics in format `fmt` ('text' or 'concise'), one block each."""
    if fmt == "concise":
        return "\n".join(_head(d) for d in diagnostics)
    return "\n\n".join(render_text(d, sources) for d in diagnostics)


def summary(diagnostics: list[Diagnostic]) -> str:
    counts = {severity: 0 for severity in Severity}
    for diagnostic in diagnostics:
        counts[diagnostic.severity] += 1
    parts = [f"{counts[s]} {s.value}{'s' if counts[s] != 1 else ''}" for s in Severity if counts[s]]
    return ", ".join(parts) if parts else "no problems"
