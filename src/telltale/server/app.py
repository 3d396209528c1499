"""The HTTP server: ``create_app(store)`` assembles the routers around one store."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from telltale.clock import SYSTEM_CLOCK, Clock
from telltale.errors import StoreError
from telltale.server import control, dashboard, findings, health, ingest, metrics, reference, services
from telltale.server.limits import BodyLimit
from telltale.server.metrics import RequestCounter, ServerMetrics
from telltale.store import Store

if TYPE_CHECKING:
    from telltale.server.jobs import Jobs

#: 10 MB: a batch of about 10,000 typical records; larger batches should be split.
DEFAULT_MAX_BODY_BYTES = 10_000_000


def create_app(store: Store, *, max_body_bytes: int = DEFAULT_MAX_BODY_BYTES, clock: Clock = SYSTEM_CLOCK, recorders: Mapping[str, Any] | Sequence[Any] = (),
               jobs: Jobs | None = None) -> FastAPI:
    """The telltale server over ``store``.

    ``recorders`` are in-process recorders (telltale.record), by name or in a list, whose
    queue depth, spill and drops ``/metrics`` exports (label ``recorder``) beside the
    server's own counters. ``jobs`` (``server/jobs.py``: the monitor and what follows it)
    run in the background while the app is up.
    """
    import telltale

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if jobs is not None:
            jobs.start()
        try:
            yield
        finally:
            if jobs is not None:
                jobs.stop()

    app = FastAPI(title="telltale", version=telltale.__version__, docs_url="/docs", redoc_url=None, lifespan=lifespan)
    app.state.store = store
    app.state.clock = clock
    app.state.jobs = jobs
    app.state.metrics = ServerMetrics(recorders)
    for module in (health, metrics, dashboard, services, ingest, findings, control, reference):
        app.include_router(module.router)

    @app.exception_handler(StoreError)
    async def _store_down(_request: Request, exc: StoreError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=503, headers={"Retry-After": "1"})

    app.add_middleware(BodyLimit, max_bytes=max_body_bytes)
    app.add_middleware(RequestCounter, metrics=app.state.metrics)
    return app
