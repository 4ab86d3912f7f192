"""Q230: aggregations over a division, where one NaN hides every other series."""

from __future__ import annotations

from collections.abc import Iterator

from monitoring_dsl.checks.context import CheckContext, owner_kind
from monitoring_dsl.checks.registry import check, diagnostic
from monitoring_dsl.diagnostics import Diagnostic, Severity
from monitoring_dsl.promql import divisions_in_aggregations


@check(code="Q230", name="division-inside-sum", severity=Severity.WARNING, local=True)
def division_inside_sum(ctx: CheckContext) -> Iterator[Diagnostic]:
    """`sum()` or `avg()` over a division of two vectors: `sum(errors / requests)`.

    ## Why is this bad?
    A series whose denominator is 0 gives NaN (0/0) or Inf, and one NaN makes the whole sum or average NaN:
    one idle instance hides every other. Summing ratios is also rarely the ratio you want.

    ## Example
        Alert("HighErrorRatio", "avg(rate(errors_total[5m]) / rate(requests_total[5m])) > 0.05", ...)

    ## Use instead
        Alert("HighErrorRatio", "sum(rate(errors_total[5m])) / sum(rate(requests_total[5m])) > 0.05", ...)
    """
    for query in ctx.queries:
        if query.parsed is None:
            continue
        for aggregation in sorted(set(divisions_in_aggregations(query.parsed))):
            yield diagnostic(
                "Q230",
                f"{aggregation}() over a division in {owner_kind(query.owner)}: one series with a zero "
                f"denominator makes the whole {aggregation} NaN",
                help=f"divide the {aggregation}s instead: {aggregation}(a) / {aggregation}(b)",
                subject=query.owner,
                **ctx.in_query(query, aggregation),
            )
