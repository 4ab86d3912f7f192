"""SQLAlchemy event hooks for DatabaseMetrics; imports SQLAlchemy only when `instrument_engine` is called.

SQLAlchemy is not a dependency of monitoring-dsl: services that use it already have it.
"""

from __future__ import annotations

import re
import time
from typing import Any

from monitoring_dsl.runtime.helpers import DatabaseMetrics

_KEYWORD_RE = re.compile(r"^\s*(?:--[^\n]*\n\s*|/\*.*?\*/\s*)*(?:WITH\b.*?\)\s*)?([A-Za-z]+)", re.S)
_OPERATIONS = {"select", "insert", "update", "delete"}


def operation_of(statement: str) -> str:
    """The operation label of an SQL statement: select, insert, update, delete, or other."""
    match = _KEYWORD_RE.match(statement)
    word = match.group(1).lower() if match else ""
    return word if word in _OPERATIONS else "other"


class QueryListener:
    """before/after_cursor_execute handlers that time each statement by operation."""

    _KEY = "monitoring_dsl_query_start"

    def __init__(self, metrics: DatabaseMetrics):
        self.metrics = metrics

    def before(self, conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        conn.info.setdefault(self._KEY, []).append(time.perf_counter())

    def after(self, conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        starts = conn.info.get(self._KEY)
        if starts:
            self.metrics.observe_query(operation_of(statement), time.perf_counter() - starts.pop())


def instrument_engine(engine: Any, metrics: DatabaseMetrics) -> QueryListener:
    """Time every statement `engine` runs and track its pool (size, connections in use)."""
    try:
        from sqlalchemy import event
    except ImportError as error:
        raise ImportError("instrument_engine needs SQLAlchemy, which this environment does not have") from error
    listener = QueryListener(metrics)
    event.listen(engine, "before_cursor_execute", listener.before)
    event.listen(engine, "after_cursor_execute", listener.after)
    pool = engine.pool
    size = getattr(pool, "size", None)
    if callable(size):
        metrics.set_pool(size=size())

    def checked_out(*_: Any) -> None:
        count = getattr(pool, "checkedout", None)
        if callable(count):
            metrics.set_pool(in_use=count())

    event.listen(pool, "checkout", checked_out)
    event.listen(pool, "checkin", checked_out)
    return listener
