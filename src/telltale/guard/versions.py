"""Versions around the primary: a canary that takes a sticky share of traffic, and a
shadow that sees a copy of the traffic off the hot path.

The canary share is decided by a hash of a key (a user id, an order id), so one key
always meets the same version; without a key each call is drawn at random. The shadow
runs on a small worker pool after the caller has its decision; its answer is recorded
as its own record (source ``shadow``, the shadow's version, id ``<call id>.shadow``)
for comparison, and never returned. A shadow that cannot keep up is sampled down, not
queued without bound: calls past ``max_pending`` skip the shadow and are counted.
"""

from __future__ import annotations

import asyncio
import hashlib
import inspect
import random
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from telltale.clock import Clock
from telltale.guard.deadline import WorkerPool
from telltale.guard.output import unpack
from telltale.types import PredictionRecord


@dataclass(slots=True, frozen=True)
class Version:
    """A model function and the version name its records carry."""

    model: Callable[..., Any]
    version: str


def as_version(v: Version | Callable[..., Any] | None, default_name: str) -> Version | None:
    if v is None or isinstance(v, Version):
        return v
    if not callable(v):
        raise TypeError(f"expected a model function or telltale.guard.Version, got {type(v).__name__}")
    return Version(v, default_name)


def key_share(key: Any) -> float:
    """A stable number in [0, 1) for a key: the same key always lands in the same place."""
    h = hashlib.blake2b(str(key).encode(), digest_size=8).digest()
    return int.from_bytes(h, "big") / 18446744073709551616.0


class CanaryRouter:
    """Sends ``share`` of traffic to the canary, sticky by key."""

    __slots__ = ("share", "_key", "_random")

    def __init__(self, share: float, key: str | Callable[[Mapping[str, Any]], Any] | None, seed: int | None = None) -> None:
        if not 0.0 <= share <= 1.0:
            raise ValueError(f"canary share must be in [0, 1], got {share}")
        self.share = share
        self._key = key
        self._random = random.Random(seed)

    def pick(self, record: Mapping[str, Any], key: Any = None) -> bool:
        """True when this call goes to the canary."""
        if key is None and self._key is not None:
            key = self._key(record) if callable(self._key) else record.get(self._key)
        if key is None:
            return self._random.random() < self.share
        return key_share(key) < self.share


class ShadowRunner:
    """Runs the shadow version on a copy of the traffic, records its answers."""

    def __init__(self, version: Version, service: str, sample: float, clock: Clock,
                 submit: Callable[[PredictionRecord], None], *, workers: int = 2, max_pending: int = 256,
                 seed: int | None = None) -> None:
        self.version = version
        self._service = service
        self._sample = sample
        self._clock = clock
        self._submit = submit
        self._pool = WorkerPool(workers, "telltale-shadow")
        self._max_pending = max_pending
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self._is_async = inspect.iscoroutinefunction(version.model)
        self.pending = 0
        self.runs = 0
        self.errors = 0
        self.skipped = 0

    def offer(self, call_id: str, inputs: Mapping[str, Any], primary: Any, primary_source: str) -> None:
        """Maybe run the shadow on this call's inputs; returns at once."""
        if self._sample < 1.0 and self._random.random() >= self._sample:
            return
        with self._lock:
            if self.pending >= self._max_pending:
                self.skipped += 1
                return
            self.pending += 1
        try:
            self._pool.submit(self._run, call_id, inputs, primary, primary_source)
        except RuntimeError:  # closed: the shadow is best effort, the caller never notices
            with self._lock:
                self.pending -= 1
                self.skipped += 1

    def _run(self, call_id: str, inputs: Mapping[str, Any], primary: Any, primary_source: str) -> None:
        clock = self._clock
        t0 = clock.monotonic()
        reasons = [f"shadow of call {call_id}; the caller got {primary!r} from {primary_source}"]
        value = confidence = None
        try:
            raw = self.version.model(inputs)
            if self._is_async:
                raw = asyncio.run(raw)
            value, confidence, _ = unpack(raw, None)
            self.runs += 1
        except Exception as e:
            self.errors += 1
            reasons.append(f"shadow model raised {type(e).__name__}: {e}")
        finally:
            with self._lock:
                self.pending -= 1
        ms = (clock.monotonic() - t0) * 1000.0
        self._submit(PredictionRecord(
            id=f"{call_id}.shadow", service=self._service, ts=clock.now(), inputs=dict(inputs),
            output=value, confidence=confidence, source="shadow", model_version=self.version.version,
            latency_ms=ms, stages={"model": ms}, reasons=reasons))

    def close(self) -> None:
        self._pool.shutdown()
