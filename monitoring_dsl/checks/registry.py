"""The check registry: every code, its name, severity and documentation, and the functions that run.

A family module owns a hundred-block of codes. `@check` registers a function that yields diagnostics for the
whole project; `document` registers a code that another stage of the pipeline emits (the loader's E0xx), so
the catalog and its documentation list every code a user can see.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

import attrs

from monitoring_dsl.diagnostics import Code, Diagnostic, Related, Severity
from monitoring_dsl.model.base import CODE_RE, SourceLocation

if TYPE_CHECKING:
    from monitoring_dsl.checks.context import CheckContext

NAME_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
FAMILIES = {
    "E": "Spec and compile errors",
    "M": "Metrics and naming",
    "Q": "PromQL",
    "A": "Alerts",
    "R": "Recording rules",
    "D": "Dashboards",
    "S": "Stack, routing and SLOs",
}

CheckFunction = Callable[["CheckContext"], Iterator[Diagnostic]]


@attrs.frozen
class CheckInfo:
    code: str
    name: str
    severity: Severity
    doc: str
    function: CheckFunction | None  # None: emitted by the loader, the writer or the CLI
    module: str
    needs_catalog: bool = False  # True: meaningless without declarations, skipped for plain files
    local: bool = False  # True: what it finds about a module depends on that module and the catalog alone

    @property
    def summary(self) -> str:
        return self.doc.strip().splitlines()[0] if self.doc.strip() else ""


REGISTRY: dict[str, CheckInfo] = {}


def _register(info: CheckInfo) -> None:
    if not CODE_RE.match(info.code):
        raise ValueError(f"check code {info.code!r} must be a family letter and three digits")
    if not NAME_RE.match(info.name):
        raise ValueError(f"check name {info.name!r} must be lower-case words joined by '-'")
    if info.code in REGISTRY:
        raise ValueError(f"check code {info.code} is registered twice")
    if any(other.name == info.name for other in REGISTRY.values()):
        raise ValueError(f"check name {info.name!r} is registered twice")
    REGISTRY[info.code] = info


def check(
    code: str, name: str, severity: Severity, needs_catalog: bool = False, local: bool = False
) -> Callable[[CheckFunction], CheckFunction]:
    """Register a check function; its docstring is its documentation page.

    `needs_catalog=True` marks checks that only make sense against declared metrics (an unknown metric or
    label); they do not run on plain rule files and dashboards, which have no catalog.

    `local=True` promises that what the check finds about a spec module's objects depends only on those
    objects, on the catalog it reads through `ctx.whole` (metrics, records, services, Prometheus servers,
    rule tests, SLOs), on the settings and on the files its findings point into; and that every finding has
    a subject. Its findings are then kept per module between runs (checks/kept.py).
    """

    def decorate(function: CheckFunction) -> CheckFunction:
        doc = inspect.getdoc(function) or ""
        _register(CheckInfo(code, name, severity, doc, function, function.__module__, needs_catalog, local))
        return function

    return decorate


def document(code: Code, doc: str, module: str) -> None:
    """Document a code that is emitted outside the check run (loader, writer, command line); its name and
    severity are declared once, in `codes.py`."""
    _register(CheckInfo(code.code, code.name, code.severity, inspect.cleandoc(doc), None, module))


def diagnostic(
    code: str,
    message: str,
    *,
    location: SourceLocation | None = None,
    span: str | None = None,
    related: tuple[Related, ...] = (),
    help: str | None = None,
    subject: object = None,
) -> Diagnostic:
    """A Diagnostic for a registered code, taking name and severity from the registry.

    `location` and `span` usually come from a locator of the check context (`**ctx.at(...)`, a `Place`). Pass
    `subject=` the spec object the finding is about, so that its `allow={...}` can suppress it.
    """
    info = REGISTRY[code]
    return Diagnostic(code, info.name, info.severity, message, location, span, related, help, subject)
