"""The guard's feedback channel: events leave ``guard.feedback`` through a background
recorder, like the guard's records, so the caller never waits on I/O.

The destination is ``feedback_to`` when the guard was given one, else where the guard
records: its ``record_to`` URL, or the store or server its recorder's sink writes to.
Feedback is not spilled to disk: while the destination is down, events are dropped and
counted (``guard.feedback_stats.dropped``); send them again with a
:class:`~telltale.feedback.FeedbackClient` from your own queue when losing one matters.
"""

from __future__ import annotations

import os
import threading
from typing import Any

from telltale.feedback.event import FeedbackEvent
from telltale.feedback.sinks import FeedbackHttpSink, FeedbackStoreSink
from telltale.record.base import RecorderStats


class FeedbackChannel:
    """Lazily opens a background recorder for feedback on the first event."""

    def __init__(self, target: Any, *, project: str, token: str | None, recorder: Any = None) -> None:
        self._target, self._project, self._token, self._records = target, project, token, recorder
        self._recorder: Any = None
        self._lock = threading.Lock()

    def submit(self, event: FeedbackEvent) -> None:
        rec = self._recorder
        if rec is None:
            with self._lock:
                if self._recorder is None:
                    self._recorder = self._open()
                rec = self._recorder
        rec.submit(event)

    @property
    def stats(self) -> RecorderStats:
        return self._recorder.stats if self._recorder is not None else RecorderStats()

    def flush(self, timeout: float | None = None) -> bool:
        return True if self._recorder is None else self._recorder.flush(timeout)

    def close(self, timeout: float | None = None) -> None:
        if self._recorder is not None:
            self._recorder.close(timeout)

    def _open(self) -> Any:
        from telltale.record.background import BackgroundRecorder
        from telltale.record.memory import MemoryRecorder

        target = self._target if self._target is not None else _destination_of(self._records)
        if target is None or isinstance(target, MemoryRecorder) or (isinstance(target, str) and target.startswith("memory://")):
            return target if isinstance(target, MemoryRecorder) else MemoryRecorder()
        if isinstance(target, str) and target.startswith(("http://", "https://")):
            sink: Any = FeedbackHttpSink(target, self._token or os.environ.get("TELLTALE_TOKEN") or "")
        elif hasattr(target, "write_feedback") or isinstance(target, str):
            sink = FeedbackStoreSink(target, self._project)
        elif isinstance(target, tuple):  # (server URL, token) found on an HTTP recorder
            sink = FeedbackHttpSink(*target)
        else:
            raise ValueError(f"guard.feedback cannot send to {target!r}: pass feedback_to=<store URL, Store or http(s) URL>")
        return BackgroundRecorder(sink, spill_dir=None, name="telltale-feedback")


def _destination_of(recorder: Any) -> Any:
    """Where an explicitly given recorder writes: its store, its server, or itself if in memory."""
    from telltale.record.memory import MemoryRecorder
    from telltale.record.sinks import HttpSink, StoreSink

    if recorder is None or isinstance(recorder, MemoryRecorder):
        return recorder
    sink = getattr(recorder, "_sink", None)
    if isinstance(sink, StoreSink):
        return sink._store or sink._url  # noqa: SLF001 - the recorder's own destination, read once
    if isinstance(sink, HttpSink):
        return (sink.base_url, sink._headers["Authorization"].removeprefix("Bearer "))  # noqa: SLF001
    return None
