"""``Content-Encoding`` on request bodies: gzip and deflate decompressed under the size
cap, anything else refused with 415.

A compressed body is read whole (its compressed size is already bounded by
:class:`telltale.server.limits.BodyLimit`, which sits in front), then inflated with a
ceiling of ``max_bytes`` output bytes: a gzip bomb stops at the cap with 413 instead of
filling memory. The routes then see a plain body, as if it had been sent uncompressed.
"""

from __future__ import annotations

import zlib
from typing import Any

from telltale.server.limits import _reply

#: zlib window bits per encoding: gzip header, zlib header.
_WBITS = {b"gzip": 31, b"x-gzip": 31, b"deflate": 15}


class _Bad(Exception):
    def __init__(self, status: int, detail: str) -> None:
        self.status = status
        self.detail = detail


class Decompress:
    def __init__(self, app: Any, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        encoding = _header(scope, b"content-encoding")
        if encoding is None or encoding.strip().lower() in (b"", b"identity"):
            await self.app(scope, receive, send)
            return
        name = encoding.strip().lower()
        if name not in _WBITS:
            await _reply(send, 415, f"Content-Encoding {encoding.decode('latin-1')!r} is not supported; send gzip, deflate or an uncompressed body")
            return
        chunks = []
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        import anyio

        try:
            body = await anyio.to_thread.run_sync(self._inflate, b"".join(chunks), _WBITS[name])
        except _Bad as e:
            await _reply(send, e.status, e.detail)
            return
        headers = [(k, v) for k, v in scope["headers"] if k not in (b"content-encoding", b"content-length")]
        headers.append((b"content-length", str(len(body)).encode()))
        sent = False

        async def plain_receive() -> Any:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app({**scope, "headers": headers}, plain_receive, send)

    def _inflate(self, data: bytes, wbits: int) -> bytes:
        inflater = zlib.decompressobj(wbits)
        try:
            out = inflater.decompress(data, self.max_bytes + 1)
        except zlib.error as e:
            raise _Bad(400, f"the body is not valid {'gzip' if wbits == 31 else 'deflate'} data ({e})") from None
        if len(out) > self.max_bytes or inflater.unconsumed_tail:
            raise _Bad(413, f"the body inflates to more than {self.max_bytes} bytes, the limit; send smaller batches")
        if not inflater.eof:
            raise _Bad(400, "the compressed body is truncated")
        return out


def _header(scope: dict[str, Any], name: bytes) -> bytes | None:
    for k, v in scope.get("headers", ()):
        if k == name:
            return bytes(v)
    return None
