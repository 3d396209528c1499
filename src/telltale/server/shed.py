"""Load shedding: past capacity, refuse at once with 503 and Retry-After; never queue.

An ASGI middleware in front of the routes. At most ``max_in_flight`` requests are
worked on at a time; one more is answered 503 straight away, before its body is read,
so a client (the recorder's HTTP sink among them) backs off and retries instead of
waiting in a queue until it times out. The server's throughput stays at capacity and
the latency of what it accepts stays bounded.

``/healthz`` is answered here, on the event loop, ahead of everything: a liveness probe
must never wait behind ingestion for a worker thread. ``/readyz`` and ``/metrics`` are
not counted against the limit (they have bounded paths of their own).
"""

from __future__ import annotations

import json
from typing import Any

#: Concurrent requests worked on at once. Ingestion is CPU-bound Python (parsing,
#: profiling) behind one write lock on SQLite: a few in flight keep the cores busy; more
#: only lengthen every answer and starve the event loop of the GIL.
DEFAULT_MAX_IN_FLIGHT = 8
#: Seconds a shed client is told to wait; one keeps retries quick but spread.
RETRY_AFTER_S = 1

_HEALTH = json.dumps({"status": "ok"}).encode()
_EXEMPT = ("/readyz", "/metrics")


class Shed:
    """Admission limit on in-flight requests, and the ``/healthz`` fast path."""

    def __init__(self, app: Any, max_in_flight: int = DEFAULT_MAX_IN_FLIGHT, retry_after_s: int = RETRY_AFTER_S, on_shed: Any = None) -> None:
        if max_in_flight < 1:
            raise ValueError(f"max_in_flight must be >= 1, got {max_in_flight}")
        self.app = app
        self.max_in_flight = max_in_flight
        self.retry_after_s = retry_after_s
        self.in_flight = 0
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
        if self.in_flight >= self.max_in_flight:
            self.shed += 1
            if self._on_shed is not None:
                self._on_shed()
            detail = {"detail": f"the server is at capacity ({self.max_in_flight} requests in flight); retry after {self.retry_after_s} s"}
            await _reply(send, 503, json.dumps(detail).encode(), ((b"retry-after", str(self.retry_after_s).encode()), (b"connection", b"close")))
            return
        self.in_flight += 1  # one event loop: no lock needed between check and increment
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_flight -= 1


async def _reply(send: Any, status: int, body: bytes, extra: Any) -> None:
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()), *extra]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
