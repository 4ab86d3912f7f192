"""What the HTTP middlewares share: the request metrics by role, label values, and failure containment.

A role (request count, duration, request size, response size, errors) is filled by the catalog metric passed
for it, or else by the conventional name when the catalog has it. Each role's declared labels must be ones the
middleware knows (`method`, `endpoint`, `status`, plus any constant labels): checked at start-up.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping

from monitoring_dsl.model.metrics import Counter, Histogram, Metric, Summary
from monitoring_dsl.runtime.collectors import CatalogError, Instrument, Instruments

logger = logging.getLogger("monitoring_dsl.runtime")

UNMATCHED = "unmatched"  # the endpoint of every request no route matched; route templates start with "/"
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "CONNECT", "TRACE"})
OTHER_METHOD = "other"  # any other method, so clients cannot grow the label set

# role: (keyword, conventional metric name, expected kinds)
ROLES: dict[str, tuple[str, tuple[type[Metric], ...]]] = {
    "requests": ("http_requests_total", (Counter,)),
    "duration": ("http_request_duration_seconds", (Histogram, Summary)),
    "request_size": ("http_request_size_bytes", (Histogram, Summary)),
    "response_size": ("http_response_size_bytes", (Histogram, Summary)),
    "errors": ("http_errors_total", (Counter,)),
}
HTTP_LABELS = ("method", "endpoint", "status")

MetricRef = Metric | str | None


class HttpMetrics:
    """Records one finished request into every configured role. Never raises from `record`."""

    def __init__(
        self,
        instruments: Instruments,
        *,
        requests: MetricRef = None,
        duration: MetricRef = None,
        request_size: MetricRef = None,
        response_size: MetricRef = None,
        errors: MetricRef = None,
        constant_labels: Mapping[str, str] | None = None,
        who: str = "the HTTP middleware",
    ):
        self.instruments = instruments
        constants = dict(constant_labels or {})
        available = (*HTTP_LABELS, *constants)
        given = {
            "requests": requests,
            "duration": duration,
            "request_size": request_size,
            "response_size": response_size,
            "errors": errors,
        }
        self._roles: dict[str, tuple[Instrument, Callable[[str, str, str], tuple[str, ...]]]] = {}
        for role, (default, kinds) in ROLES.items():
            instrument = instruments.pick(given[role], default, available, who)
            if instrument is None:
                continue
            if not isinstance(instrument.metric, kinds):
                expected = " or ".join(kind.__name__ for kind in kinds)
                raise CatalogError(
                    f"{who}: {role}= needs a {expected}, but {instrument.name!r} is a "
                    f"{type(instrument.metric).__name__}"
                )
            self._roles[role] = (instrument, _label_builder(instrument.metric.labels, constants))
        if not self._roles:
            raise CatalogError(
                f"{who} found none of its metrics in the catalog: pass requests=, duration=, request_size=, "
                f"response_size= or errors=, or declare {', '.join(default for default, _ in ROLES.values())}"
            )
        self._actions: dict[tuple[str, str, int], tuple[tuple[Callable[[float], None], int], ...]] = {}
        self._failed = False

    # Which value each role records: 0 the count (1), 1 seconds, 2 bytes received, 3 bytes sent.
    _ARGUMENT = {"requests": 0, "duration": 1, "request_size": 2, "response_size": 3, "errors": 0}

    def _actions_for(self, method: str, endpoint: str, status: int) -> tuple[tuple[Callable[[float], None], int], ...]:
        """The bound inc/observe methods of the children for one label combination, made once per combination
        (route templates, a closed set of methods and statuses keep the combinations few)."""
        key = (method, endpoint, status)
        actions = self._actions.get(key)
        if actions is None:
            found = []
            for role, (instrument, build) in self._roles.items():
                if role == "errors" and status < 400:
                    continue  # no zero-valued error series for successful statuses
                labels = build(method, endpoint, str(status))
                child = instrument.collector.labels(*labels) if instrument.metric.labels else instrument.collector
                found.append((child.inc if self._ARGUMENT[role] == 0 else child.observe, self._ARGUMENT[role]))
            actions = self._actions[key] = tuple(found)
        return actions

    def record(self, method: str, endpoint: str | None, status: int, seconds: float, received: int, sent: int) -> None:
        """Count one request; a failure here is logged once and swallowed, never the request's problem."""
        try:
            if method not in METHODS:
                method = OTHER_METHOD
            values = (1, seconds, received, sent)
            for action, argument in self._actions_for(method, endpoint or UNMATCHED, status):
                action(values[argument])
        except Exception:
            if not self._failed:
                self._failed = True
                logger.exception("monitoring_dsl: recording HTTP metrics failed; later failures are not logged")

    @property
    def roles(self) -> dict[str, str]:
        """role -> metric name, for the roles in use."""
        return {role: instrument.name for role, (instrument, _) in self._roles.items()}


def _label_builder(labels: tuple[str, ...], constants: Mapping[str, str]) -> Callable[[str, str, str], tuple[str, ...]]:
    """A function from (method, endpoint, status) to the metric's label values, in its declared order."""
    positions = {"method": 0, "endpoint": 1, "status": 2}
    plan = [(positions.get(label), constants.get(label, "")) for label in labels]

    def build(method: str, endpoint: str, status: str) -> tuple[str, ...]:
        values = (method, endpoint, status)
        return tuple(values[index] if index is not None else constant for index, constant in plan)

    return build
