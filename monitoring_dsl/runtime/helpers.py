"""Domain instrumentation beyond HTTP: database queries, the connection pool, transactions, and business events.

Each helper takes its metrics from the catalog by role (conventional names by default, as in
`specs/catalog.py`) and checks their labels when it is built, so a mismatch stops the service at start-up.
Recording never raises into application code: a failure is logged once and swallowed.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from monitoring_dsl.runtime.collectors import CatalogError, Instrument, Instruments
from monitoring_dsl.runtime.http import MetricRef

logger = logging.getLogger("monitoring_dsl.runtime")
F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")


class _Guard:
    """Logs the first recording failure of a helper and swallows every one."""

    def __init__(self, what: str):
        self.what = what
        self.failed = False

    def __call__(self, action: Callable[[], object]) -> None:
        try:
            action()
        except Exception:
            if not self.failed:
                self.failed = True
                logger.exception("monitoring_dsl: recording %s failed; later failures are not logged", self.what)


def _role(
    instruments: Instruments, given: MetricRef, default: str, labels: tuple[str, ...], who: str, required: bool = False
) -> Instrument | None:
    if given is None and default not in instruments:
        if required:
            raise CatalogError(f"{who}: the catalog has no {default!r}; pass the metric to use")
        return None
    instrument = instruments[given if given is not None else default]
    instrument.require_exactly(labels, who)
    return instrument


class DatabaseMetrics:
    """Query count and duration by operation, pool size, connections in use, pool wait, transactions.

    Example:
        db = DatabaseMetrics(instruments)
        with db.query("select"):
            rows = cursor.execute(...)

        @db.timed("insert")
        def save(order): ...
    """

    def __init__(
        self,
        instruments: Instruments,
        *,
        queries: MetricRef = None,
        duration: MetricRef = None,
        pool_size: MetricRef = None,
        in_use: MetricRef = None,
        wait: MetricRef = None,
        transactions: MetricRef = None,
    ):
        who = "DatabaseMetrics"
        self.queries = _role(instruments, queries, "db_queries_total", ("operation",), who)
        self.duration = _role(instruments, duration, "db_query_duration_seconds", ("operation",), who)
        self.pool_size = _role(instruments, pool_size, "db_connection_pool_size", (), who)
        self.in_use = _role(instruments, in_use, "db_connections_in_use", (), who)
        self.wait = _role(instruments, wait, "db_connection_wait_seconds", (), who)
        self.transactions = _role(instruments, transactions, "db_transactions_total", ("outcome",), who)
        if self.queries is None and self.duration is None:
            raise CatalogError(
                f"{who}: the catalog has neither db_queries_total nor db_query_duration_seconds; "
                "pass queries= or duration="
            )
        self._guard = _Guard("database metrics")

    def observe_query(self, operation: str, seconds: float) -> None:
        """Count one query of `operation` (select, insert, ...) that took `seconds`."""

        def record() -> None:
            if self.queries is not None:
                self.queries.collector.labels(operation).inc()
            if self.duration is not None:
                self.duration.collector.labels(operation).observe(seconds)

        self._guard(record)

    @contextmanager
    def query(self, operation: str) -> Iterator[None]:
        """Time the block as one query of `operation`; a query that raises is counted too."""
        start = time.perf_counter()
        try:
            yield
        finally:
            self.observe_query(operation, time.perf_counter() - start)

    def timed(self, operation: str) -> Callable[[F], F]:
        """Decorator: every call of the function is one query of `operation`."""

        def decorate(function: F) -> F:
            @functools.wraps(function)
            def wrapper(*args: Any, **kwargs: Any) -> Any:
                with self.query(operation):
                    return function(*args, **kwargs)

            return wrapper  # type: ignore[return-value]

        return decorate

    def set_pool(self, size: int | None = None, in_use: int | None = None) -> None:
        """The pool's capacity and the connections checked out now."""

        def record() -> None:
            if size is not None and self.pool_size is not None:
                self.pool_size.collector.set(size)
            if in_use is not None and self.in_use is not None:
                self.in_use.collector.set(in_use)

        self._guard(record)

    def observe_wait(self, seconds: float) -> None:
        """One checkout that waited `seconds` for a connection."""
        if self.wait is not None:
            wait = self.wait
            self._guard(lambda: wait.collector.observe(seconds))

    @contextmanager
    def checkout(self, acquire: Callable[[], T] | None = None) -> Iterator[T | None]:
        """A pool checkout: times `acquire()` (the call that takes a connection from the pool, if given) as the
        pool wait, then counts the connection in use until the block ends; yields what `acquire` returned.

            with db.checkout(pool.get) as connection: ...
        """
        connection: T | None = None
        if acquire is not None:
            start = time.perf_counter()
            connection = acquire()
            self.observe_wait(time.perf_counter() - start)
        in_use = self.in_use
        if in_use is not None:
            self._guard(lambda: in_use.collector.inc())
        try:
            yield connection
        finally:
            if in_use is not None:
                self._guard(lambda: in_use.collector.dec())

    def transaction_finished(self, outcome: str) -> None:
        """One transaction finished with `outcome` ("commit" or "rollback")."""
        if self.transactions is not None:
            transactions = self.transactions
            self._guard(lambda: transactions.collector.labels(outcome).inc())

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Counts the block as a commit, or as a rollback when it raises (the exception propagates)."""
        try:
            yield
        except BaseException:
            self.transaction_finished("rollback")
            raise
        self.transaction_finished("commit")


class BusinessMetrics:
    """Validation failures by entity and field, business rule violations, workflow transitions, operations.

    Example:
        business = BusinessMetrics(instruments)
        business.validation_failed("order", "quantity")
        business.transition("order", "pending", "paid")
        with business.operation("checkout"):
            ...
    """

    def __init__(
        self,
        instruments: Instruments,
        *,
        validation: MetricRef = None,
        violations: MetricRef = None,
        transitions: MetricRef = None,
        operations: MetricRef = None,
    ):
        who = "BusinessMetrics"
        self.validation = _role(instruments, validation, "validation_failures_total", ("entity", "field"), who)
        self.violations = _role(instruments, violations, "business_rule_violations_total", ("rule_type",), who)
        self.transitions = _role(
            instruments, transitions, "workflow_transitions_total", ("workflow", "from_state", "to_state"), who
        )
        self.operations = _role(instruments, operations, "business_operations_total", ("operation", "outcome"), who)
        self._guard = _Guard("business metrics")

    def _inc(self, instrument: Instrument | None, *values: str) -> None:
        if instrument is None:
            raise CatalogError("this business metric is not in the catalog; pass it to BusinessMetrics(...)")
        self._guard(lambda: instrument.collector.labels(*values).inc())

    def validation_failed(self, entity: str, field: str) -> None:
        self._inc(self.validation, entity, field)

    def rule_violated(self, rule_type: str) -> None:
        self._inc(self.violations, rule_type)

    def transition(self, workflow: str, from_state: str, to_state: str) -> None:
        self._inc(self.transitions, workflow, from_state, to_state)

    def operation_finished(self, operation: str, outcome: str) -> None:
        self._inc(self.operations, operation, outcome)

    @contextmanager
    def operation(self, name: str) -> Iterator[None]:
        """Counts the block as a success, or a failure when it raises (the exception propagates)."""
        try:
            yield
        except BaseException:
            self.operation_finished(name, "failure")
            raise
        self.operation_finished(name, "success")
