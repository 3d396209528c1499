"""MemoryRecorder and MemorySink: the in-memory pieces tests and small tools rely on."""

from __future__ import annotations

import pytest

from telltale.errors import StoreError
from telltale.record import MemoryRecorder, MemorySink, Recorder, Sink
from tests.record.helpers import make_records


def test_memory_recorder_keeps_records_in_order_and_counts_late_ones() -> None:
    rec = MemoryRecorder()
    assert isinstance(rec, Recorder)
    records = make_records(3)
    for r in records:
        rec.submit(r)
    rec.close()
    rec.submit(make_records(1)[0])
    assert [r.id for r in rec.records] == [r.id for r in records]
    s = rec.stats
    assert (s.queued, s.written, s.dropped) == (4, 3, {"closed": 1})


def test_memory_sink_stores_an_id_once_and_can_be_down() -> None:
    sink = MemorySink()
    assert isinstance(sink, Sink)
    records = make_records(4)
    assert sink.write(records) is None
    result = sink.write(records[:2])
    assert result is not None and result.duplicates == 2
    assert len(sink.records) == 4
    sink.down = True
    with pytest.raises(StoreError, match="down"):
        sink.write(records)
