"""Load shedding: past capacity, refuse at once with 503 and Retry-After; never queue.

An ASGI middleware in front of the routes. At most ``max_in_flight`` writing requests
(and ``max_reads`` reading ones) are worked on at a time; one more is answered 503
straight away, before its body is read,
so a client (the recorder's HTTP sink among them) backs off and retries instead of
waiting in a queue until it times out. The server's throughput stays at capacity and
the latency of what it accepts stays bounded.

``/healthz`` is answered here, on the event loop, ahead of everything: a liveness probe
must never wait behind ingestion for a worker thread. ``/readyz`` and ``/metrics`` are
not counted against the limit (they have bounded paths of their own).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

#: Writing requests (POST, PUT, DELETE) worked on at once. Ingestion is CPU-bound
#: Python (parsing, profiling) behind one write lock on SQLite: two in flight keep one
#: parsing while the other commits; more only lengthen every answer (measured in
#: bench/overload.py: at 4, the p99 acknowledgement went from 0.3 s to 1.6 s) and take
#: the GIL from the event loop that answers the probes.
DEFAULT_MAX_IN_FLIGHT = 2
#: Reading requests (GET, HEAD) worked on at once, counted apart so that a dashboard
#: still loads while ingestion is at its limit.
DEFAULT_MAX_READS = 8
#: Requests of a kind that may wait for a slot, beyond those worked on, and for how
#: long: a short queue keeps a freed slot busy until the next request arrives (without
#: it, an open-loop load at 3x capacity left slots idle between arrivals and accepted
#: only 77% of capacity); past it a request is shed at once, and one that waited its
#: full time is shed then.
QUEUE_PER_SLOT = 2
MAX_WAIT_S = 1.0
#: Seconds a shed client is told to wait; one keeps retries quick but spread.
RETRY_AFTER_S = 1

_HEALTH = json.dumps({"status": "ok"}).encode()
_EXEMPT = ("/readyz", "/metrics")


class Shed:
    """Admission limits on in-flight writes and reads, and the ``/healthz`` fast path."""

    def __init__(self, app: Any, max_in_flight: int = DEFAULT_MAX_IN_FLIGHT, max_reads: int = DEFAULT_MAX_READS,
                 retry_after_s: int = RETRY_AFTER_S, on_shed: Any = None) -> None:
        if max_in_flight < 1 or max_reads < 1:
            raise ValueError(f"max_in_flight and max_reads must be >= 1, got {max_in_flight} and {max_reads}")
        self.app = app
        self.limits = {"write": max_in_flight, "read": max_reads}
        self.in_flight = {"write": 0, "read": 0}
        self.waiting = {"write": 0, "read": 0}
        self._slots: dict[str, asyncio.Semaphore] = {}
        self.retry_after_s = retry_after_s
        self.shed = 0
        self._on_shed = on_shed

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        if path == "/healthz":
            await _reply(send, 200, _HEALTH, ())
            return
        if path in _EXEMPT:
            await self.app(scope, receive, send)
            return
        kind = "read" if scope.get("method") in ("GET", "HEAD") else "write"
        if not await self._admit(kind):
            self.shed += 1
            if self._on_shed is not None:
                self._on_shed()
            detail = {"detail": f"the server is at capacity ({self.limits[kind]} {kind} requests in flight); retry after {self.retry_after_s} s"}
            await _reply(send, 503, json.dumps(detail).encode(), ((b"retry-after", str(self.retry_after_s).encode()),))
            return
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_flight[kind] -= 1
            self._slots[kind].release()

    async def _admit(self, kind: str) -> bool:
        """Take a slot of ``kind``: at once, after a short wait in a bounded queue, or not."""
        slots = self._slots.get(kind)
        if slots is None:
            slots = self._slots[kind] = asyncio.Semaphore(self.limits[kind])
        if not slots.locked():
            await slots.acquire()
        elif self.waiting[kind] >= QUEUE_PER_SLOT * self.limits[kind]:
            return False
        else:
            self.waiting[kind] += 1
            try:
                await asyncio.wait_for(slots.acquire(), MAX_WAIT_S)
            except asyncio.TimeoutError:
                return False
            finally:
                self.waiting[kind] -= 1
        self.in_flight[kind] += 1
        return True


async def _reply(send: Any, status: int, body: bytes, extra: Any) -> None:
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()), *extra]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
