"""Running one check so that a bug in it, or a query it cannot handle, never stops the run.

An exception inside a check becomes an E045 diagnostic that names the check and the object it was looking at
(found in the check's own frames); when that object is a query, the check is run again without it, so every
other finding of the check is still reported. Query facts that no check could compute are found up front,
and such a query is set aside with an E045 of its own before any check runs.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from types import TracebackType

from monitoring_dsl import codes
from monitoring_dsl.checks.context import CheckContext, Query, owner_kind
from monitoring_dsl.checks.registry import CheckInfo, diagnostic, document
from monitoring_dsl.diagnostics import Diagnostic
from monitoring_dsl.model.base import SourceLocation
from monitoring_dsl.model.dashboards import Dashboard, Panel, Target, Variable
from monitoring_dsl.model.metrics import Metric
from monitoring_dsl.model.rules import Alert, Record, RuleGroup
from monitoring_dsl.promql import analyse

document(
    codes.INTERNAL_ERROR,
    """
    A check failed on one object: a bug in monitoring-dsl, reported instead of stopping the run.

    The message names the check, the object it was looking at and the exception. Every other check, and the
    same check on every other object, still ran, but the run is incomplete: lint and build exit 2.

    ## Why is this bad?
    The object was not fully checked, so a problem in it may be missing from the report.

    ## Example
        # a query that makes a check raise ValueError
        Alert("Broken", "...")

    ## Use instead
        # report the message and the query; until it is fixed, `--ignore` the named check for this run
    """,
    __name__,
)

MAX_RETRIES = 20
_CULPRITS = (Query, Alert, Record, RuleGroup, Target, Variable, Panel, Dashboard, Metric)


def describe(obj: object) -> str:
    """How a message names `obj`."""
    if isinstance(obj, Query):
        return owner_kind(obj.owner) if not isinstance(obj.owner, Target) else f"panel query {obj.original!r}"
    if isinstance(obj, (Alert, Record, Variable, Target)):
        return owner_kind(obj)
    name = getattr(obj, "title", None) or getattr(obj, "name", None)
    return f"{type(obj).__name__.lower()} {name!r}" if name else type(obj).__name__.lower()


def _location(obj: object) -> SourceLocation | None:
    location = getattr(obj, "location", None)
    return location if isinstance(location, SourceLocation) else None


def _culprit(tb: TracebackType | None) -> object | None:
    """The object the failing check was looking at: the innermost query, else the innermost model object,
    among the local variables of the frames between the check and the exception."""
    query = other = None
    while tb is not None:
        for value in tb.tb_frame.f_locals.values():
            if isinstance(value, Query):
                query = value
            elif isinstance(value, _CULPRITS):
                other = value
        tb = tb.tb_next
    return query or other


def _internal_error(info: CheckInfo | None, obj: object | None, error: BaseException) -> Diagnostic:
    what = f"check {info.code} ({info.name})" if info is not None else "query analysis"
    on = f" on {describe(obj)}" if obj is not None else ""
    reason = f"{type(error).__name__}: {error}".strip().rstrip(":")
    return diagnostic(
        "E045",
        f"internal error: {what} failed{on} ({reason[:200]})",
        help="this is a bug in monitoring-dsl; the rest was checked. Please report it with this query or object",
        subject=None,
        location=_location(obj.owner if isinstance(obj, Query) else obj),
    )


def run_isolated(ctx: CheckContext, info: CheckInfo) -> list[Diagnostic]:
    """The findings of one check; an exception becomes E045 and, when a query caused it, a rerun without it."""
    assert info.function is not None
    found: list[Diagnostic] = []
    excluded: list[Query] = []
    queries = ctx.queries
    try:
        for _attempt in range(MAX_RETRIES):
            seen = set(found)
            try:
                for item in info.function(ctx):
                    if item not in seen:
                        found.append(item)
                return found
            except Exception as error:  # a bug in a check must not stop the run
                culprit = _culprit(sys.exc_info()[2])
                found.append(_internal_error(info, culprit, error))
                if not isinstance(culprit, Query):
                    return found
                excluded.append(culprit)
                ctx.queries = [q for q in queries if all(q is not e for e in excluded)]
        return found
    finally:
        ctx.queries = queries


def set_aside_unanalysable(ctx: CheckContext) -> Iterator[Diagnostic]:
    """E045 for each query whose facts cannot be computed; such queries are removed from `ctx.queries`."""
    kept = []
    for query in ctx.queries:
        try:
            if query.parsed is not None:
                analyse(query.parsed)
        except Exception as error:  # the analysis of one query must not stop the run
            yield _internal_error(None, query, error)
            continue
        kept.append(query)
    ctx.queries = kept
