"""End to end: a demo service instrumented from specs/catalog.py, scraped by a real prometheus on 127.0.0.1,
with the generated rules loaded. Asserted through Prometheus's HTTP API, and with `monitoring-dsl verify`."""

from __future__ import annotations

import json
import re
import shutil
import threading
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import attrs
import pytest

from monitoring_dsl.compiler import compile_specs
from monitoring_dsl.model.exposition import exposed_series, series_labels
from monitoring_dsl.model.metrics import Metric
from monitoring_dsl.verify import FAILING, OK, Options, PrometheusAPI, verify
from tests.conftest import REPO, require_binary, run_cli
from tests.support.demo import build_app
from tests.support.prometheus import get_json, run_prometheus, scrape_config
from tests.support.servers import request, serve_asgi

pytestmark = pytest.mark.e2e

# A test-only spec: the error-rate alert with a window and `for` short enough to fire within seconds.
E2E_ALERTS = """\
from catalog import errors, requests

from monitoring_dsl import Alert, RuleGroup

e2e = RuleGroup("e2e", [
    Alert("E2EHighErrorRate", f"{errors.rate(window='10s')} / {requests.rate(window='10s')} > 0.01",
          for_="3s", severity="warning", summary="API error rate above 1% (end-to-end test)"),
], interval="1s")
"""

MAX_REQUESTS = 3000  # traffic is bounded whatever happens


@attrs.frozen
class Stack:
    prometheus: str
    service: str
    root: Path  # a project directory holding a copy of specs/ plus the test-only alert spec
    metrics: list[Metric]


def _traffic(url: str, stop: threading.Event) -> None:
    """Rounds of requests over every route, some failing (500) and some rejected (422), until stopped."""
    sent = 0
    while not stop.is_set() and sent < MAX_REQUESTS:
        request(f"{url}/orders")
        request(f"{url}/orders/7")
        request(f"{url}/orders", data=json.dumps({"quantity": 2}).encode(), method="POST")
        request(f"{url}/orders", data=json.dumps({"quantity": -1}).encode(), method="POST")
        request(f"{url}/orders/7/pay", data=b"", method="POST")
        request(f"{url}/orders/7/fail")
        request(f"{url}/no/such/route")
        sent += 7
        stop.wait(0.1)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    binary = require_binary("prometheus")
    root = tmp_path_factory.mktemp("e2e")
    shutil.copytree(REPO / "specs", root / "specs", ignore=shutil.ignore_patterns("__pycache__"))
    (root / "specs" / "e2e_alerts.py").write_text(E2E_ALERTS, encoding="utf-8")
    result = compile_specs([root / "specs"], root)
    assert result.artifacts is not None and result.project is not None, [d.message for d in result.diagnostics]
    rules = []
    for path, data in result.artifacts.items():
        if path.startswith("prometheus/rules/"):
            target = root / "build" / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            rules.append(str(target))
    assert len(rules) >= 3
    app, _instruments = build_app()
    stop = threading.Event()
    with ExitStack() as stack:
        service = stack.enter_context(serve_asgi(app, quiet=True))
        config = scrape_config(service.removeprefix("http://"), rules)
        prometheus = stack.enter_context(run_prometheus(binary, root / "prometheus", config))
        traffic = threading.Thread(target=_traffic, args=(service, stop), daemon=True)
        traffic.start()
        stack.callback(traffic.join, 10)
        stack.callback(stop.set)
        yield Stack(prometheus, service, root, result.project.metrics)


def _wait_for(what: str, condition: object, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(0.2)


def _query(stack: Stack, expr: str) -> list[dict[str, object]]:
    data = get_json(f"{stack.prometheus}/api/v1/query?" + urllib.parse.urlencode({"query": expr}))
    assert "success" == data["status"], data
    return list(data["data"]["result"])


def _wait_for_scrapes(stack: Stack, count: int = 4) -> None:
    """Rates need two samples: wait until the demo has been scraped `count` times (Prometheus's first scrape
    comes a few seconds after start)."""

    def scraped() -> bool:
        result = _query(stack, 'count_over_time(up{job="api"}[5m])')
        return bool(result) and float(result[0]["value"][1]) >= count  # type: ignore[index]

    _wait_for(f"{count} scrapes of the demo", scraped)


def test_target_is_up(stack: Stack) -> None:
    """Prometheus scrapes the demo service successfully."""

    def up() -> bool:
        targets = get_json(f"{stack.prometheus}/api/v1/targets")["data"]["activeTargets"]
        return any(t["labels"]["job"] == "api" and t["health"] == "up" for t in targets)

    _wait_for("the demo target to be up", up)


def test_every_declared_series_appears_with_its_declared_labels(stack: Stack) -> None:
    """Every series of every catalog metric is scraped, carrying exactly the declared labels."""
    expected = {
        series: series_labels(metric, series) | {"job", "instance"}
        for metric in stack.metrics
        for series in exposed_series(metric)
    }

    def all_present() -> bool:
        return all(_query(stack, f'count({name}{{job="api"}})') for name in expected)

    _wait_for("every declared series", all_present)
    for name, labels in sorted(expected.items()):
        found = {frozenset(set(s["metric"]) - {"__name__"}) for s in _query(stack, f'{name}{{job="api"}}')}  # type: ignore[call-overload]
        assert {frozenset(labels)} == found, name


def test_error_rate_alert_goes_pending_then_firing(stack: Stack) -> None:
    """The generated error-rate alert is pending first and firing after its `for`."""

    def firing() -> bool:
        return bool(_query(stack, 'ALERTS{alertname="E2EHighErrorRate", alertstate="firing"}'))

    _wait_for("E2EHighErrorRate to fire", firing, timeout=30)
    firsts = {}
    for state in ("pending", "firing"):
        expr = f'ALERTS{{alertname="E2EHighErrorRate", alertstate="{state}"}}'
        end = time.time()
        data = get_json(
            f"{stack.prometheus}/api/v1/query_range?"
            + urllib.parse.urlencode({"query": expr, "start": end - 120, "end": end, "step": "1"})
        )
        values = [float(t) for series in data["data"]["result"] for t, _ in series["values"]]
        assert values, f"no {state} samples"
        firsts[state] = min(values)
    assert firsts["pending"] < firsts["firing"]


def test_every_dashboard_query_runs_with_data(stack: Stack) -> None:
    """verify: every panel, variable and rule query of specs/ executes; panels have data; the catalog and
    the service agree on the series."""
    _wait_for_scrapes(stack)
    project = compile_specs([REPO / "specs"], REPO, emit=False).project
    assert project is not None
    report = verify(project, PrometheusAPI(stack.prometheus, timeout=10), Options(scrape_interval=1, job="api"))
    panels = [o for o in report.outcomes if o.kind == "panel"]
    assert len(panels) >= 40
    assert [] == [f"{o.title}: {o.detail}" for o in report.outcomes if o.status == FAILING]
    assert [] == [f"{o.title}: {o.detail} [{o.sent}]" for o in report.outcomes if o.status != OK]
    assert ((), ()) == (report.unexposed, report.undeclared)


def test_verify_cli_passes_on_the_seed_specs(stack: Stack) -> None:
    """`monitoring-dsl verify` over this repository's specs exits 0 and reports each query at its line."""
    _wait_for_scrapes(stack)
    run = run_cli("verify", "--prometheus", stack.prometheus, "--scrape-interval", "1s", "--job", "api", cwd=REPO)
    assert 0 == run.code, run.stdout + run.stderr
    line = r'^specs/api\.py:\d+: ok      panel "Requests by endpoint" of api-performance: \d+ series$'
    assert re.search(line, run.stdout, re.MULTILINE), run.stdout


CACHE_SPEC = """\
from monitoring_dsl import Counter, Dashboard, TimeSeries

cache_hits = Counter("cache_hits_total", "Cache lookups that hit", labels=["cache"])

cache = Dashboard("Cache", uid="cache", panels=[
    TimeSeries("Hit rate", cache_hits.rate(by=["cache"]), unit="ops"),
    TimeSeries("Unknown endpoint", 'sum(rate(http_requests_total{endpoint="/nope"}[$__rate_interval]))',
               unit="reqps"),
    TimeSeries("Broken", 'sum(rate(http_requests_total[5m])', unit="reqps"),
])
"""


def test_verify_fails_when_a_panel_names_a_metric_the_demo_does_not_expose(stack: Stack) -> None:
    """A dashboard query on a metric the service does not expose makes verify exit 1, saying why."""
    _wait_for_scrapes(stack)
    (stack.root / "specs" / "cache.py").write_text(CACHE_SPEC, encoding="utf-8")
    common = ("verify", "--prometheus", stack.prometheus, "--scrape-interval", "1s", "--job", "api", "--quiet")
    try:
        run = run_cli(*common, cwd=stack.root)
        allowed = run_cli(*common, "--allow", "cache", cwd=stack.root)
    finally:
        (stack.root / "specs" / "cache.py").unlink()
    assert 1 == run.code, run.stdout + run.stderr
    assert 'specs/cache.py:6: empty   panel "Hit rate" of cache: no series named `cache_hits_total`' in run.stdout
    assert 'label `endpoint` of `http_requests_total` has no value matching ="/nope"' in run.stdout
    assert 'specs/cache.py:9: failing panel "Broken" of cache: bad_data:' in run.stdout
    assert "declared but not exposed (1): cache_hits_total" in run.stdout
    assert 0 == allowed.code, allowed.stdout + allowed.stderr
    assert "(allowed)" in allowed.stdout
