"""The HTTP server: ``create_app(store)`` assembles the routers around one store."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from telltale.clock import SYSTEM_CLOCK, Clock
from telltale.errors import StoreError
from telltale.server import (
    alerts,
    control,
    dashboard,
    docs,
    feedback as feedback_routes,
    findings,
    health,
    ingest,
    metrics,
    reference,
    reviews,
    services,
    slo as slo_routes,
    timeline,
)
from telltale.server.encoding import Decompress
from telltale.server.headers import SecurityHeaders
from telltale.server.health import Readiness
from telltale.server.limits import BODY_TIMEOUT_S, BodyLimit, BodyTimeout
from telltale.server.metrics import RequestCounter, ServerMetrics
from telltale.server.openapi import documented_openapi
from telltale.server.ratelimit import RateLimiter
from telltale.server.services import DEFAULT_MAX_SERVICES
from telltale.server.shed import DEFAULT_MAX_IN_FLIGHT, DEFAULT_MAX_READS, Shed
from telltale.server.store_metrics import StoreCollector
from telltale.spec.load import DEFAULT_LIMITS, SpecLimits
from telltale.store import Store
from telltale.wire import DEFAULT_LIMITS as DEFAULT_RECORD_LIMITS, RecordLimits

if TYPE_CHECKING:
    from telltale.server.jobs import Jobs

#: 10 MB: a batch of about 10,000 typical records; larger batches should be split.
DEFAULT_MAX_BODY_BYTES = 10_000_000


def create_app(
    store: Store,
    *,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    clock: Clock = SYSTEM_CLOCK,
    recorders: Mapping[str, Any] | Sequence[Any] = (),
    max_in_flight: int = DEFAULT_MAX_IN_FLIGHT,
    max_reads: int = DEFAULT_MAX_READS,
    body_timeout_s: float = BODY_TIMEOUT_S,
    token_rate: float | None = None,
    metrics_token: bool = False,
    max_services: int = DEFAULT_MAX_SERVICES,
    spec_limits: SpecLimits = DEFAULT_LIMITS,
    record_limits: RecordLimits = DEFAULT_RECORD_LIMITS,
    jobs: Jobs | None = None,
) -> FastAPI:
    """The telltale server over ``store``.

    ``record_limits`` bounds the values inside an ingested record (string length,
    nesting, integer digits, ...): a record past one is answered as its own error.

    ``recorders`` are in-process recorders (telltale.record), by name or in a list, whose
    queue depth, spill and drops ``/metrics`` exports (label ``recorder``) beside the
    server's own counters. ``max_in_flight`` writing and ``max_reads`` reading requests
    are worked on at once, more are shed with 503; ``token_rate`` is the requests per second a token without a rate of
    its own may make (None: unlimited); ``metrics_token`` makes ``/metrics`` need a read
    token and show only that token's project. ``jobs`` (``server/jobs.py``: the monitor
    and what follows it) run in the background while the app is up.
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

    app = FastAPI(title="telltale", version=telltale.__version__, docs_url=None, redoc_url=None, lifespan=lifespan)
    app.state.store = store
    app.state.clock = clock
    app.state.record_limits = record_limits
    app.state.jobs = jobs
    app.state.metrics = ServerMetrics(recorders)
    app.state.readiness = Readiness(store)
    app.state.rate_limiter = RateLimiter(token_rate)
    app.state.metrics_token = metrics_token
    app.state.max_services = max_services
    app.state.spec_limits = spec_limits
    for module in (health, metrics, dashboard, docs, services, ingest, findings, control, reference, alerts, timeline):
        app.include_router(module.router)
    for module in (feedback_routes, reviews):
        app.include_router(module.router)
    app.include_router(slo_routes.router)
    app.state.metrics.registry.register(slo_routes.SLOCollector(store))
    app.state.metrics.registry.register(StoreCollector(store, clock))

    @app.exception_handler(StoreError)
    async def _store_down(_request: Request, exc: StoreError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=503, headers={"Retry-After": "1"})

    @app.exception_handler(405)
    async def _method_not_allowed(request: Request, _exc: Exception) -> JSONResponse:
        allowed = _methods_for(app, request.scope)
        return JSONResponse({"detail": f"{request.method} is not allowed on {request.url.path}; use {', '.join(allowed)}"},
                            status_code=405, headers={"Allow": ", ".join(allowed)})

    app.openapi = lambda: documented_openapi(app)  # type: ignore[method-assign]
    # Outermost last: headers on every answer, counted, shed before any body is read,
    # the body's time and size bounded, then inflated under the same cap.
    app.add_middleware(Decompress, max_bytes=max_body_bytes)
    app.add_middleware(BodyLimit, max_bytes=max_body_bytes)
    app.add_middleware(BodyTimeout, total_s=body_timeout_s)
    app.add_middleware(Shed, max_in_flight=max_in_flight, max_reads=max_reads, on_shed=app.state.metrics.shed.inc)
    app.add_middleware(RequestCounter, metrics=app.state.metrics)
    app.add_middleware(SecurityHeaders)
    return app


def _methods_for(app: FastAPI, scope: Mapping[str, Any]) -> list[str]:
    """Every method some route of ``app`` answers on this path (a path may have several
    routes, one per method), for the ``Allow`` header of a 405."""
    from starlette.routing import Match

    methods: set[str] = set()
    for route in app.router.routes:
        match, _ = route.matches({**scope, "method": "GET"})
        if match != Match.NONE:
            methods |= set(getattr(route, "methods", None) or ())
    return sorted(methods)
