"""The check catalog: one module per family, stable codes. `run_checks` runs them all over a project."""

from __future__ import annotations

from collections.abc import Collection

from monitoring_dsl.checks import alerts, dashboards, metrics, promql, rules, spec_errors  # noqa: F401 - registers
from monitoring_dsl.checks.context import CheckContext
from monitoring_dsl.checks.registry import REGISTRY, CheckInfo, check, diagnostic
from monitoring_dsl.diagnostics import Diagnostic


def run_checks(ctx: CheckContext, select: Collection[str] = (), ignore: Collection[str] = ()) -> list[Diagnostic]:
    """Every registered check over the project. `select`/`ignore` take codes or code prefixes ("Q", "Q21")."""
    found: list[Diagnostic] = []
    for code in sorted(REGISTRY):
        info = REGISTRY[code]
        if info.function is None:
            continue
        if select and not any(code.startswith(prefix) for prefix in select):
            continue
        if any(code.startswith(prefix) for prefix in ignore):
            continue
        found.extend(info.function(ctx))
    return found


__all__ = ["REGISTRY", "CheckContext", "CheckInfo", "check", "diagnostic", "run_checks"]
