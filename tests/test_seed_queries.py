"""The seed document's own queries, linted as it wrote them: each mistake it shows gets the right code."""

from __future__ import annotations

import textwrap
from pathlib import Path

from monitoring_dsl.compiler import compile_specs
from monitoring_dsl.diagnostics import Diagnostic

PRELUDE = "from monitoring_dsl import *  # noqa\n"

CATALOG = """
requests = Counter("http_requests_total", "Requests", labels=["method", "endpoint", "status"])
latency = Histogram("http_request_duration_seconds", "Request duration", labels=["endpoint"], unit="seconds")
errors = Counter("http_errors_total", "Requests answered with an error", labels=["endpoint", "status"])
db_queries = Counter("db_query_count_total", "Database queries", labels=["operation"])
"""

# The codes of the PromQL meaning checks: rates, raw counters, quantiles, ranges, matching, versions.
PROMQL_MEANING = {"Q201", "Q202", "Q203", "Q204", "Q205", "Q206", "Q207", "Q208", "Q209", "Q214"}


def _lint(tmp_path: Path, spec: str) -> list[Diagnostic]:
    specs = tmp_path / "specs"
    specs.mkdir()
    source = PRELUDE + textwrap.dedent(CATALOG) + textwrap.dedent(spec)
    (specs / "seed.py").write_text(source, encoding="utf-8")
    return compile_specs([specs], tmp_path, emit=False).diagnostics


def test_quantile_over_raw_buckets_is_reported(tmp_path: Path) -> None:
    """`histogram_quantile(0.95, http_request_duration_seconds_bucket)`: no rate() over the buckets."""
    found = _lint(
        tmp_path,
        """
        d = Dashboard("API", panels=[
            TimeSeries("p95 latency", "histogram_quantile(0.95, http_request_duration_seconds_bucket)", unit="s"),
        ])
        """,
    )
    reported = [d for d in found if d.code == "Q203"]
    assert 1 == len(reported)
    assert "without rate() or increase()" in reported[0].message
    assert "sum by (le) (rate(http_request_duration_seconds_bucket[5m]))" in (reported[0].help or "")


def test_error_rate_alert_is_valid_promql(tmp_path: Path) -> None:
    """`rate(http_errors_total[5m]) > 0.01` is a correct rate of a counter: no PromQL check objects.

    The seed calls the value a percentage in the description, but a rate is per second, not a share of
    requests; that wording is for the alert checks (A3xx) to report, not for the PromQL family.
    """
    found = _lint(
        tmp_path,
        """
        a = Alert("HighErrorRate", "rate(http_errors_total[5m]) > 0.01", for_="5m", severity="warning",
                  summary="High error rate", description="Error percentage is above 1%: {{ $value }}")
        """,
    )
    assert [] == [d.code for d in found if d.code in PROMQL_MEANING]


def test_misspelt_metric_gets_the_declared_name(tmp_path: Path) -> None:
    """A query on `db_queries_total` where the catalog declares `db_query_count_total`: Q210, did you mean."""
    found = _lint(
        tmp_path,
        """
        d = Dashboard("Database", panels=[
            TimeSeries("Queries", "sum(rate(db_queries_total[$__rate_interval]))", unit="ops"),
        ])
        """,
    )
    reported = [d for d in found if d.code == "Q210"]
    assert 1 == len(reported)
    assert "`db_queries_total`" in reported[0].message
    assert "did you mean `db_query_count_total`?" == reported[0].help
