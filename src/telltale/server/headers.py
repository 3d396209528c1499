"""Security headers on every answer: no sniffing, no framing, no referrer, a CSP.

Pages that need more than the API's locked-down policy (the dashboard's inline script,
the API docs' local assets) set their own ``Content-Security-Policy``; every other
answer gets :data:`API_CSP`, which allows nothing to load at all.
"""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Any

API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

_ALWAYS = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
)


class SecurityHeaders:
    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Any) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                present = {k.lower() for k, _ in headers}
                headers += [(k, v) for k, v in _ALWAYS if k not in present]
                if b"content-security-policy" not in present:
                    headers.append((b"content-security-policy", API_CSP.encode()))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)


_INLINE = re.compile(r"<(script|style)(?![^>]*\bsrc=)[^>]*>(.*?)</\1>", re.S | re.I)


def page_csp(html: str) -> str:
    """A policy for one self-contained page: its own inline scripts and styles (by hash),
    same-origin fetches, and nothing from anywhere else."""
    hashes: dict[str, list[str]] = {"script": [], "style": []}
    for tag, body in _INLINE.findall(html):
        digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
        hashes[tag.lower()].append(f"'sha256-{digest}'")
    return (
        "default-src 'none'; connect-src 'self'; img-src 'self' data:; "
        f"script-src 'self' {' '.join(hashes['script'])}; style-src 'self' {' '.join(hashes['style'])}; "
        "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    ).replace("  ", " ")
