"""The runtime middleware's overhead per request, against the same app without it, on a trivial endpoint.

Requests are driven in-process (no server, no sockets), so the app and the middleware are all that is timed:
the strictest measure, since a real server's own per-request cost would dilute the ratio. Reports the ratio
(instrumented / bare) for Starlette (ASGI) and Flask (WSGI); it does not assert.

    .venv/bin/python benchmarks/middleware.py [--requests 20000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from monitoring_dsl import Counter, Histogram
from monitoring_dsl.runtime import ASGIMiddleware, Instruments, instrument_flask

CATALOG = [
    Counter("http_requests_total", "Requests", labels=["method", "endpoint", "status"]),
    Histogram("http_request_duration_seconds", "Duration", labels=["method", "endpoint"]),
    Histogram("http_request_size_bytes", "Request size", labels=["endpoint"], buckets=[100, 1000, 10000]),
    Histogram("http_response_size_bytes", "Response size", labels=["endpoint"], buckets=[100, 1000, 10000]),
    Counter("http_errors_total", "Errors", labels=["endpoint", "status"]),
]


def starlette_app(instrumented: bool) -> Any:
    async def hello(request: Any) -> PlainTextResponse:
        return PlainTextResponse("hello")

    app = Starlette(routes=[Route("/items/{item_id}", hello)])
    if instrumented:
        app.add_middleware(ASGIMiddleware, instruments=Instruments(CATALOG, CollectorRegistry()))
    return app


def flask_app(instrumented: bool) -> Any:
    from flask import Flask

    app = Flask("bench")

    @app.get("/items/<item_id>")
    def hello(item_id: str) -> str:
        return "hello"

    if instrumented:
        instrument_flask(app, Instruments(CATALOG, CollectorRegistry()))
    return app


def time_asgi(app: Any, count: int) -> float:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/items/42",
        "raw_path": b"/items/42",
        "root_path": "",
        "query_string": b"",
        "headers": [],
        "server": ("127.0.0.1", 8000),
        "client": ("127.0.0.1", 5000),
    }

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        return None

    async def run() -> float:
        start = time.perf_counter()
        for _ in range(count):
            await app(dict(scope), receive, send)
        return time.perf_counter() - start

    return asyncio.run(run())


def time_wsgi(app: Any, count: int) -> float:
    from werkzeug.test import EnvironBuilder

    environ = EnvironBuilder(path="/items/42", method="GET").get_environ()

    def start_response(status: str, headers: Any, exc_info: Any = None) -> Callable[[bytes], None]:
        return lambda data: None

    start = time.perf_counter()
    for _ in range(count):
        result = app(dict(environ), start_response)
        for _chunk in result:
            pass
        close = getattr(result, "close", None)
        if close is not None:
            close()
    return time.perf_counter() - start


def time_http(serve: Callable[[Any], Any]) -> Callable[[Any, int], float]:
    """A timer sending `count` keep-alive GETs to the app served by `serve` on 127.0.0.1."""
    import http.client

    def timer(app: Any, count: int) -> float:
        with serve(app) as url:
            host, port = url.removeprefix("http://").split(":")
            connection = http.client.HTTPConnection(host, int(port), timeout=10)
            start = time.perf_counter()
            for _ in range(count):
                connection.request("GET", "/items/42")
                connection.getresponse().read()
            elapsed = time.perf_counter() - start
            connection.close()
        return elapsed

    return timer


def measure(
    name: str, make: Callable[[bool], Any], timer: Callable[[Any, int], float], count: int, repeat: int
) -> tuple[float, float]:
    """(bare, instrumented) microseconds per request, best of `repeat` interleaved runs; prints a line."""
    bare, instrumented = make(False), make(True)
    timer(bare, count // 10)  # warm up both
    timer(instrumented, count // 10)
    bare_times, instrumented_times = [], []
    for _ in range(repeat):  # interleaved, so drifts in machine load hit both alike
        bare_times.append(timer(bare, count))
        instrumented_times.append(timer(instrumented, count))
    bare_us = min(bare_times) / count * 1e6
    instrumented_us = min(instrumented_times) / count * 1e6
    ratio = instrumented_us / bare_us
    print(
        f"{name:<10} bare {bare_us:7.1f} us/request   instrumented {instrumented_us:7.1f} us/request   "
        f"overhead {instrumented_us - bare_us:6.1f} us = {100 * (ratio - 1):5.1f}%   (ratio {ratio:.3f})"
    )
    return bare_us, instrumented_us


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--http-requests", type=int, default=2000, help="per run over HTTP; 0 skips HTTP")
    args = parser.parse_args()
    print(f"in-process: {args.requests} requests per run, best of {args.repeat}")
    in_process = {
        "starlette": measure("starlette", starlette_app, time_asgi, args.requests, args.repeat),
        "flask": measure("flask", flask_app, time_wsgi, args.requests, args.repeat),
    }
    ratios = [instrumented / bare for bare, instrumented in in_process.values()]
    print(f"in-process median ratio {statistics.median(ratios):.3f}")
    if not args.http_requests:
        return
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from tests.support.servers import serve_asgi, serve_wsgi

    print(f"over HTTP on 127.0.0.1 (uvicorn, werkzeug; keep-alive): {args.http_requests} requests per run")
    over_http = {
        "starlette": measure("starlette", starlette_app, time_http(serve_asgi), args.http_requests, args.repeat),
        "flask": measure("flask", flask_app, time_http(serve_wsgi), args.http_requests, args.repeat),
    }
    # On a busy machine the HTTP difference drowns in noise; the in-process overhead (the same code) over the
    # bare HTTP time is the steadier estimate of what a served request pays.
    for name, (bare, instrumented) in in_process.items():
        http_bare = over_http[name][0]
        share = (instrumented - bare) / http_bare
        print(
            f"{name:<10} estimated overhead per served request: {instrumented - bare:.1f} us of {http_bare:.1f} us "
            f"= {100 * share:.1f}% (ratio {1 + share:.3f})"
        )


if __name__ == "__main__":
    main()
