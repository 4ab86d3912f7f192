"""A demo service instrumented from specs/catalog.py: Starlette routes, database and business helpers.

The end-to-end test serves it with uvicorn on 127.0.0.1 and lets a real Prometheus scrape it.
"""

from __future__ import annotations

import importlib.util
import time
import types
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route

from monitoring_dsl.runtime import ASGIMiddleware, BusinessMetrics, DatabaseMetrics, Instruments, new_registry

CATALOG = Path(__file__).resolve().parents[2] / "specs" / "catalog.py"


def load_catalog(path: Path = CATALOG) -> types.ModuleType:
    """The catalog spec module, imported as a plain module (it only imports monitoring_dsl)."""
    spec = importlib.util.spec_from_file_location("demo_catalog", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Boom(RuntimeError):
    """The failure the demo's /orders/{order_id}/fail endpoint raises."""


def build_app(catalog: types.ModuleType | None = None) -> tuple[Any, Instruments]:
    """The demo ASGI app (middleware included) and its instruments, in a fresh registry."""
    instruments = Instruments.from_module(catalog or load_catalog(), new_registry())
    db = DatabaseMetrics(instruments)
    business = BusinessMetrics(instruments)
    db.set_pool(size=10, in_use=0)

    def take_connection() -> str:
        time.sleep(0.0002)  # the demo's pool is never empty: a short, real wait
        return "connection"

    async def list_orders(request: Request) -> JSONResponse:
        with db.checkout(take_connection), db.transaction(), db.query("select"):
            time.sleep(0.001)
        return JSONResponse([{"id": 1}])

    async def get_order(request: Request) -> JSONResponse:
        with db.checkout(take_connection), db.query("select"):
            pass
        return JSONResponse({"id": request.path_params["order_id"]})

    async def create_order(request: Request) -> JSONResponse:
        body = await request.json()
        quantity = body.get("quantity")
        if not isinstance(quantity, int) or quantity <= 0:
            business.validation_failed("order", "quantity")
            if isinstance(quantity, int) and quantity < 0:
                business.rule_violated("negative_quantity")
            business.operation_finished("create_order", "failure")
            db.transaction_finished("rollback")
            return JSONResponse({"error": "quantity must be a positive integer"}, status_code=422)
        with business.operation("create_order"), db.checkout(take_connection), db.transaction(), db.query("insert"):
            pass
        business.transition("order", "new", "pending")
        return JSONResponse({"id": 2}, status_code=201)

    async def pay_order(request: Request) -> PlainTextResponse:
        with db.checkout(take_connection), db.transaction():
            with db.query("update"):
                pass
            with db.query("delete"):
                pass
        business.transition("order", "pending", "paid")
        return PlainTextResponse("paid")

    async def fail(request: Request) -> PlainTextResponse:
        raise Boom("the demo fails on purpose")

    app = Starlette(
        routes=[
            Route("/orders", list_orders, methods=["GET"]),
            Route("/orders", create_order, methods=["POST"]),
            Route("/orders/{order_id:int}", get_order, methods=["GET"]),
            Route("/orders/{order_id:int}/pay", pay_order, methods=["POST"]),
            Route("/orders/{order_id:int}/fail", fail, methods=["GET"]),
        ]
    )
    app.add_middleware(ASGIMiddleware, instruments=instruments)
    return app, instruments
