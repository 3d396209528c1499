"""Refuse oversized bodies with 413 before reading them.

A declared ``Content-Length`` over the limit is refused at once, without a byte of the
body read; a chunked body (no length) is counted as it streams and cut off at the limit.
A pure ASGI middleware so it sits in front of everything, parsing included.
"""

from __future__ import annotations

import json
from typing import Any

Scope = dict[str, Any]


class _TooLarge(Exception):
    pass


class BodyLimit:
    def __init__(self, app: Any, max_bytes: int) -> None:
        if max_bytes <= 0:
            raise ValueError(f"max_body_bytes must be > 0, got {max_bytes}")
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared == -1:
            await _reply(send, 400, "Content-Length is not a number")
            return
        if declared is not None and declared > self.max_bytes:
            await _reply(send, 413, self._message(f"{declared} bytes declared"))
            return
        seen = 0
        started = False

        async def capped_receive() -> Any:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise _TooLarge
            return message

        async def tracking_send(message: Any) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, capped_receive, tracking_send)
        except _TooLarge:
            if started:
                raise
            await _reply(send, 413, self._message(f"more than {self.max_bytes} bytes streamed"))

    def _message(self, what: str) -> str:
        return f"request body too large ({what}); the limit is {self.max_bytes} bytes: send smaller batches"


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return -1
    return None


async def _reply(send: Any, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send({
        "type": "http.response.start",
        "status": status,
        "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()), (b"connection", b"close")],
    })
    await send({"type": "http.response.body", "body": body})


class _TooSlow(Exception):
    pass


#: A body must arrive within this many seconds in all (a 10 MB batch takes well under
#: one second on a slow link), with no pause longer than :data:`BODY_IDLE_S` between
#: chunks. A client that dribbles bytes (slow loris) is answered 408 and disconnected.
BODY_TIMEOUT_S = 30.0
BODY_IDLE_S = 10.0


class BodyTimeout:
    """Bound the time spent reading a request body: 408 past the deadline."""

    def __init__(self, app: Any, total_s: float = BODY_TIMEOUT_S, idle_s: float = BODY_IDLE_S) -> None:
        if total_s <= 0 or idle_s <= 0:
            raise ValueError(f"body timeouts must be > 0, got total_s={total_s}, idle_s={idle_s}")
        self.app = app
        self.total_s = total_s
        self.idle_s = idle_s

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        import asyncio

        loop = asyncio.get_running_loop()
        deadline: float | None = None
        done = False
        started = False

        async def timed_receive() -> Any:
            nonlocal deadline, done
            if done:  # past the body: waiting for a disconnect is not reading
                return await receive()
            now = loop.time()
            if deadline is None:
                deadline = now + self.total_s
            try:
                message = await asyncio.wait_for(receive(), min(self.idle_s, max(deadline - now, 0.001)))
            except asyncio.TimeoutError:
                raise _TooSlow from None
            if message["type"] == "http.request" and not message.get("more_body", False):
                done = True
            return message

        async def tracking_send(message: Any) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, timed_receive, tracking_send)
        except _TooSlow:
            if started:
                raise
            await _reply(send, 408, f"the request body did not arrive in time (at most {self.total_s:g} s in all, {self.idle_s:g} s between chunks)")
