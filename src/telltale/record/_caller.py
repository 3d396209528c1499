"""The background recorder's helpers: the thread that calls the sink, and the exit hook.

The sink is called on a thread of its own so that the writer can stop waiting for a
call that hangs (``BackgroundRecorder``'s ``sink_timeout_s``) and go on spilling.
"""

from __future__ import annotations

import atexit
import os
import queue
import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from telltale.record.base import Sink, SinkResult
from telltale.types import PredictionRecord


@dataclass(slots=True)
class Job:
    records: list[PredictionRecord]
    done: threading.Event
    result: SinkResult | None = None
    error: BaseException | None = None


class SinkCaller:
    """Calls ``sink.write`` on its own thread so the writer can stop waiting for it."""

    def __init__(self, sink: Sink, name: str) -> None:
        self._sink = sink
        self._jobs: queue.SimpleQueue[Job | None] = queue.SimpleQueue()
        self.busy = False
        self._thread = threading.Thread(target=self._run, name=f"{name}-sink", daemon=True)
        self._thread.start()

    def start(self, records: list[PredictionRecord]) -> Job:
        self.busy = True
        job = Job(records, threading.Event())
        self._jobs.put(job)
        return job

    def stop(self) -> None:
        self._jobs.put(None)

    def _run(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            try:
                job.result = self._sink.write(job.records)
            except BaseException as e:  # noqa: BLE001 (reported to the writer, which spills)
                job.error = e
            finally:
                self.busy = False
                job.done.set()


def register_atexit(rec: Any) -> Callable[[], None]:
    """Close (and so flush or spill) at interpreter exit, without keeping ``rec`` alive."""
    ref = weakref.ref(rec)

    def _close_at_exit() -> None:
        r = ref()
        if r is not None:
            r.close()

    atexit.register(_close_at_exit)
    return _close_at_exit


def register_fork_handler(rec: Any) -> None:
    """In a forked child, give ``rec`` threads of its own (a fork copies none)."""
    if not hasattr(os, "register_at_fork"):
        return
    ref = weakref.ref(rec)

    def _in_child() -> None:
        r = ref()
        if r is not None:
            r._after_fork_in_child()

    os.register_at_fork(after_in_child=_in_child)
