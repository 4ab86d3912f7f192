"""Messages a user can act on when a spec fails to import, and findings that follow from another."""

from __future__ import annotations

import textwrap
from pathlib import Path

from monitoring_dsl.compiler import compile_specs


def _diagnostics(tmp_path: Path, files: dict[str, str]) -> list[tuple[str, int, str | None]]:
    specs = tmp_path / "specs"
    specs.mkdir()
    for name, source in files.items():
        (specs / name).write_text(textwrap.dedent(source), encoding="utf-8")
    result = compile_specs([specs], tmp_path, emit=False)
    # infos about what a spec lacks (a runbook, a rule test) are not the messages these tests are about
    unrelated = {"A312", "A326", "R411"}
    return [
        (d.code, d.location.line if d.location else 0, d.help) for d in result.diagnostics if d.code not in unrelated
    ]


def test_for_keyword_says_to_write_for_(tmp_path: Path) -> None:
    """`for="2m"` is a Python syntax error whose help names `for_=`."""
    found = _diagnostics(
        tmp_path,
        {"x.py": 'from monitoring_dsl import Alert\na = Alert("Down", "up == 0", for="2m", severity="page")\n'},
    )
    assert [
        ("E001", 2, '`for` is a Python keyword, so it cannot name an argument: write `for_=` (e.g. for_="2m")')
    ] == found


def test_for_keyword_on_a_continuation_line(tmp_path: Path) -> None:
    """The hint also comes when `for=` starts a line of a call spread over several."""
    found = _diagnostics(
        tmp_path,
        {"x.py": 'from monitoring_dsl import Alert\na = Alert("Down", "up == 0",\n          for="2m")\n'},
    )
    assert [("E001", 3)] == [(code, line) for code, line, _help in found]
    assert "write `for_=`" in (found[0][2] or "")


def test_missing_import_from_monitoring_dsl(tmp_path: Path) -> None:
    """A name that monitoring_dsl exports but the spec did not import: the help gives the import line."""
    found = _diagnostics(
        tmp_path, {"x.py": 'from monitoring_dsl import Dashboard\nd = Dashboard("A", panels=[Stat("Up", "min(up)")])\n'}
    )
    assert [("E001", 2, "add `from monitoring_dsl import Stat` at the top of the spec")] == found


def test_missing_import_from_another_spec_module(tmp_path: Path) -> None:
    """A name another (already loaded) spec module defines: the help imports it from that module."""
    found = _diagnostics(
        tmp_path,
        {
            "catalog.py": 'from monitoring_dsl import Counter\nrequests = Counter("http_requests_total", "Requests")\n',
            "z_api.py": 'from monitoring_dsl import Stat\np = Stat("Requests", requests.rate(), unit="reqps")\n',
        },
    )
    assert [("E001", 2, "add `from catalog import requests` at the top of the spec")] == found


def test_gauge_has_no_rate_helper(tmp_path: Path) -> None:
    """`gauge.rate()` says that a gauge has no helpers and how to query it."""
    found = _diagnostics(
        tmp_path,
        {"x.py": 'from monitoring_dsl import Gauge\nq = Gauge("jobs_queued", "Jobs")\nx = q.rate()\n'},
    )
    assert 1 == len(found) and ("E001", 3) == found[0][:2]
    assert "a Gauge has no query helpers" in (found[0][2] or "")


def test_summary_quantile_names_the_series(tmp_path: Path) -> None:
    """`summary.quantile()` points at `_sum`/`_count` and at Histogram."""
    found = _diagnostics(
        tmp_path,
        {"x.py": 'from monitoring_dsl import Summary\ns = Summary("rpc_seconds", "RPC")\nx = s.quantile(0.9)\n'},
    )
    assert ("E001", 3) == found[0][:2]
    assert "declare a Histogram to use .quantile()" in (found[0][2] or "")


def test_invalid_record_name_hides_follow_ons(tmp_path: Path) -> None:
    """An alert using an invalid record name gets no R405 for the pieces the name parses into; R402 remains."""
    found = _diagnostics(
        tmp_path,
        {
            "x.py": """\
            from monitoring_dsl import Alert, Counter, Record
            c = Counter("http_requests_total", "Requests")
            a = Alert("Busy", "job:http-requests:rate5m > 1", for_="5m", severity="warning", summary="s")
            r = Record("job:http-requests:rate5m", "sum by (job) (rate(http_requests_total[5m]))")
            """
        },
    )
    assert ["R402"] == [code for code, _line, _help in found]


def test_missing_import_from_a_spec_module_not_loaded_yet(tmp_path: Path) -> None:
    """The module defining the name is found from its source even when it would be imported later."""
    found = _diagnostics(
        tmp_path,
        {
            "api.py": 'from monitoring_dsl import Stat\np = Stat("Requests", requests.rate(), unit="reqps")\n',
            "zcatalog.py": 'from monitoring_dsl import Counter\nrequests = Counter("http_total", "Requests")\n',
        },
    )
    assert [("E001", 2, "add `from zcatalog import requests` at the top of the spec")] == found
