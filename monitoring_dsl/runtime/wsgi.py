"""WSGI middleware (Flask, any WSGI app): request metrics by route template, and `/metrics`.

    instrument_flask(app, instruments)                                # Flask: wraps app.wsgi_app
    app = WSGIMiddleware(app, instruments, endpoint=my_route_of)      # any WSGI app

For Flask the endpoint label is the matched `url_rule.rule` (`/orders/<int:order_id>`); for other apps pass
`endpoint=`, a function from the WSGI environ to a template or None. Requests no route matched are counted
under "unmatched". The request size is the Content-Length header (0 when the client sent none).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from monitoring_dsl.runtime import _client
from monitoring_dsl.runtime.collectors import Instruments
from monitoring_dsl.runtime.http import HttpMetrics, MetricRef, logger

Environ = dict[str, Any]
StartResponse = Callable[..., Callable[[bytes], object]]
WSGIApp = Callable[[Environ, StartResponse], Iterable[bytes]]
EndpointOf = Callable[[Environ], "str | None"]


ENDPOINT_KEY = "monitoring_dsl.endpoint"  # where instrument_flask leaves the matched rule in the environ


def flask_endpoint(app: Any) -> EndpointOf:
    """A function giving the Flask (werkzeug) URL rule of a request: the one Flask matched (left in the environ
    by instrument_flask's hook), else a match of the app's URL map; None when no rule matches."""
    url_map = app.url_map

    def endpoint_of(environ: Environ) -> str | None:
        rule = environ.get(ENDPOINT_KEY)
        if rule is not None:
            return str(rule)
        try:
            matched, _arguments = url_map.bind_to_environ(environ).match(return_rule=True)
        except Exception:  # NotFound, MethodNotAllowed, RequestRedirect: no rule serves it as asked
            return None
        return str(matched.rule)

    return endpoint_of


class WSGIMiddleware:
    """Counts and times every request of a WSGI app, and serves the registry at `metrics_path`.

    Duration runs until the server closes the response iterable, so streamed bodies are timed whole.
    A failure inside recording is logged once and swallowed; the app's own exceptions propagate and are
    counted as status 500 when no response had started.
    """

    def __init__(
        self,
        app: WSGIApp,
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
            who="WSGIMiddleware",
        )
        self._endpoint_failed = False

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == self.metrics_path:
            body, content_type = _client.exposition_for(self.instruments.registry, environ.get("HTTP_ACCEPT", ""))
            start_response("200 OK", [("Content-Type", content_type), ("Content-Length", str(len(body)))])
            return [body]
        start = time.perf_counter()
        response = _Response(self, environ, start)

        def watching_start_response(status: str, headers: Any, exc_info: Any = None) -> Callable[[bytes], object]:
            response.status = _status_code(status)
            write = start_response(status, headers, exc_info) if exc_info else start_response(status, headers)

            def counting_write(data: bytes) -> object:
                response.sent += len(data)
                return write(data)

            return counting_write

        try:
            result = self.app(environ, watching_start_response)
        except BaseException:
            response.finish(failed=True)
            raise
        response.result = result
        return response

    def endpoint_of(self, environ: Environ) -> str | None:
        if self.endpoint is None:
            return None
        try:
            return self.endpoint(environ)
        except Exception:
            if not self._endpoint_failed:
                self._endpoint_failed = True
                logger.exception("monitoring_dsl: finding the route template failed; counted as unmatched")
            return None


class _Response:
    """The app's response iterable, counting bytes as the server sends them and recording on close()."""

    def __init__(self, middleware: WSGIMiddleware, environ: Environ, start: float):
        self.middleware = middleware
        self.environ = environ
        self.start = start
        self.status: int | None = None
        self.sent = 0
        self.result: Iterable[bytes] = ()
        self.done = False

    def __iter__(self) -> Iterator[bytes]:
        try:
            for chunk in self.result:
                self.sent += len(chunk)
                yield chunk
        except BaseException:
            self.finish(failed=True)
            raise

    def close(self) -> None:
        try:
            close = getattr(self.result, "close", None)
            if close is not None:
                close()
        finally:
            self.finish(failed=False)

    def finish(self, failed: bool) -> None:
        if self.done:
            return
        self.done = True
        seconds = time.perf_counter() - self.start
        status = self.status if self.status is not None else (500 if failed else 200)
        environ = self.environ
        try:
            received = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            received = 0
        self.middleware.metrics.record(
            environ.get("REQUEST_METHOD", ""),
            self.middleware.endpoint_of(environ),
            status,
            seconds,
            received,
            self.sent,
        )


def _status_code(status: str) -> int | None:
    try:
        return int(status[:3])
    except ValueError:
        return None


def instrument_flask(app: Any, instruments: Instruments, **options: Any) -> WSGIMiddleware:
    """Wrap a Flask app's `wsgi_app` in a WSGIMiddleware that labels requests by the URL rule Flask matched."""
    from flask import request  # the app is a Flask app, so Flask is there

    def remember_rule() -> None:
        rule = request.url_rule
        if rule is not None:
            request.environ[ENDPOINT_KEY] = rule.rule

    app.before_request(remember_rule)
    middleware = WSGIMiddleware(app.wsgi_app, instruments, endpoint=flask_endpoint(app), **options)
    app.wsgi_app = middleware
    return middleware
