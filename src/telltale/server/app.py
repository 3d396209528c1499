"""The HTTP server: ``create_app(store)`` assembles the routers around one store."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from telltale.clock import SYSTEM_CLOCK, Clock
from telltale.errors import StoreError
from telltale.server import alerts, control, dashboard, findings, health, ingest, metrics, reference, services, timeline
from telltale.server import slo as slo_routes
from telltale.server.limits import BodyLimit
from telltale.server.metrics import RequestCounter, ServerMetrics
from telltale.store import Store

#: 10 MB: a batch of about 10,000 typical records; larger batches should be split.
DEFAULT_MAX_BODY_BYTES = 10_000_000


def create_app(store: Store, *, max_body_bytes: int = DEFAULT_MAX_BODY_BYTES, clock: Clock = SYSTEM_CLOCK, recorders: Mapping[str, Any] | Sequence[Any] = ()) -> FastAPI:
    """The telltale server over ``store``.

    ``recorders`` are in-process recorders (telltale.record), by name or in a list, whose
    queue depth, spill and drops ``/metrics`` exports (label ``recorder``) beside the
    server's own counters.
    """
    import telltale

    app = FastAPI(title="telltale", version=telltale.__version__, docs_url="/docs", redoc_url=None)
    app.state.store = store
    app.state.clock = clock
    app.state.metrics = ServerMetrics(recorders)
    for module in (health, metrics, dashboard, services, ingest, findings, control, reference, alerts, timeline):
        app.include_router(module.router)
    app.include_router(slo_routes.router)
    app.state.metrics.registry.register(slo_routes.SLOCollector(store))

    @app.exception_handler(StoreError)
    async def _store_down(_request: Request, exc: StoreError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=503, headers={"Retry-After": "1"})

    app.add_middleware(BodyLimit, max_bytes=max_body_bytes)
    app.add_middleware(RequestCounter, metrics=app.state.metrics)
    return app
