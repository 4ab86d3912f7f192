"""M1xx: metric declarations. The catalog must say one thing per metric name."""

from __future__ import annotations

from collections.abc import Iterator

from monitoring_dsl.checks.context import CheckContext
from monitoring_dsl.checks.registry import check, diagnostic
from monitoring_dsl.diagnostics import Diagnostic, Severity


@check(code="M101", name="conflicting-metric", severity=Severity.ERROR, needs_catalog=True)
def conflicting_metric(ctx: CheckContext) -> Iterator[Diagnostic]:
    """The same metric name is declared twice with different type, help, labels, unit or buckets.

    Declaring a metric once in a shared module (`specs/catalog.py`) and importing it everywhere is the
    intended style; an identical second declaration is harmless, a different one is not.

    ## Why is this bad?
    The service can expose only one of them: every check, dashboard and the instrumentation would disagree
    about what the metric is.

    ## Example
        # specs/api.py
        requests = Counter("http_requests_total", "Requests", labels=["endpoint"])
        # specs/billing.py
        requests = Counter("http_requests_total", "Requests", labels=["route"])

    ## Use instead
        # specs/catalog.py
        requests = Counter("http_requests_total", "Requests", labels=["endpoint"])
        # specs/api.py and specs/billing.py
        from catalog import requests
    """
    for first, other in ctx.catalog.conflicts:
        differences = [
            field
            for field in ("help", "labels", "unit", "buckets", "quantiles")
            if getattr(first, field, None) != getattr(other, field, None)
        ]
        if type(first) is not type(other):
            differences.insert(0, f"type ({type(first).__name__} vs {type(other).__name__})")
        yield diagnostic(
            "M101",
            f"metric `{other.name}` is declared again with a different {', '.join(differences)}",
            location=other.location,
            subject=other,
            related=ctx.declared_at("first declared", first),
            help="declare each metric once, in a shared spec module, and import it where it is used",
        )
