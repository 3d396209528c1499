"""``/healthz`` (the process answers) and ``/readyz`` (and its store answers too).

``/healthz`` is answered by :class:`telltale.server.shed.Shed` on the event loop before
any route runs; the route below only documents it. ``/readyz`` pings the store on a
thread of its own (never the shared worker pool, which ingestion may fill), at most one
ping at a time, each bounded by :data:`READY_TIMEOUT_S`, and a fresh answer is reused
for :data:`READY_CACHE_S`, so a storm of probes costs one query.
"""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from telltale.errors import StoreError

#: A store that has not answered ``SELECT 1`` in this long is not ready.
READY_TIMEOUT_S = 2.0
#: How long one ping's verdict answers every probe.
READY_CACHE_S = 0.5

router = APIRouter()


class Readiness:
    """The store's last ping verdict, refreshed on a dedicated thread."""

    def __init__(self, store: Any) -> None:
        self._store = store
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="telltale-readyz")
        self._pending: asyncio.Future[str | None] | None = None
        self._verdict: tuple[float, str | None] | None = None

    async def check(self) -> str | None:
        """None when the store answers, else why not."""
        now = time.monotonic()
        if self._verdict is not None and now - self._verdict[0] < READY_CACHE_S:
            return self._verdict[1]
        if self._pending is None or self._pending.done():
            self._pending = asyncio.wrap_future(self._pool.submit(self._ping))
        try:
            verdict = await asyncio.wait_for(asyncio.shield(self._pending), READY_TIMEOUT_S)
        except asyncio.TimeoutError:
            verdict = f"the store did not answer within {READY_TIMEOUT_S} s"
        self._verdict = (time.monotonic(), verdict)
        return verdict

    def _ping(self) -> str | None:
        try:
            self._store.ping()
        except StoreError as e:
            return str(e)
        return None

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


@router.get("/healthz", include_in_schema=False)
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", include_in_schema=False)
async def readyz(request: Request) -> JSONResponse:
    problem = await request.app.state.readiness.check()
    if problem is not None:
        return JSONResponse({"status": "unavailable", "detail": problem}, status_code=503)
    return JSONResponse({"status": "ok"})
