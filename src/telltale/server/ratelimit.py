"""Per-token rate limits: a token bucket per token, refilled at the token's rate.

A token may burst to :data:`BURST_S` seconds' worth of requests, then is held to its
rate; one over is answered 429 with ``Retry-After`` saying when the next is allowed.
Buckets live in the server's memory (one process); the table of them is bounded.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass

#: Seconds of a token's rate it may spend at once (a recorder flushing its queue).
BURST_S = 2.0
_MAX_BUCKETS = 10_000


@dataclass(slots=True)
class _Bucket:
    rate: float
    level: float
    at: float


class RateLimiter:
    def __init__(self, default_rate: float | None = None) -> None:
        if default_rate is not None and not default_rate > 0:
            raise ValueError(f"default token rate must be > 0 requests per second, got {default_rate}")
        self.default_rate = default_rate
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()

    def admit(self, key: str, rate: float | None, now: float) -> float:
        """0 when a request under ``key`` may go ahead (and is counted); else the seconds
        until one may. ``rate`` None means the server's default; both None: no limit."""
        rate = rate if rate is not None else self.default_rate
        if rate is None:
            return 0.0
        capacity = max(1.0, rate * BURST_S)
        with self._lock:
            b = self._buckets.get(key)
            if b is None or b.rate != rate:
                if len(self._buckets) >= _MAX_BUCKETS:
                    self._buckets.clear()
                b = self._buckets[key] = _Bucket(rate, capacity, now)
            b.level = min(capacity, b.level + (now - b.at) * rate)
            b.at = now
            if b.level >= 1.0:
                b.level -= 1.0
                return 0.0
            return (1.0 - b.level) / rate


def retry_after(wait_s: float) -> str:
    """A Retry-After value (whole seconds, at least 1)."""
    return str(max(1, math.ceil(wait_s)))
