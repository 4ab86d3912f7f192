"""verify's text report: one line per query at its spec line, then the series lists and a summary."""

from __future__ import annotations

from collections.abc import Callable

from monitoring_dsl.model.base import SourceLocation
from monitoring_dsl.verify.run import OK, Outcome, Report


def render_report(report: Report, where: Callable[[SourceLocation | None], str], show_ok: bool = True) -> str:
    """`path:line: status  what: detail` per query (problems also show the query as sent)."""
    lines = []

    def order(outcome: Outcome) -> tuple[str, int, str]:
        location = outcome.location
        return (location.path, location.line, outcome.title) if location is not None else ("", 0, outcome.title)

    for outcome in sorted(report.outcomes, key=order):
        if outcome.status == OK and not show_ok:
            continue
        allowed = " (allowed)" if outcome.allowed and outcome.status != OK else ""
        lines.append(f"{where(outcome.location)}: {outcome.status:<7} {outcome.title}: {outcome.detail}{allowed}")
        if outcome.status != OK:
            lines.append(f"    query: {outcome.sent}")
    if report.unexposed:
        lines.append(f"declared but not exposed ({len(report.unexposed)}): {', '.join(report.unexposed)}")
    if report.undeclared:
        lines.append(f"exposed but not declared ({len(report.undeclared)}): {', '.join(report.undeclared)}")
    counts = report.counts()
    lines.append(f"{counts['ok']} ok, {counts['empty']} empty, {counts['failing']} failing")
    return "\n".join(lines)
