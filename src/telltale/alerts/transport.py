"""One POST to a receiver, judged: delivered, worth retrying, or refused for good."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Literal

import httpx

from telltale.alerts.netguard import BlockedTarget, pin

Outcome = Literal["ok", "retry", "reject"]

#: Answers that say "try again later"; any other 4xx means the request itself is wrong.
RETRYABLE = frozenset({408, 409, 425, 429})


@dataclass(frozen=True, slots=True)
class HttpRequest:
    url: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SendResult:
    outcome: Outcome
    http_status: int | None = None
    error: str | None = None
    duration_ms: float = 0.0
    retry_after_s: float | None = None


def post(req: HttpRequest, *, allow_private: bool, timeout_s: float) -> SendResult:
    """POST ``req`` (redirects are not followed: they could lead anywhere)."""
    t0 = time.perf_counter()
    try:
        target = pin(req.url, allow_private)
    except BlockedTarget as e:
        return SendResult("reject", error=str(e))
    except OSError as e:
        return SendResult("retry", error=f"cannot resolve {req.url}: {e}", duration_ms=_ms(t0))
    headers = {"Content-Type": "application/json", "User-Agent": "telltale-alerts", **req.headers, **target.headers}
    try:
        # trust_env=False: no proxy from the environment may carry the request elsewhere
        with httpx.Client(timeout=timeout_s, follow_redirects=False, trust_env=False) as client:
            resp = client.post(target.url, content=req.body, headers=headers, extensions=target.extensions or None)
    except httpx.HTTPError as e:
        return SendResult("retry", error=f"{type(e).__name__}: {e}" if str(e) else type(e).__name__, duration_ms=_ms(t0))
    code = resp.status_code
    if 200 <= code < 300:
        return SendResult("ok", code, duration_ms=_ms(t0))
    error = f"HTTP {code}: {resp.text[:300]}"
    if code >= 500 or code in RETRYABLE:
        return SendResult("retry", code, error, _ms(t0), _retry_after(resp.headers.get("retry-after")))
    return SendResult("reject", code, error, _ms(t0))


def _retry_after(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None  # an HTTP date: fall back to our own backoff


def _ms(t0: float) -> float:
    return round((time.perf_counter() - t0) * 1000, 3)
