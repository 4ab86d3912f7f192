"""Diagnostics are plain data: what is wrong, where, and how to fix it. Rendering lives in `render.py`."""

from __future__ import annotations

import enum
from typing import TypedDict

import attrs

from monitoring_dsl.model.base import SourceLocation


class Severity(enum.Enum):
    """How bad a finding is. Errors stop `build`; warnings and infos do not."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return {"error": 3, "warning": 2, "info": 1}[self.value]


@attrs.frozen
class Related:
    """A secondary location that explains a diagnostic, e.g. where a metric was declared."""

    location: SourceLocation
    message: str


class Place(TypedDict):
    """Where a diagnostic points, as the locators of the check context return it: `diagnostic(..., **place)`."""

    location: SourceLocation | None
    span: str | None


@attrs.frozen
class Diagnostic:
    """One finding. `span` is the text at `location` to underline; `help` says how to fix it."""

    code: str
    name: str
    severity: Severity
    message: str
    location: SourceLocation | None
    span: str | None = None
    related: tuple[Related, ...] = ()
    help: str | None = None
    # The spec object the finding is about; its `allow` (or an enclosing object's) can suppress the finding.
    subject: object = attrs.field(default=None, eq=False, repr=False)

    def sort_key(self) -> tuple[str, int, int, str, str]:
        loc = self.location
        return (
            loc.path if loc else "",
            loc.line if loc else 0,
            loc.column if loc else 0,
            self.code,
            self.message,
        )


@attrs.frozen
class Code:
    """A code emitted outside the check run (loader, importers, writer, command line), declared once in
    `codes.py` with its name and severity; calling it builds the Diagnostic."""

    code: str
    name: str
    severity: Severity

    def __call__(
        self,
        message: str,
        location: SourceLocation | None = None,
        *,
        span: str | None = None,
        related: tuple[Related, ...] = (),
        help: str | None = None,
        subject: object = None,
    ) -> Diagnostic:
        return Diagnostic(self.code, self.name, self.severity, message, location, span, related, help, subject)


def sort_diagnostics(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    """Sorted by place, then code, with exact repeats removed (a broken module imported twice fails twice)."""
    seen: set[tuple[object, ...]] = set()
    unique = []
    for diagnostic in sorted(diagnostics, key=Diagnostic.sort_key):
        key = diagnostic.sort_key()
        if key not in seen:
            seen.add(key)
            unique.append(diagnostic)
    return unique


def has_errors(diagnostics: list[Diagnostic]) -> bool:
    return any(d.severity is Severity.ERROR for d in diagnostics)


# A diagnostic as tuples and strings (its subject left out), for sending to another process: pickling these
# runs in C code alone, where each attrs instance would call back into Python.
_PlainLocation = tuple[str, int, int] | None
PlainDiagnostic = tuple[
    str, str, str, str, _PlainLocation, str | None, tuple[tuple[tuple[str, int, int], str], ...], str | None
]


def _plain_location(location: SourceLocation | None) -> _PlainLocation:
    return None if location is None else (location.path, location.line, location.column)


def to_plain(diagnostic: Diagnostic) -> PlainDiagnostic:
    d = diagnostic
    related = tuple(((r.location.path, r.location.line, r.location.column), r.message) for r in d.related)
    return (d.code, d.name, d.severity.value, d.message, _plain_location(d.location), d.span, related, d.help)


def from_plain(plain: PlainDiagnostic) -> Diagnostic:
    code, name, severity, message, location, span, related, help = plain
    return Diagnostic(
        code,
        name,
        Severity(severity),
        message,
        None if location is None else SourceLocation(*location),
        span,
        tuple(Related(SourceLocation(*where), text) for where, text in related),
        help,
    )
