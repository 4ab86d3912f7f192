"""Round trip of `monitoring-dsl import` over the real-world corpus: the share of dashboards and rule files that
import, build, and come back equal to the input after the normalisations documented in docs/import.md."""

from __future__ import annotations

import collections
from pathlib import Path

from monitoring_dsl.review.roundtrip import RoundTrip, reasons, round_trip

# The figures measured when the import was written (docs/import.md); a regression below them fails.
DASHBOARDS_EXACT_AT_LEAST = 119
RULE_FILES_EXACT = "all"


def _files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.rglob("*") if p.is_file() and p.suffix in (".json", ".yml", ".yaml"))


def _report(results: list[RoundTrip]) -> str:
    counts: collections.Counter[str] = collections.Counter()
    for result in results:
        counts.update(reasons(result))
    exact = sum(r.exact for r in results)
    lines = [f"{exact}/{len(results)} exact ({100 * exact / len(results):.1f}%)"]
    lines += [f"  {count:3} files: {reason}" for reason, count in counts.most_common()]
    return "\n".join(lines)


def test_every_rule_file_round_trips_exactly(realworld: Path) -> None:
    """Every rule file of the corpus (plain and PrometheusRule) imports and builds back to the same rules."""
    results = [round_trip(file) for file in _files(realworld / "rules")]
    print("rule files:", _report(results))
    assert len(results) > 100
    assert [] == [(r.file, reasons(r)) for r in results if not r.exact]


def test_dashboards_round_trip(realworld: Path) -> None:
    """At least the measured share of the corpus dashboards round-trips exactly; the rest for known reasons."""
    results = [round_trip(file) for file in _files(realworld / "dashboards")]
    print("dashboards:", _report(results))
    exact = sum(r.exact for r in results)
    assert exact >= DASHBOARDS_EXACT_AT_LEAST, _report(results)
    not_exact = [(r.file, reasons(r)) for r in results if not r.exact]
    assert len(not_exact) <= len(results) - DASHBOARDS_EXACT_AT_LEAST, not_exact
