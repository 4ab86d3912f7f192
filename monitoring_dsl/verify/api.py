"""A small client of Prometheus's HTTP API over urllib: queries, series, label values. Every call is bounded
by a timeout, given both to the socket and to Prometheus's own query engine."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence
from typing import Any


class QueryFailed(Exception):
    """Prometheus answered, and refused the request (bad query, timeout, ...): `message` says why."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class Unreachable(Exception):
    """Prometheus could not be reached at all."""


class PrometheusAPI:
    """`base_url` is Prometheus's root, e.g. http://127.0.0.1:9090."""

    def __init__(self, base_url: str, timeout: float = 10.0):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    def _get(self, path: str, params: Sequence[tuple[str, str]]) -> Any:
        url = f"{self.base_url}{path}?{urllib.parse.urlencode(list(params))}"
        request = urllib.request.Request(url, headers={"Accept": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                payload = json.loads(response.read())
        except urllib.error.HTTPError as error:
            try:
                payload = json.loads(error.read())
            except (ValueError, OSError):
                raise QueryFailed(f"HTTP {error.code} from {path}") from None
        except (urllib.error.URLError, TimeoutError, OSError) as error:
            reason = getattr(error, "reason", error)
            if isinstance(reason, TimeoutError) or isinstance(error, TimeoutError):
                raise QueryFailed(f"no answer within {self.timeout:g} s") from None
            raise Unreachable(f"cannot reach Prometheus at {self.base_url}: {reason}") from None
        except ValueError:
            raise QueryFailed(f"{path} did not answer with JSON") from None
        if payload.get("status") != "success":
            raise QueryFailed(f"{payload.get('errorType', 'error')}: {payload.get('error', 'unknown error')}")
        return payload.get("data")

    def query(self, expr: str, at: float) -> list[dict[str, Any]]:
        """An instant query; the result as a list of series (a scalar or string becomes one entry)."""
        data = self._get("/api/v1/query", [("query", expr), ("time", f"{at:.3f}"), ("timeout", self._engine())])
        return _as_series(data)

    def query_range(self, expr: str, start: float, end: float, step: float) -> list[dict[str, Any]]:
        params = [
            ("query", expr),
            ("start", f"{start:.3f}"),
            ("end", f"{end:.3f}"),
            ("step", f"{step:g}"),
            ("timeout", self._engine()),
        ]
        return _as_series(self._get("/api/v1/query_range", params))

    def series(self, match: str, start: float, end: float) -> list[dict[str, str]]:
        data = self._get("/api/v1/series", [("match[]", match), ("start", f"{start:.3f}"), ("end", f"{end:.3f}")])
        return list(data or [])

    def label_values(self, label: str, start: float, end: float, match: str | None = None) -> list[str]:
        params = [("start", f"{start:.3f}"), ("end", f"{end:.3f}")]
        if match:
            params.append(("match[]", match))
        return [str(v) for v in self._get(f"/api/v1/label/{urllib.parse.quote(label)}/values", params) or []]

    def label_names(self, start: float, end: float) -> list[str]:
        return [str(v) for v in self._get("/api/v1/labels", [("start", f"{start:.3f}"), ("end", f"{end:.3f}")]) or []]

    def _engine(self) -> str:
        return f"{max(int(self.timeout * 1000) - 500, 500)}ms"


def _as_series(data: Any) -> list[dict[str, Any]]:
    if not isinstance(data, dict):
        return []
    result = data.get("result")
    if data.get("resultType") in ("scalar", "string"):
        return [{"metric": {}, "value": result}]
    return list(result or [])
