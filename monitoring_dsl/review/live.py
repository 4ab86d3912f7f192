"""Live data for `preview --prometheus URL`: each panel query of the built dashboards run as a range query
over the dashboard's default time range, so the static pages draw it (the pages still fetch nothing)."""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from typing import Any

from monitoring_dsl.promql import interpolate
from monitoring_dsl.verify.api import PrometheusAPI, QueryFailed
from monitoring_dsl.verify.run import macros

POINTS = 60  # samples per series: enough for a sparkline
MAX_SERIES = 8  # series drawn per query
Series = list[tuple[float, float]]
Key = tuple[str, int, str]  # dashboard uid, panel id, refId


def _range_seconds(time_from: object) -> int:
    text = str(time_from or "now-6h").removeprefix("now-")
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
    try:
        return int(float(text[:-1]) * units[text[-1]])
    except (KeyError, ValueError, IndexError):
        return 6 * 3600


def _values(board: Mapping[str, Any], range_seconds: int, step: int) -> dict[str, str]:
    """What each variable stands for: its current value, else "all" as a regex."""
    values = dict(macros(range_seconds, step, 15))
    for variable in (board.get("templating") or {}).get("list") or []:
        if not isinstance(variable, dict) or not variable.get("name"):
            continue
        current = (variable.get("current") or {}).get("value")
        if isinstance(current, list):
            current = current[0] if len(current) == 1 else None
        if variable.get("type") == "datasource":
            continue
        values[str(variable["name"])] = str(current) if current not in (None, "", "$__all") else ".*"
    return values


def fetch_series(
    boards: Iterable[tuple[str, Mapping[str, Any]]], api: PrometheusAPI, now: float | None = None
) -> tuple[dict[Key, list[Series]], list[str]]:
    """The series of every panel query, by (uid, panel id, refId); and the queries Prometheus refused."""
    end = time.time() if now is None else now
    found: dict[Key, list[Series]] = {}
    failed: list[str] = []
    for uid, board in boards:
        range_seconds = _range_seconds((board.get("time") or {}).get("from"))
        step = max(range_seconds // POINTS, 1)
        values = _values(board, range_seconds, step)
        for panel in _panels(board):
            for target in panel.get("targets") or []:
                expr = str(target.get("expr") or "") if isinstance(target, dict) else ""
                if not expr:
                    continue
                query, _missing = interpolate(expr, values)
                key = (uid, int(panel.get("id") or 0), str(target.get("refId") or ""))
                try:
                    result = api.query_range(query, end - range_seconds, end, step)
                except QueryFailed as error:
                    failed.append(f"{uid} / {panel.get('title')}: {error}")
                    continue
                found[key] = [
                    [(float(t), float(v)) for t, v in series.get("values") or [] if _finite(v)]
                    for series in result[:MAX_SERIES]
                ]
    return found, failed


def _finite(value: object) -> bool:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False
    return number == number and abs(number) != float("inf")


def _panels(board: Mapping[str, Any]) -> Iterable[Mapping[str, Any]]:
    for item in board.get("panels") or []:
        if isinstance(item, dict):
            yield item
            for inner in item.get("panels") or []:
                if isinstance(inner, dict):
                    yield inner
