"""In-memory recording, for tests and for callers that read records back themselves."""

from __future__ import annotations

import threading

from telltale.errors import StoreError
from telltale.record.base import RecorderStats, SinkResult
from telltale.types import PredictionRecord


class MemoryRecorder:
    """Keeps every submitted record in ``records``; nothing is ever written elsewhere.

    >>> from telltale.types import PredictionRecord
    >>> r = MemoryRecorder()
    >>> r.submit(PredictionRecord(id="a", service="eta", ts=0.0, inputs={}))
    >>> [x.id for x in r.records], r.stats.written
    (['a'], 1)
    """

    def __init__(self) -> None:
        self.records: list[PredictionRecord] = []
        self._closed = False
        self._dropped_closed = 0

    def submit(self, record: PredictionRecord) -> None:
        if self._closed:
            self._dropped_closed += 1
            return
        self.records.append(record)  # list.append is atomic under the GIL

    def flush(self, timeout: float | None = None) -> bool:
        return True

    def close(self, timeout: float | None = None) -> None:
        self._closed = True

    @property
    def stats(self) -> RecorderStats:
        n = len(self.records)
        dropped = {"closed": self._dropped_closed} if self._dropped_closed else {}
        return RecorderStats(queued=n + self._dropped_closed, written=n, dropped=dropped)


class MemorySink:
    """A sink that keeps records by id (a replayed id is stored once, as a store does).

    Set ``down = True`` to make ``write`` raise ``StoreError`` as an unreachable store
    would; ``writes`` counts successful batches.
    """

    def __init__(self) -> None:
        self.by_id: dict[str, PredictionRecord] = {}
        self.down = False
        self.writes = 0
        self.duplicates = 0
        self._lock = threading.Lock()

    def write(self, records: list[PredictionRecord]) -> SinkResult | None:
        if self.down:
            raise StoreError("MemorySink is down (down=True); set down=False to accept writes")
        with self._lock:
            dup = 0
            for r in records:
                if r.id in self.by_id:
                    dup += 1
                else:
                    self.by_id[r.id] = r
            self.writes += 1
            self.duplicates += dup
        return SinkResult(duplicates=dup) if dup else None

    @property
    def records(self) -> list[PredictionRecord]:
        with self._lock:
            return list(self.by_id.values())
