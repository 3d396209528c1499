"""Deadlines for sync models, and the late answers they leave behind.

A sync function cannot be interrupted, so when a call has a budget the model runs on a
worker thread and the caller waits at most until the deadline, then serves the
fallback. Calls without a budget run inline on the caller's thread and pay nothing for
this. The answer of a model that finishes after the deadline is never returned: it is
written into the call's record (the one record of that call), which is held back for
at most ``grace_s`` after the deadline; a model still running then is recorded as such.
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from telltale.types import PredictionRecord


class WorkerPool:
    """A lazily started thread pool for model calls that must be abandonable."""

    def __init__(self, max_workers: int, name: str) -> None:
        self._max = max_workers
        self._name = name
        self._pool: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()

    def submit(self, fn: Callable[..., Any], *args: Any) -> Future[Any]:
        pool = self._pool
        if pool is None:
            with self._lock:
                if self._pool is None:
                    self._pool = ThreadPoolExecutor(self._max, thread_name_prefix=self._name)
                pool = self._pool
        return pool.submit(fn, *args)

    def shutdown(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)


class LateRecords:
    """Records whose model answer is still running past the deadline.

    ``hold`` keeps a record until ``resolve`` (the late answer arrived) or until the
    grace period ends; either way the record is submitted exactly once.
    """

    def __init__(self, submit: Callable[[PredictionRecord], None], grace_s: float) -> None:
        self._submit = submit
        self.grace_s = grace_s
        self._pending: dict[str, PredictionRecord] = {}
        self._heap: list[tuple[float, int, str]] = []
        self._seq = itertools.count()
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self._closed = False
        self.late_answers = 0
        self.abandoned = 0

    def hold(self, record: PredictionRecord) -> None:
        with self._cond:
            if self._closed:
                self._submit(record)
                return
            self._pending[record.id] = record
            heapq.heappush(self._heap, (time.monotonic() + self.grace_s, next(self._seq), record.id))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="telltale-late", daemon=True)
                self._thread.start()
            self._cond.notify()

    def resolve(self, record_id: str, note: Callable[[PredictionRecord], None]) -> None:
        """The late answer is here: let ``note`` write it into the record, then submit it."""
        with self._cond:
            record = self._pending.pop(record_id, None)
        if record is None:
            return  # the grace period already ended; the record went without it
        try:
            note(record)
        finally:
            self.late_answers += 1
            self._submit(record)

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._closed and (not self._heap or self._heap[0][0] > time.monotonic()):
                    self._cond.wait(self._heap[0][0] - time.monotonic() if self._heap else None)
                if self._closed:
                    return
                _, _, rid = heapq.heappop(self._heap)
                record = self._pending.pop(rid, None)
            if record is not None:
                record.reasons.append(f"model still running {self.grace_s:g} s after the deadline; its answer is not recorded")
                self.abandoned += 1
                self._submit(record)

    def close(self) -> None:
        """Submit every held record now, without its late answer."""
        with self._cond:
            self._closed = True
            pending = list(self._pending.values())
            self._pending.clear()
            self._cond.notify_all()
        for record in pending:
            record.reasons.append("guard closed before the late model answer arrived")
            self._submit(record)

    @property
    def pending(self) -> int:
        return len(self._pending)
