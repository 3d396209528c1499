"""uvicorn's h11 protocol with a deadline on the request line and headers.

uvicorn closes a connection that idles between requests (``timeout_keep_alive``) but
waits forever for the headers of a request that has begun, or for the first byte of a
new connection: a slow-loris client holds a socket and a file descriptor per
connection indefinitely. Here a connection gets :data:`HEADER_TIMEOUT_S` from its
first byte (or from being opened) to finish a request's headers; the body's own time is
bounded by :class:`telltale.server.limits.BodyTimeout`.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

#: Seconds a client has for a request line and headers (a few hundred bytes).
HEADER_TIMEOUT_S = 10.0


class DeadlineH11Protocol(H11Protocol):
    header_timeout_s = HEADER_TIMEOUT_S

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        self._header_timer: asyncio.TimerHandle | None = None
        super().connection_made(transport)
        self._arm()

    def data_received(self, data: bytes) -> None:
        if self._between_requests():
            self._arm()
        super().data_received(data)
        if not self._between_requests():
            self._disarm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _between_requests(self) -> bool:
        cycle: Any = self.cycle
        return cycle is None or cycle.response_complete

    def _arm(self) -> None:
        if self._header_timer is None:
            self._header_timer = self.loop.call_later(self.header_timeout_s, self._expire)

    def _disarm(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _expire(self) -> None:
        self._header_timer = None
        if self._between_requests() and not self.transport.is_closing():
            self.transport.close()
