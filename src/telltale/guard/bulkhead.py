"""A cap on concurrent model calls with a bounded wait; past it the call is shed.

One counter serves threads and asyncio tasks alike, so a guard used from both never has
more than ``limit`` model calls in flight. A caller that finds the bulkhead full waits at
most ``max_wait_s`` (threads on a condition, tasks on a future handed the slot directly
by ``release``); then it is shed to the fallback at once and counted in ``shed``.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import deque


class Bulkhead:
    """Thread- and asyncio-safe concurrency limit.

    >>> b = Bulkhead(limit=1, max_wait_s=0)
    >>> b.acquire(), b.acquire(), b.shed
    (True, False, 1)
    >>> b.release(); b.in_flight
    0
    """

    def __init__(self, limit: int, max_wait_s: float) -> None:
        if limit < 1:
            raise ValueError(f"bulkhead limit must be >= 1, got {limit}")
        if max_wait_s < 0:
            raise ValueError(f"bulkhead max_wait_s must be >= 0, got {max_wait_s}")
        self.limit = limit
        self.max_wait_s = max_wait_s
        self.in_flight = 0
        self.peak = 0
        self.shed = 0
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self._waiting = 0  # threads waiting on the condition
        self._async_waiters: deque[tuple[asyncio.AbstractEventLoop, asyncio.Future[bool]]] = deque()

    def acquire(self) -> bool:
        """Take a slot, waiting at most ``max_wait_s`` (real time); False means shed."""
        with self._lock:  # the plain lock, not the condition: the common case stays in C
            if self.in_flight < self.limit:
                self.in_flight += 1
                if self.in_flight > self.peak:
                    self.peak = self.in_flight
                return True
            if self.max_wait_s <= 0:
                self.shed += 1
                return False
            end = time.monotonic() + self.max_wait_s
            self._waiting += 1
            try:
                while self.in_flight >= self.limit:
                    left = end - time.monotonic()
                    if left <= 0:
                        self.shed += 1
                        return False
                    self._cond.wait(left)
            finally:
                self._waiting -= 1
            self._take()
            return True

    async def aacquire(self) -> bool:
        """The asyncio twin of ``acquire``: never blocks the event loop."""
        with self._lock:
            if self.in_flight < self.limit:
                self._take()
                return True
            if self.max_wait_s <= 0:
                self.shed += 1
                return False
            loop = asyncio.get_running_loop()
            fut: asyncio.Future[bool] = loop.create_future()
            self._async_waiters.append((loop, fut))
        try:
            return await asyncio.wait_for(fut, self.max_wait_s)
        except asyncio.TimeoutError:
            # if a slot was handed over meanwhile, _grant sees the cancelled future and
            # passes the slot on; the waiter is shed either way
            with self._lock:
                self.shed += 1
            return False

    def release(self) -> None:
        """Give a slot back, handing it straight to a waiting task if there is one."""
        with self._lock:
            while self._async_waiters:
                loop, fut = self._async_waiters.popleft()
                if fut.done() or loop.is_closed():
                    continue
                try:
                    loop.call_soon_threadsafe(self._grant, fut)
                except RuntimeError:  # loop closed between the check and the call
                    continue
                return  # the slot now belongs to that task; in_flight is unchanged
            self.in_flight -= 1
            if self._waiting:
                self._cond.notify()

    def _grant(self, fut: asyncio.Future[bool]) -> None:
        if fut.done():  # the waiter timed out or was cancelled: pass the slot on
            self.release()
        else:
            fut.set_result(True)

    def _take(self) -> None:
        self.in_flight += 1
        if self.in_flight > self.peak:
            self.peak = self.in_flight
