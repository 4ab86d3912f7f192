"""The only import of prometheus_client (the `instrumentation` extra): collectors, registries, exposition.

Everything else in `monitoring_dsl.runtime` goes through these names, so the dependency has one door and
`import monitoring_dsl` never needs it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

try:
    import prometheus_client
    from prometheus_client import exposition
except ImportError as error:  # pragma: no cover - only without the instrumentation extra
    raise ImportError(
        "monitoring_dsl.runtime needs prometheus_client; "
        "install the extra: pip install 'monitoring-dsl[instrumentation]'"
    ) from error

from monitoring_dsl.model.exposition import ClientArguments

Registry = prometheus_client.CollectorRegistry
DEFAULT_REGISTRY: Registry = prometheus_client.REGISTRY

_CLASSES: dict[str, Any] = {
    "Counter": prometheus_client.Counter,
    "Gauge": prometheus_client.Gauge,
    "Histogram": prometheus_client.Histogram,
    "Summary": prometheus_client.Summary,
}


def new_registry(process_collectors: bool = True) -> Registry:
    """A fresh registry; with `process_collectors`, the process, platform and GC collectors that
    prometheus_client's default registry carries (the `process_*` and `python_*` series)."""
    registry = prometheus_client.CollectorRegistry()
    if process_collectors:
        prometheus_client.ProcessCollector(registry=registry)
        prometheus_client.PlatformCollector(registry=registry)
        prometheus_client.GCCollector(registry=registry)
    return registry


def make_collector(arguments: ClientArguments, registry: Registry) -> Any:
    """The prometheus_client collector for one catalog metric, registered in `registry`."""
    options: dict[str, Any] = {"registry": registry}
    if arguments.unit:
        options["unit"] = arguments.unit
    if arguments.buckets is not None:
        options["buckets"] = arguments.buckets
    return _CLASSES[arguments.cls](arguments.name, arguments.documentation, arguments.labelnames, **options)


def exposition_for(registry: Registry, accept: str) -> tuple[bytes, str]:
    """The scrape body for `registry` in the format the `Accept` header asks for, and its content type."""
    encoder: Callable[[Registry], bytes]
    encoder, content_type = exposition.choose_encoder(accept)
    return encoder(registry), content_type
