"""monitoring_dsl.runtime: collectors from the catalog, label checks at start-up, middleware on real servers."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from typing import Any

import pytest
from prometheus_client import CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families

from monitoring_dsl import Counter, Gauge, Histogram, Summary
from monitoring_dsl.runtime import (
    ASGIMiddleware,
    BusinessMetrics,
    CatalogError,
    DatabaseMetrics,
    Instruments,
    WSGIMiddleware,
    instrument_flask,
)
from monitoring_dsl.runtime.sqlalchemy_hook import QueryListener, operation_of
from tests.support.servers import request, serve_asgi, serve_wsgi

REQUESTS = Counter("http_requests_total", "Requests", labels=["method", "endpoint", "status"])
LATENCY = Histogram("http_request_duration_seconds", "Latency", labels=["endpoint"], buckets=[0.1, 1], unit="seconds")
REQUEST_SIZE = Histogram("http_request_size_bytes", "In", labels=["endpoint"], buckets=[100, 1000])
RESPONSE_SIZE = Histogram("http_response_size_bytes", "Out", labels=["endpoint"], buckets=[100, 1000])
ERRORS = Counter("http_errors_total", "Errors", labels=["endpoint", "status"])
HTTP = [REQUESTS, LATENCY, REQUEST_SIZE, RESPONSE_SIZE, ERRORS]


def sample(registry: CollectorRegistry, name: str, **labels: str) -> float | None:
    value = registry.get_sample_value(name, labels)
    return value


def families(text: str) -> dict[str, Any]:
    return {family.name: family for family in text_string_to_metric_families(text)}


# --- collectors --------------------------------------------------------------------------------------------


def test_collectors_carry_catalog_name_help_labels_and_buckets() -> None:
    """Each collector exposes the declared name, help, label names and bucket bounds."""
    registry = CollectorRegistry()
    instruments = Instruments(HTTP, registry)
    instruments["http_request_duration_seconds"].labels(endpoint="/a").observe(0.5)
    instruments[REQUESTS].labels(method="GET", endpoint="/a", status="200").inc()
    found = {metric.name: metric for metric in registry.collect()}
    assert "Latency" == found["http_request_duration_seconds"].documentation
    buckets = [s.labels["le"] for s in found["http_request_duration_seconds"].samples if s.name.endswith("_bucket")]
    assert ["0.1", "1.0", "+Inf"] == buckets
    assert 1.0 == sample(registry, "http_requests_total", method="GET", endpoint="/a", status="200")
    assert "Requests" == found["http_requests"].documentation


def test_undeclared_label_fails_at_use_with_did_you_mean() -> None:
    """Asking for a label the catalog does not declare fails when the code says so, naming the metric."""
    instruments = Instruments(HTTP, CollectorRegistry())
    with pytest.raises(CatalogError, match=r"'http_requests_total' has no label 'endpiont'.*did you mean 'endpoint'"):
        instruments.use(REQUESTS, "method", "endpiont")


def test_unknown_metric_suggests_the_nearest() -> None:
    """An unknown metric name gets the nearest catalog name."""
    instruments = Instruments(HTTP, CollectorRegistry())
    with pytest.raises(CatalogError, match="did you mean 'http_requests_total'"):
        instruments["http_request_total"]


def test_labels_call_with_wrong_names_fails() -> None:
    """labels() with an undeclared or missing label raises CatalogError, not prometheus_client's ValueError."""
    instruments = Instruments(HTTP, CollectorRegistry())
    with pytest.raises(CatalogError, match="declares label"):
        instruments[REQUESTS].labels(method="GET", endpoint="/")


def test_middleware_role_with_label_it_cannot_fill_fails_at_start_up() -> None:
    """A request metric declaring a label the middleware does not know stops construction, not a request."""
    odd = Counter("http_requests_total", "Requests", labels=["method", "region"])
    instruments = Instruments([odd], CollectorRegistry())
    with pytest.raises(CatalogError, match=r"declares label\(s\) region .* cannot fill"):
        ASGIMiddleware(lambda *a: None, instruments)  # type: ignore[arg-type,return-value]
    ASGIMiddleware(lambda *a: None, instruments, constant_labels={"region": "eu"})  # type: ignore[arg-type,return-value]


def test_summary_quantiles_and_counter_without_total_are_refused() -> None:
    """What prometheus_client cannot expose as declared is refused at start-up with the reason."""
    with pytest.raises(CatalogError, match="exposes only _sum and _count"):
        Instruments([Summary("payload_bytes", "Payload", quantiles=[0.5])], CollectorRegistry())
    with pytest.raises(CatalogError, match="would expose it as 'jobs_done_total'"):
        Instruments([Counter("jobs_done", "Jobs")], CollectorRegistry())


def test_registering_the_catalog_twice_in_one_registry_is_a_catalog_error() -> None:
    """A second Instruments over the same registry says what to do instead of prometheus_client's ValueError."""
    registry = CollectorRegistry()
    Instruments(HTTP, registry)
    with pytest.raises(CatalogError, match="Build Instruments once per registry"):
        Instruments(HTTP, registry)


def test_import_monitoring_dsl_does_not_import_prometheus_client() -> None:
    """The vocabulary works without the instrumentation extra."""
    code = "import sys, monitoring_dsl, monitoring_dsl.compiler; print('prometheus_client' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "False" == out.strip()


# --- ASGI on Starlette + uvicorn ---------------------------------------------------------------------------


def starlette_app(instruments: Instruments) -> Any:
    from starlette.applications import Starlette
    from starlette.responses import PlainTextResponse
    from starlette.routing import Mount, Route

    async def item(request: Any) -> PlainTextResponse:
        return PlainTextResponse("x" * 150)

    async def crash(request: Any) -> PlainTextResponse:
        raise RuntimeError("app failure")

    async def echo(request: Any) -> PlainTextResponse:
        return PlainTextResponse(await request.body())

    app = Starlette(
        routes=[
            Route("/items/{item_id}", item),
            Route("/crash", crash),
            Route("/echo", echo, methods=["POST"]),
            Mount("/v2", routes=[Route("/things/{thing_id}", item)]),
        ]
    )
    app.add_middleware(ASGIMiddleware, instruments=instruments)
    return app


def test_asgi_labels_route_templates_counts_errors_and_serves_metrics() -> None:
    """Starlette on uvicorn: templates not paths, mounts joined, 404s collapsed, exceptions counted as 500."""
    registry = CollectorRegistry()
    instruments = Instruments(HTTP, registry)
    with serve_asgi(starlette_app(instruments)) as url:
        for item_id in range(3):
            assert 200 == request(f"{url}/items/{item_id}")[0]
        assert 200 == request(f"{url}/v2/things/7")[0]
        assert 404 == request(f"{url}/nowhere/1")[0]
        assert 404 == request(f"{url}/nowhere/2")[0]
        assert 500 == request(f"{url}/crash")[0]
        assert (200, b"hello") == request(f"{url}/echo", data=b"hello", method="POST")
        assert (200, b"chunked") == request(f"{url}/echo", data=iter([b"chun", b"ked"]), method="POST")
        status, body = request(f"{url}/metrics")
    assert 200 == status
    exposed = families(body.decode())
    assert "http_requests" in exposed
    assert 3.0 == sample(registry, "http_requests_total", method="GET", endpoint="/items/{item_id}", status="200")
    assert 1.0 == sample(registry, "http_requests_total", method="GET", endpoint="/v2/things/{thing_id}", status="200")
    assert 2.0 == sample(registry, "http_requests_total", method="GET", endpoint="unmatched", status="404")
    assert 1.0 == sample(registry, "http_requests_total", method="GET", endpoint="/crash", status="500")
    assert 1.0 == sample(registry, "http_errors_total", endpoint="/crash", status="500")
    assert sample(registry, "http_errors_total", endpoint="/items/{item_id}", status="200") is None
    assert 450.0 == sample(registry, "http_response_size_bytes_sum", endpoint="/items/{item_id}")
    assert 5.0 + 7.0 == sample(registry, "http_request_size_bytes_sum", endpoint="/echo")
    assert 3.0 == sample(registry, "http_request_duration_seconds_count", endpoint="/items/{item_id}")
    assert sample(registry, "http_requests_total", method="GET", endpoint="/metrics", status="200") is None


def test_fastapi_routes_and_routers_are_labelled_by_template() -> None:
    """FastAPI on uvicorn: path operations and included routers give their templates; 422s are counted."""
    from fastapi import APIRouter, FastAPI

    registry = CollectorRegistry()
    instruments = Instruments(HTTP, registry)
    app = FastAPI()
    router = APIRouter(prefix="/v1")

    @app.get("/users/{user_id}")
    async def user(user_id: int) -> dict[str, int]:
        return {"id": user_id}

    @router.get("/teams/{team_id}/members")
    async def members(team_id: str) -> list[str]:
        return []

    app.include_router(router)
    app.add_middleware(ASGIMiddleware, instruments=instruments)
    with serve_asgi(app) as url:
        assert 200 == request(f"{url}/users/1")[0]
        assert 422 == request(f"{url}/users/not-a-number")[0]
        assert 200 == request(f"{url}/v1/teams/red/members")[0]
    assert 1.0 == sample(registry, "http_requests_total", method="GET", endpoint="/users/{user_id}", status="200")
    assert 1.0 == sample(registry, "http_errors_total", endpoint="/users/{user_id}", status="422")
    assert 1.0 == sample(
        registry, "http_requests_total", method="GET", endpoint="/v1/teams/{team_id}/members", status="200"
    )


def test_asgi_recording_failure_never_breaks_a_request(caplog: pytest.LogCaptureFixture) -> None:
    """A collector that raises is logged once; every request still gets its response."""
    registry = CollectorRegistry()
    instruments = Instruments(HTTP, registry)

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("collector broken")

    instruments[REQUESTS].collector.labels = broken
    with caplog.at_level(logging.ERROR, logger="monitoring_dsl.runtime"), serve_asgi(starlette_app(instruments)) as url:
        statuses = [request(f"{url}/items/{i}")[0] for i in range(3)]
    assert [200, 200, 200] == statuses
    assert 1 == sum("recording HTTP metrics failed" in record.getMessage() for record in caplog.records)


def test_asgi_custom_endpoint_hook() -> None:
    """A plain ASGI app labels requests with the hook's template; None means unmatched."""
    registry = CollectorRegistry()
    instruments = Instruments([REQUESTS], registry)

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    def endpoint(scope: Any) -> str | None:
        return "/users/:id" if scope["path"].startswith("/users/") else None

    with serve_asgi(ASGIMiddleware(app, instruments, endpoint=endpoint)) as url:
        request(f"{url}/users/42")
        request(f"{url}/other")
    assert 1.0 == sample(registry, "http_requests_total", method="GET", endpoint="/users/:id", status="204")
    assert 1.0 == sample(registry, "http_requests_total", method="GET", endpoint="unmatched", status="204")


# --- WSGI on Flask + werkzeug ------------------------------------------------------------------------------


def flask_app(instruments: Instruments) -> Any:
    from flask import Flask

    app = Flask("demo")

    @app.get("/orders/<int:order_id>")
    def order(order_id: int) -> str:
        return json.dumps({"id": order_id})

    @app.get("/crash")
    def crash() -> str:
        raise RuntimeError("app failure")

    instrument_flask(app, instruments)
    return app


def test_wsgi_flask_labels_url_rules_and_counts_errors() -> None:
    """Flask on werkzeug's server: URL rules as endpoints, 404s collapsed, 500s counted, /metrics served."""
    registry = CollectorRegistry()
    instruments = Instruments(HTTP, registry)
    with serve_wsgi(flask_app(instruments)) as url:
        assert 200 == request(f"{url}/orders/1")[0]
        assert 200 == request(f"{url}/orders/2")[0]
        assert 404 == request(f"{url}/orders/abc")[0]
        assert 500 == request(f"{url}/crash")[0]
        status, body = request(f"{url}/metrics")
    assert 200 == status and b"http_requests_total" in body
    assert 2.0 == sample(registry, "http_requests_total", method="GET", endpoint="/orders/<int:order_id>", status="200")
    assert 1.0 == sample(registry, "http_requests_total", method="GET", endpoint="unmatched", status="404")
    assert 1.0 == sample(registry, "http_errors_total", endpoint="/crash", status="500")
    assert 2.0 == sample(registry, "http_request_duration_seconds_count", endpoint="/orders/<int:order_id>")


def test_wsgi_app_exception_passes_through_and_is_counted() -> None:
    """An exception raised by the app propagates out of the middleware and counts as a 500."""
    registry = CollectorRegistry()
    instruments = Instruments([REQUESTS, ERRORS], registry)

    def app(environ: Any, start_response: Any) -> Any:
        raise KeyError("boom")

    middleware = WSGIMiddleware(app, instruments, endpoint=lambda environ: "/x")
    with pytest.raises(KeyError):
        middleware({"PATH_INFO": "/x", "REQUEST_METHOD": "BREW"}, lambda *a: None)
    assert 1.0 == sample(registry, "http_requests_total", method="other", endpoint="/x", status="500")


# --- helpers -------------------------------------------------------------------------------------------------

DB = [
    Counter("db_queries_total", "Queries", labels=["operation"]),
    Histogram("db_query_duration_seconds", "Query time", labels=["operation"], buckets=[0.01, 1]),
    Gauge("db_connection_pool_size", "Pool size"),
    Gauge("db_connections_in_use", "In use"),
    Histogram("db_connection_wait_seconds", "Wait", buckets=[0.01]),
    Counter("db_transactions_total", "Transactions", labels=["outcome"]),
]
BUSINESS = [
    Counter("validation_failures_total", "Validation", labels=["entity", "field"]),
    Counter("business_rule_violations_total", "Violations", labels=["rule_type"]),
    Counter("workflow_transitions_total", "Transitions", labels=["workflow", "from_state", "to_state"]),
    Counter("business_operations_total", "Operations", labels=["operation", "outcome"]),
]


def test_database_helpers_time_queries_by_operation() -> None:
    """Context manager and decorator count and time queries; transactions count commits and rollbacks."""
    registry = CollectorRegistry()
    db = DatabaseMetrics(Instruments(DB, registry))

    @db.timed("insert")
    def save() -> str:
        return "saved"

    with db.query("select"):
        pass
    assert "saved" == save()
    with pytest.raises(ZeroDivisionError), db.transaction():
        1 / 0  # noqa: B018
    with db.transaction(), db.checkout(lambda: "connection") as connection:
        assert ("connection", 1.0) == (connection, sample(registry, "db_connections_in_use"))
    db.set_pool(size=20)
    assert 1.0 == sample(registry, "db_queries_total", operation="select")
    assert 1.0 == sample(registry, "db_query_duration_seconds_count", operation="insert")
    assert 1.0 == sample(registry, "db_transactions_total", outcome="rollback")
    assert 1.0 == sample(registry, "db_transactions_total", outcome="commit")
    assert 0.0 == sample(registry, "db_connections_in_use")
    assert 20.0 == sample(registry, "db_connection_pool_size")
    assert 1.0 == sample(registry, "db_connection_wait_seconds_count")


def test_database_helper_checks_operation_label_at_start_up() -> None:
    """A query counter without the `operation` label is refused when the helper is built."""
    wrong = Counter("db_queries_total", "Queries", labels=["op"])
    with pytest.raises(CatalogError, match="no label 'operation'"):
        DatabaseMetrics(Instruments([wrong], CollectorRegistry()))


def test_business_helpers_count_events() -> None:
    """Validation failures, rule violations, transitions and operation outcomes land on their labels."""
    registry = CollectorRegistry()
    business = BusinessMetrics(Instruments(BUSINESS, registry))
    business.validation_failed("order", "quantity")
    business.rule_violated("credit_limit")
    business.transition("order", "new", "paid")
    with business.operation("checkout"):
        pass
    with pytest.raises(ValueError), business.operation("checkout"):
        raise ValueError
    assert 1.0 == sample(registry, "validation_failures_total", entity="order", field="quantity")
    assert 1.0 == sample(registry, "business_rule_violations_total", rule_type="credit_limit")
    assert 1.0 == sample(registry, "workflow_transitions_total", workflow="order", from_state="new", to_state="paid")
    assert 1.0 == sample(registry, "business_operations_total", operation="checkout", outcome="success")
    assert 1.0 == sample(registry, "business_operations_total", operation="checkout", outcome="failure")


def test_sqlalchemy_listener_times_statements_by_operation() -> None:
    """The cursor-execute handlers classify statements and time them (called as SQLAlchemy calls them)."""
    registry = CollectorRegistry()
    listener = QueryListener(DatabaseMetrics(Instruments(DB, registry)))

    class Connection:
        info: dict[str, Any] = {}

    conn = Connection()
    for statement in ("SELECT 1", "  insert into t values (1)", "/* hint */ UPDATE t SET a=1", "VACUUM"):
        listener.before(conn, None, statement, (), None, False)
        listener.after(conn, None, statement, (), None, False)
    assert 1.0 == sample(registry, "db_queries_total", operation="select")
    assert 1.0 == sample(registry, "db_queries_total", operation="update")
    assert 1.0 == sample(registry, "db_queries_total", operation="other")
    assert "delete" == operation_of("-- why\nDELETE FROM t")


def test_wsgi_failing_endpoint_hook_never_breaks_a_request(caplog: pytest.LogCaptureFixture) -> None:
    """An endpoint hook that raises is logged once; requests succeed and are counted as unmatched."""
    registry = CollectorRegistry()
    instruments = Instruments([REQUESTS], registry)

    def app(environ: Any, start_response: Any) -> Any:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]

    def hook(environ: Any) -> str:
        raise LookupError("router exploded")

    with (
        caplog.at_level(logging.ERROR, logger="monitoring_dsl.runtime"),
        serve_wsgi(WSGIMiddleware(app, instruments, endpoint=hook)) as url,
    ):
        statuses = [request(f"{url}/x/{i}")[0] for i in range(3)]
    assert [200, 200, 200] == statuses
    assert 3.0 == sample(registry, "http_requests_total", method="GET", endpoint="unmatched", status="200")
    assert 1 == sum("finding the route template failed" in record.getMessage() for record in caplog.records)
