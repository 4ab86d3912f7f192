"""Instrumentation for Python services from the same metric catalog the dashboards and alerts use.

Needs the `instrumentation` extra (prometheus_client); `import monitoring_dsl` alone never does.

    from monitoring_dsl.runtime import ASGIMiddleware, Instruments, new_registry
    instruments = Instruments.from_module(catalog, new_registry())
    app.add_middleware(ASGIMiddleware, instruments=instruments)
"""

from monitoring_dsl.runtime._client import new_registry
from monitoring_dsl.runtime.asgi import ASGIMiddleware, starlette_endpoint
from monitoring_dsl.runtime.collectors import CatalogError, Instrument, Instruments
from monitoring_dsl.runtime.helpers import BusinessMetrics, DatabaseMetrics
from monitoring_dsl.runtime.http import UNMATCHED
from monitoring_dsl.runtime.wsgi import WSGIMiddleware, flask_endpoint, instrument_flask

__all__ = [
    "UNMATCHED",
    "ASGIMiddleware",
    "BusinessMetrics",
    "CatalogError",
    "DatabaseMetrics",
    "Instrument",
    "Instruments",
    "WSGIMiddleware",
    "flask_endpoint",
    "instrument_flask",
    "new_registry",
    "starlette_endpoint",
]
