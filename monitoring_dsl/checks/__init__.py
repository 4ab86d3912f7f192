"""The check catalog: one module per family, stable codes. `run_checks` runs them all over a project."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence

import attrs

from monitoring_dsl.checks import (  # noqa: F401 - registers
    alert_conditions,
    alerts,
    dashboard_inventory,
    dashboard_options,
    dashboards,
    metrics,
    promql,
    promql_aggregation,
    rule_order,
    rules,
    ruletests,
    slo,
    spec_errors,
    stack,
)
from monitoring_dsl.checks.context import CheckContext
from monitoring_dsl.checks.isolation import run_isolated, set_aside_unanalysable
from monitoring_dsl.checks.registry import REGISTRY, CheckInfo, check, diagnostic
from monitoring_dsl.diagnostics import Diagnostic, Severity
from monitoring_dsl.model.slo import SLO


def selected(code: str, select: Collection[str] = (), ignore: Collection[str] = ()) -> bool:
    """Whether `code` runs under `select`/`ignore`, which take codes or prefixes ("Q", "Q21")."""
    if select and not any(code.startswith(prefix) for prefix in select):
        return False
    return not any(code.startswith(prefix) for prefix in ignore)


def run_checks(
    ctx: CheckContext,
    select: Collection[str] = (),
    ignore: Collection[str] = (),
    infos: bool = True,
    generated: Collection[int] = frozenset(),
) -> list[Diagnostic]:
    """Every selected check over the project, minus what `allow={...}` suppresses, plus unused suppressions.

    Without `infos`, checks of severity info are skipped (`build` shows none of their findings), except those
    an `allow=` names: whether that suppression is used (E010, a warning) depends on them. `generated` holds
    the ids of objects the tool made from others (an SLO's records): see `run_part`."""
    found = list(set_aside_unanalysable(ctx))
    planned = plan(ctx, select, ignore, infos)
    part = run_part(ctx, planned, generated, found)
    return finish(ctx, [part], planned, select, ignore)


def plan(
    ctx: CheckContext, select: Collection[str] = (), ignore: Collection[str] = (), infos: bool = True
) -> list[str]:
    """The codes `run_checks` runs, in code order."""
    allowed = set() if infos else {code for obj in objects_with_allow(ctx) for code in getattr(obj, "allow", {})}
    codes = []
    for code in sorted(REGISTRY):
        info = REGISTRY[code]
        if info.function is None or not selected(code, select, ignore):
            continue
        if not infos and info.severity is Severity.INFO and code not in allowed:
            continue
        if ctx.plain and info.needs_catalog:
            continue
        codes.append(code)
    return codes


@attrs.frozen
class Part:
    """What running some of the checks found: the findings kept, and which `allow=` entries suppressed one
    (`(id(holder), code)`). Nothing after this step looks at a finding's subject, so a part that comes back
    from another process (as `diagnostics.to_plain` tuples) need not carry it."""

    kept: list[Diagnostic]
    used: set[tuple[int, str]]


def run_part(
    ctx: CheckContext, codes: Sequence[str], generated: Collection[int] = frozenset(), found: Sequence[Diagnostic] = ()
) -> Part:
    """Run the checks `codes` (after the findings `found` already made), drop follow-on findings and what
    `allow=` suppresses, and report each finding about objects in `generated` once per place. Each of these
    steps looks at one code at a time, so the parts of a split run add up to the whole run."""
    everything = list(found)
    for code in codes:
        everything.extend(run_isolated(ctx, REGISTRY[code]))
    kept, used = _suppress(ctx, _without_follow_ons(ctx, everything))
    kept = _once_per_place(kept, generated)
    return Part(kept, used)


def finish(
    ctx: CheckContext, parts: Sequence[Part], ran: Collection[str], select: Collection[str], ignore: Collection[str]
) -> list[Diagnostic]:
    """The parts' findings, in the order of `parts`, and E010 for each `allow=` no part used."""
    kept = [d for part in parts for d in part.kept]
    if selected("E010", select, ignore):
        used = set().union(*(part.used for part in parts))
        kept.extend(_unused_suppressions(ctx, used, set(ran)))
    return kept


def _once_per_place(diagnostics: list[Diagnostic], generated: Collection[int]) -> list[Diagnostic]:
    """An SLO's eight error-ratio records share its indicator's selectors, and its line: a finding about them
    (an unknown metric, say) is reported once, not once per window."""
    if not generated:
        return diagnostics
    seen: set[tuple[object, ...]] = set()
    kept = []
    for diagnostic_ in diagnostics:
        if id(diagnostic_.subject) in generated:
            key = (diagnostic_.code, diagnostic_.location, diagnostic_.span, diagnostic_.help)
            if key in seen:
                continue
            seen.add(key)
        kept.append(diagnostic_)
    return kept


def _without_follow_ons(ctx: CheckContext, found: list[Diagnostic]) -> list[Diagnostic]:
    """`found` without the findings that an invalid record name (R402) causes in the queries that use it:
    `job:http-requests:rate5m` parses as a subtraction, whose parts are unknown series. R402 says what to fix."""
    invalid = ctx.invalid_record_names
    if not invalid:
        return found

    def caused(diagnostic_: Diagnostic) -> bool:
        if diagnostic_.code == "R402" or diagnostic_.code[0] not in "QR":
            return False
        expr = getattr(diagnostic_.subject, "expr", None)
        return isinstance(expr, str) and any(name in expr for name in invalid)

    return [diagnostic_ for diagnostic_ in found if not caused(diagnostic_)]


def enclosing(ctx: CheckContext, subject: object) -> Iterator[object]:
    """`subject`, then each object that contains it."""
    seen = 0
    while subject is not None and seen < 16:
        yield subject
        subject = ctx.parents.get(id(subject))
        seen += 1


def _suppress(ctx: CheckContext, found: list[Diagnostic]) -> tuple[list[Diagnostic], set[tuple[int, str]]]:
    kept = []
    used: set[tuple[int, str]] = set()
    for diagnostic_ in found:
        holder = next(
            (obj for obj in enclosing(ctx, diagnostic_.subject) if diagnostic_.code in getattr(obj, "allow", {})),
            None,
        )
        if holder is None:
            kept.append(diagnostic_)
        else:
            used.add((id(holder), diagnostic_.code))
    return kept, used


def objects_with_allow(ctx: CheckContext) -> Iterator[object]:
    project = ctx.project
    yield from (d.obj for d in project.declared if isinstance(d.obj, SLO))
    yield from project.metrics
    yield from project.alerts
    yield from project.records
    yield from project.rule_tests
    for groups in project.rule_groups_by_module().values():
        yield from groups
    yield from project.services
    yield from project.prometheus_servers
    for routing in project.routings:
        yield routing
        yield from routing.receivers
        yield from routing.all_routes()
        yield from routing.inhibit
    for dashboard in project.dashboards:
        yield dashboard
        yield from dashboard.variables
        yield from dashboard.annotations
        yield from dashboard.rows
        for panel in dashboard.all_panels():
            yield panel
            yield from panel.targets


def _unused_suppressions(ctx: CheckContext, used: set[tuple[int, str]], ran: set[str]) -> Iterator[Diagnostic]:
    seen: set[int] = set()
    for obj in objects_with_allow(ctx):
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        for code in getattr(obj, "allow", {}):
            if code not in REGISTRY:
                yield diagnostic(
                    "E010",
                    f"allow names {code!r}, which is not a check code",
                    help="`monitoring-dsl checks` lists the codes",
                    subject=None,
                    **ctx.at(getattr(obj, "location", None), code),
                )
            elif code in ran and (id(obj), code) not in used:
                yield diagnostic(
                    "E010",
                    f"allow={{{code!r}: ...}} on {type(obj).__name__} suppresses nothing",
                    help=f"{code} reports nothing here any more; remove the exception",
                    subject=None,
                    **ctx.at(getattr(obj, "location", None), code),
                )


__all__ = [
    "REGISTRY",
    "CheckContext",
    "CheckInfo",
    "Part",
    "check",
    "diagnostic",
    "enclosing",
    "finish",
    "objects_with_allow",
    "plan",
    "run_checks",
    "run_part",
    "selected",
]
