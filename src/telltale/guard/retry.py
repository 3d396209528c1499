"""Retries that cannot multiply load: retryable errors only, backoff with jitter inside
the deadline, and a token-bucket budget in the manner of gRPC retry throttling.

The bucket holds up to ``max_tokens``. Every failed attempt costs one token, every
successful call refills ``ratio`` of one. A retry is allowed only while the bucket holds
more than half of ``max_tokens``. So during an outage, where every attempt fails, the
whole process makes at most ``max_tokens / 2`` retries until successes refill it, and
in steady state retries are at most about ``ratio`` of the successful calls: load on a
struggling model grows by at most that share, never by ``max_attempts``.
"""

from __future__ import annotations

import random
import threading

from telltale.spec.model import RetrySettings


class RetryBudget:
    """The token bucket (thread-safe).

    >>> b = RetryBudget(ratio=0.1, max_tokens=4)
    >>> [b.failed_can_retry() for _ in range(4)]   # 3 > 2, 2 > 2 is false ...
    [True, False, False, False]
    """

    __slots__ = ("ratio", "max_tokens", "threshold", "tokens", "_lock")

    def __init__(self, ratio: float, max_tokens: float) -> None:
        if not 0 < ratio <= 1:
            raise ValueError(f"retry budget ratio must be in (0, 1], got {ratio}")
        if max_tokens <= 0:
            raise ValueError(f"retry budget max_tokens must be > 0, got {max_tokens}")
        self.ratio = float(ratio)
        self.max_tokens = float(max_tokens)
        self.threshold = self.max_tokens / 2.0
        self.tokens = self.max_tokens
        self._lock = threading.Lock()

    def succeeded(self) -> None:
        """A call succeeded: refill ``ratio`` of a token (up to the maximum)."""
        if self.tokens < self.max_tokens:
            with self._lock:
                self.tokens = min(self.max_tokens, self.tokens + self.ratio)

    def failed_can_retry(self) -> bool:
        """An attempt failed: spend a token, then say whether a retry is still allowed."""
        with self._lock:
            self.tokens = max(0.0, self.tokens - 1.0)
            return self.tokens > self.threshold


class RetryPolicy:
    """Which errors are retryable, how many attempts, and how long to back off."""

    __slots__ = ("max_attempts", "retry_on", "backoff_s", "max_backoff_s", "jitter", "budget", "_random")

    def __init__(self, settings: RetrySettings, *, seed: int | None = None) -> None:
        self.max_attempts = settings.max_attempts
        self.retry_on = frozenset(settings.retry_on)
        self.backoff_s = settings.backoff_s
        self.max_backoff_s = max(settings.max_backoff_s, 0.0)
        self.jitter = settings.jitter
        self.budget = RetryBudget(settings.budget.ratio, settings.budget.max_tokens)
        self._random = random.Random(seed)

    def retryable(self, exc: BaseException) -> bool:
        """True when the exception's class, or any base class, is named in ``retry_on``."""
        names = self.retry_on
        return any(k.__name__ in names or f"{k.__module__}.{k.__qualname__}" in names
                   for k in type(exc).__mro__)

    def backoff(self, attempt: int) -> float:
        """Seconds to wait before attempt ``attempt + 1``: exponential, capped, full jitter."""
        b = min(self.max_backoff_s, self.backoff_s * (2 ** (attempt - 1)))
        return self._random.uniform(0.0, b) if self.jitter else b
