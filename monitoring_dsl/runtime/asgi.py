"""ASGI middleware (Starlette, FastAPI, any ASGI app): request metrics by route template, and `/metrics`.

    app.add_middleware(ASGIMiddleware, instruments=instruments)      # Starlette / FastAPI
    app = ASGIMiddleware(app, instruments, endpoint=my_route_of)    # any ASGI app

The endpoint label is the route template (`/orders/{order_id}`), found from the Starlette or FastAPI app that
served the request (`scope["app"]`, Mounts included); requests no route matched are counted under "unmatched".
For other frameworks pass `endpoint=`, a function from the request's scope to a template or None.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from typing import Any

from monitoring_dsl.runtime import _client
from monitoring_dsl.runtime.collectors import Instruments
from monitoring_dsl.runtime.http import HttpMetrics, MetricRef, logger

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
EndpointOf = Callable[[Scope], "str | None"]

_FULL, _PARTIAL = "FULL", "PARTIAL"


def _match_routes(routes: Sequence[Any], probe: dict[str, Any], prefix: str = "") -> str | None:
    """The template of the route serving `probe`, walking Starlette routes and Mounts without importing
    Starlette: a full match wins over a partial one (wrong method, still that route)."""
    partial: str | None = None
    for route in routes:
        matches = getattr(route, "matches", None)
        path_format = getattr(route, "path_format", None)
        if matches is None or path_format is None:
            continue
        match, child_scope = matches(probe)
        kind = getattr(match, "name", "")
        if kind not in (_FULL, _PARTIAL):
            continue
        inner = getattr(route, "routes", None)
        if inner and path_format.endswith("/{path}"):  # a Mount: continue inside it
            found = _match_routes(inner, {**probe, **child_scope}, prefix + path_format[: -len("/{path}")])
            if found is not None:
                return found
            continue
        if kind == _FULL:
            return prefix + str(path_format)
        partial = partial or prefix + str(path_format)
    return partial


def starlette_endpoint(scope: Scope, root_path: str) -> str | None:
    """The route template Starlette or FastAPI matched for this request, or None."""
    route = scope.get("route")
    path_format = getattr(route, "path_format", None)
    if path_format is not None and scope.get("root_path", "") == root_path:
        return str(path_format)  # matched at the top level: Starlette recorded the route itself
    routes = getattr(scope.get("app"), "routes", None)
    if not routes:
        return None
    probe = {"type": "http", "path": scope["path"], "root_path": root_path, "method": scope.get("method", "GET")}
    return _match_routes(routes, probe)


class ASGIMiddleware:
    """Counts and times every HTTP request of an ASGI app, and serves the registry at `metrics_path`.

    Roles default to the conventional catalog names (`http_requests_total`, `http_request_duration_seconds`,
    `http_request_size_bytes`, `http_response_size_bytes`, `http_errors_total`); pass a metric to override.
    A failure inside recording is logged once and swallowed; the app's own exceptions propagate and are
    counted as status 500 when no response had started.
    """

    def __init__(
        self,
        app: ASGIApp,
        instruments: Instruments,
        *,
        endpoint: EndpointOf | None = None,
        metrics_path: str | None = "/metrics",
        requests: MetricRef = None,
        duration: MetricRef = None,
        request_size: MetricRef = None,
        response_size: MetricRef = None,
        errors: MetricRef = None,
        constant_labels: dict[str, str] | None = None,
    ):
        self.app = app
        self.instruments = instruments
        self.endpoint = endpoint
        self.metrics_path = metrics_path
        self.metrics = HttpMetrics(
            instruments,
            requests=requests,
            duration=duration,
            request_size=request_size,
            response_size=response_size,
            errors=errors,
            constant_labels=constant_labels,
            who="ASGIMiddleware",
        )
        self._endpoint_failed = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["path"] == self.metrics_path:
            await self._serve_metrics(scope, send)
            return
        start = time.perf_counter()
        root_path = scope.get("root_path", "")
        length, chunked = _body_headers(scope)
        state = _State(length)

        async def counting_receive() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                state.received_body += len(message.get("body", b""))
            return message

        async def watching_send(message: Message) -> None:
            kind = message["type"]
            if kind == "http.response.start":
                state.status = message["status"]
            elif kind == "http.response.body":
                state.sent += len(message.get("body", b""))
            await send(message)

        try:
            # only a chunked body has to be counted as it arrives; otherwise Content-Length says it (or 0)
            await self.app(scope, counting_receive if chunked else receive, watching_send)
        except BaseException:
            self._record(scope, root_path, state, start, failed=True)
            raise
        self._record(scope, root_path, state, start, failed=False)

    def _record(self, scope: Scope, root_path: str, state: _State, start: float, failed: bool) -> None:
        seconds = time.perf_counter() - start
        status = state.status if state.status is not None else (500 if failed else 200)
        received = state.content_length if state.content_length is not None else state.received_body
        self.metrics.record(
            scope.get("method", ""), self._endpoint_of(scope, root_path), status, seconds, received, state.sent
        )

    def _endpoint_of(self, scope: Scope, root_path: str) -> str | None:
        try:
            if self.endpoint is not None:
                return self.endpoint(scope)
            return starlette_endpoint(scope, root_path)
        except Exception:
            if not self._endpoint_failed:
                self._endpoint_failed = True
                logger.exception("monitoring_dsl: finding the route template failed; counted as unmatched")
            return None

    async def _serve_metrics(self, scope: Scope, send: Send) -> None:
        accept = ""
        for name, value in scope.get("headers", ()):
            if name == b"accept":
                accept = value.decode("latin-1")
        body, content_type = _client.exposition_for(self.instruments.registry, accept)
        headers = [(b"content-type", content_type.encode()), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})


class _State:
    __slots__ = ("content_length", "received_body", "sent", "status")

    def __init__(self, content_length: int | None):
        self.content_length = content_length
        self.received_body = 0
        self.sent = 0
        self.status: int | None = None


def _body_headers(scope: Scope) -> tuple[int | None, bool]:
    """The request's Content-Length (None when absent or invalid) and whether its body is chunked."""
    length: int | None = None
    chunked = False
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                length = int(value)
            except ValueError:
                chunked = True  # count what arrives instead
        elif name == b"transfer-encoding":
            chunked = True
    return length, chunked
