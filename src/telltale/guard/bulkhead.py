"""A cap on concurrent model calls with a bounded wait; past it the call is shed.

The slots are ``limit`` tokens in a ``queue.SimpleQueue``: taking one is ``get`` and
giving it back is ``put``, both implemented in C and atomic under the GIL, so the common
case (a free slot) takes no Python-level lock, and a thread that finds none waits inside
``get`` for at most ``max_wait_s``. One set of tokens serves threads and asyncio tasks
alike, so a guard used from both never has more than ``limit`` model calls in flight. A
task that finds none waits on a future that ``release`` hands a token to; then it is shed
to the fallback at once and counted in ``shed``.
"""

from __future__ import annotations

import asyncio
import queue
import threading
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
        self.peak = 0
        self.shed = 0
        self._slots: queue.SimpleQueue[None] = queue.SimpleQueue()
        for _ in range(limit):
            self._slots.put(None)
        self._get, self._put, self._qsize = self._slots.get, self._slots.put, self._slots.qsize
        self._block = max_wait_s > 0
        self._timeout = max_wait_s if max_wait_s > 0 else None
        self._lock = threading.Lock()  # for the async waiters, shed and peak: never on the common path
        self._async_waiters: deque[tuple[asyncio.AbstractEventLoop, asyncio.Future[bool]]] = deque()

    @property
    def in_flight(self) -> int:
        """Slots taken now (a slot being handed to a waiting task counts as taken)."""
        return self.limit - self._qsize()

    def acquire(self) -> bool:
        """Take a slot, waiting at most ``max_wait_s`` (real time); False means shed."""
        try:
            self._get(self._block, self._timeout)
        except queue.Empty:
            with self._lock:
                self.shed += 1
            return False
        if self.limit - self._qsize() > self.peak:  # a new peak: rare once warm
            self._note_peak()
        return True

    async def aacquire(self) -> bool:
        """The asyncio twin of ``acquire``: never blocks the event loop."""
        try:
            self._get(False)
        except queue.Empty:
            pass
        else:
            if self.limit - self._qsize() > self.peak:
                self._note_peak()
            return True
        if self.max_wait_s <= 0:
            with self._lock:
                self.shed += 1
            return False
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[bool] = loop.create_future()
        with self._lock:
            self._async_waiters.append((loop, fut))
        # a release between the failed get and the append put its token in the queue and
        # saw no waiter: look again now that this task is listed (each side publishes,
        # then looks at the other's, so one of the two always sees both)
        self._hand_over()
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
        self._put(None)
        if self._async_waiters:  # a plain read: a waiter listed after it runs _hand_over itself
            self._hand_over()

    def _hand_over(self) -> None:
        """Give free tokens to waiting tasks, first come first served."""
        with self._lock:
            while self._async_waiters:
                loop, fut = self._async_waiters[0]
                if fut.done() or loop.is_closed():
                    self._async_waiters.popleft()
                    continue
                try:
                    self._get(False)
                except queue.Empty:  # a thread took the token first; the next release comes here
                    return
                self._async_waiters.popleft()
                try:
                    loop.call_soon_threadsafe(self._grant, fut)
                except RuntimeError:  # loop closed between the check and the call
                    self._put(None)

    def _grant(self, fut: asyncio.Future[bool]) -> None:
        if fut.done():  # the waiter timed out or was cancelled: pass the slot on
            self.release()
        else:
            self._note_peak()
            fut.set_result(True)

    def _note_peak(self) -> None:
        # in_flight read right after taking a slot, so it counts this call: a true value
        # at that moment; the lock keeps the maximum from going down under a race
        n = self.in_flight
        with self._lock:
            if n > self.peak:
                self.peak = n
