"""The background recorder: never blocks, never loses a record without counting it."""

from __future__ import annotations

import time
from pathlib import Path

from telltale.errors import StoreError
from telltale.record import BackgroundRecorder, MemorySink, Rejection, SinkResult
from telltale.types import PredictionRecord
from tests.record.helpers import HangingSink, make_records


def _accounted(rec: BackgroundRecorder) -> None:
    """queued == written + spilled + dropped (minus drops of records read back from the spill)."""
    s = rec.stats
    assert s.queued == s.written + s.spilled + s.dropped_total - s.replay_dropped, s


def test_flush_writes_every_record_once_in_batches() -> None:
    sink = MemorySink()
    rec = BackgroundRecorder(sink, batch_size=100, flush_interval_s=0.05)
    records = make_records(1_050)
    for r in records:
        rec.submit(r)
    assert rec.flush(10.0)
    assert set(sink.by_id) == {r.id for r in records}
    assert sink.duplicates == 0
    assert sink.writes >= 11  # 1,050 records in batches of at most 100
    s = rec.stats
    assert (s.queued, s.written, s.spilled, s.dropped) == (1_050, 1_050, 0, {})
    rec.close()


def test_a_partial_batch_goes_out_after_flush_interval_without_flush() -> None:
    sink = MemorySink()
    rec = BackgroundRecorder(sink, batch_size=1_000, flush_interval_s=0.05)
    rec.submit(make_records(1)[0])
    deadline = time.monotonic() + 5.0
    while not sink.by_id and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(sink.by_id) == 1
    rec.close()


def test_submit_never_blocks_while_the_sink_hangs(tmp_path: Path, hanging_sink: HangingSink) -> None:
    rec = BackgroundRecorder(hanging_sink, spill_dir=tmp_path / "spill", max_queue=20_000, batch_size=500, sink_timeout_s=0.3)
    records = make_records(100_000)
    worst = 0.0
    t_all = time.perf_counter()
    for r in records:
        t = time.perf_counter()
        rec.submit(r)
        worst = max(worst, time.perf_counter() - t)
    elapsed = time.perf_counter() - t_all
    print(f"\n100k submits with a hung sink: {elapsed * 1e3:.0f} ms in all, {elapsed / 1e5 * 1e9:.0f} ns each, worst {worst * 1e6:.0f} us")
    # every submit returned while the sink's first call was still stuck
    assert hanging_sink.calls == 1 and hanging_sink.returned == 0
    assert rec.flush(30.0)
    assert hanging_sink.returned == 0
    s = rec.stats
    assert s.queued == 100_000
    assert s.written == 0
    assert not s.sink_up
    assert set(s.dropped) <= {"queue_full"}
    assert s.spilled > 0 and s.spilled == s.spill_pending
    _accounted(rec)
    rec.close(timeout=0.5)
    _accounted(rec)


def test_without_a_spill_a_hung_sink_means_counted_drops(hanging_sink: HangingSink) -> None:
    rec = BackgroundRecorder(hanging_sink, max_queue=1_000, batch_size=100, sink_timeout_s=2.0)
    for r in make_records(20_000):
        rec.submit(r)
    assert rec.flush(30.0)
    s = rec.stats
    assert s.queued == 20_000 and s.written == 0 and s.spilled == 0
    assert s.dropped_total == 20_000
    assert s.dropped.get("queue_full", 0) > 0  # the queue filled while the writer waited on the sink
    assert s.dropped.get("no_spill", 0) >= 100  # at least the batch out with the hung call
    assert set(s.dropped) <= {"queue_full", "no_spill"}
    rec.close(timeout=0.2)


def test_a_down_sink_spills_and_everything_is_replayed_once_it_is_back(tmp_path: Path) -> None:
    sink = MemorySink()
    sink.down = True
    rec = BackgroundRecorder(sink, spill_dir=tmp_path / "spill", batch_size=100, probe_interval_s=0.05, max_probe_interval_s=0.1)
    records = make_records(2_000)
    for r in records:
        rec.submit(r)
    assert rec.flush(10.0)
    s = rec.stats
    assert (s.written, s.spilled, s.spill_pending) == (0, 2_000, 2_000)
    assert not s.sink_up and not sink.by_id
    sink.down = False
    assert rec.wait_idle(20.0)
    assert set(sink.by_id) == {r.id for r in records}
    s = rec.stats
    assert (s.replayed, s.spill_pending, s.dropped) == (2_000, 0, {})
    assert not list((tmp_path / "spill").glob("seg-*"))  # segments deleted once replayed
    _accounted(rec)
    rec.close()


def test_a_down_sink_is_probed_with_backoff_not_once_per_batch(tmp_path: Path) -> None:
    class CountingDownSink:
        calls = 0

        def write(self, records: list[PredictionRecord]) -> None:
            self.calls += 1
            raise StoreError("down")

    sink = CountingDownSink()
    rec = BackgroundRecorder(sink, spill_dir=tmp_path / "spill", batch_size=10, probe_interval_s=60.0)
    for r in make_records(5_000):
        rec.submit(r)
    assert rec.flush(10.0)
    assert sink.calls == 1  # the first failure; the next try waits out the probe interval
    assert rec.stats.spilled == 5_000
    rec.close(timeout=0.5)


def test_close_spills_what_it_cannot_write_and_the_next_recorder_replays_it(tmp_path: Path) -> None:
    spill = tmp_path / "spill"
    down = MemorySink()
    down.down = True
    first = BackgroundRecorder(down, spill_dir=spill, batch_size=50)
    records = make_records(777)
    for r in records:
        first.submit(r)
    first.close(timeout=2.0)
    assert first.stats.spilled == 777
    first.submit(make_records(1)[0])
    assert first.stats.dropped == {"closed": 1}

    lines = sum(p.read_bytes().count(b"\n") for p in spill.glob("seg-*.jsonl"))
    assert lines == 777

    up = MemorySink()
    second = BackgroundRecorder(up, spill_dir=spill, batch_size=50)
    assert second.wait_idle(20.0)
    assert set(up.by_id) == {r.id for r in records}
    assert second.stats.replayed == 777
    second.close()


def test_records_the_destination_refuses_are_counted_as_rejected() -> None:
    class PickySink(MemorySink):
        def write(self, records: list[PredictionRecord]) -> SinkResult | None:
            bad = [r for r in records if r.id.endswith("3")]
            super().write([r for r in records if r not in bad])
            return SinkResult(rejected=[Rejection(r.id, "ts", "must be finite") for r in bad])

    sink = PickySink()
    rec = BackgroundRecorder(sink, batch_size=64)
    records = make_records(1_000)
    for r in records:
        rec.submit(r)
    assert rec.flush(10.0)
    s = rec.stats
    assert s.dropped == {"rejected": 100} and s.written == 900
    assert len(sink.by_id) == 900
    _accounted(rec)
    rec.close()


def test_an_unusable_spill_directory_counts_spill_errors(tmp_path: Path) -> None:
    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("x")
    sink = MemorySink()
    sink.down = True
    rec = BackgroundRecorder(sink, spill_dir=not_a_dir / "spill", batch_size=100, probe_interval_s=60.0)
    for r in make_records(1_000):
        rec.submit(r)
    assert rec.flush(10.0)
    assert rec.stats.dropped == {"spill_error": 1_000}
    _accounted(rec)
    rec.close(timeout=0.2)


def test_a_full_spill_counts_spill_full(tmp_path: Path) -> None:
    sink = MemorySink()
    sink.down = True
    rec = BackgroundRecorder(sink, spill_dir=tmp_path / "spill", batch_size=100, probe_interval_s=60.0,
                             max_spill_bytes=200_000, max_segment_bytes=50_000)
    for r in make_records(2_000):
        rec.submit(r)
    assert rec.flush(10.0)
    s = rec.stats
    assert 0 < s.spilled < 2_000
    assert s.dropped == {"spill_full": 2_000 - s.spilled}
    assert s.spill_bytes <= 200_000
    assert sum(p.stat().st_size for p in (tmp_path / "spill").glob("seg-*")) == s.spill_bytes
    rec.close(timeout=0.2)


def test_constructor_rejects_bad_settings() -> None:
    import pytest

    with pytest.raises(ValueError, match="batch_size"):
        BackgroundRecorder(MemorySink(), batch_size=0)
    with pytest.raises(ValueError, match="must not exceed max_queue"):
        BackgroundRecorder(MemorySink(), batch_size=10, max_queue=5)
    with pytest.raises(ValueError, match="sink_timeout_s"):
        BackgroundRecorder(MemorySink(), sink_timeout_s=0)


def test_many_submitters_and_a_flaky_sink_still_store_every_record_exactly_once(tmp_path: Path) -> None:
    import random
    import threading

    class FlakySink(MemorySink):
        """Fails a third of its calls (seeded), sometimes after storing half the batch."""

        def __init__(self) -> None:
            super().__init__()
            self.rng = random.Random(7)
            self.failures = 0

        def write(self, records: list[PredictionRecord]) -> SinkResult | None:
            roll = self.rng.random()
            if roll < 0.15:
                self.failures += 1
                raise StoreError("flaky: refused the connection")
            if roll < 0.33:  # died mid-commit: half the batch landed, the caller saw an error
                super().write(records[: len(records) // 2])
                self.failures += 1
                raise StoreError("flaky: connection reset after a partial write")
            return super().write(records)

    sink = FlakySink()
    rec = BackgroundRecorder(sink, spill_dir=tmp_path / "spill", batch_size=200, max_queue=20_000,
                             flush_interval_s=0.01, probe_interval_s=0.01, max_probe_interval_s=0.05)
    per_thread, threads = 5_000, 4
    batches = [make_records(per_thread, tag=f"t{k}") for k in range(threads)]

    def produce(records: list[PredictionRecord]) -> None:
        for r in records:
            rec.submit(r)
            if r.id.endswith(("00", "25", "50", "75")):
                time.sleep(0.001)  # a guard's pace, not a tight loop: the writer interleaves

    workers = [threading.Thread(target=produce, args=(b,)) for b in batches]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert rec.wait_idle(60.0), rec.stats
    rec.close()
    s = rec.stats
    assert sink.failures > 5 and s.spilled > 0  # the failures really happened
    assert s.dropped == {} and s.queued == per_thread * threads
    assert s.written + s.replayed == per_thread * threads
    _accounted(rec)
    assert set(sink.by_id) == {r.id for b in batches for r in b}
    assert not list((tmp_path / "spill").glob("seg-*"))


def test_a_forked_child_records_with_threads_of_its_own(sqlite_url: str, tmp_path: Path) -> None:
    import os

    from telltale.record import StoreSink
    from telltale.store import Store

    rec = BackgroundRecorder(StoreSink(sqlite_url, "default"), spill_dir=tmp_path / "spill", batch_size=100)
    parent, child = make_records(300, tag="parent"), make_records(200, tag="child")
    for r in parent[:150]:
        rec.submit(r)
    assert rec.flush(30.0)
    pid = os.fork()
    if pid == 0:  # the child: its recorder must write without the parent's threads
        code = 1
        try:
            for r in child:
                rec.submit(r)
            rec.close(timeout=30.0)
            s = rec.stats
            code = 0 if (s.queued, s.written, s.dropped) == (200, 200, {}) else 3
        finally:
            os._exit(code)
    for r in parent[150:]:
        rec.submit(r)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    rec.close()
    assert rec.stats.written == 300
    store = Store.open(sqlite_url)
    try:
        ids = {r.id for r in store.read_predictions("default", "eta", 0, 2e9, limit=1_000)}
    finally:
        store.close()
    assert ids == {r.id for r in parent + child}


def test_close_keeps_its_timeout_even_with_a_sink_call_hanging(tmp_path: Path, hanging_sink: HangingSink) -> None:
    rec = BackgroundRecorder(hanging_sink, spill_dir=tmp_path / "spill", batch_size=100, sink_timeout_s=60.0)
    for r in make_records(1_000):
        rec.submit(r)
    while hanging_sink.calls == 0:
        time.sleep(0.005)
    t = time.monotonic()
    rec.close(timeout=0.5)
    waited = time.monotonic() - t
    assert waited < 30.0  # the close deadline, not the 60 s sink timeout, bounded the wait
    s = rec.stats
    assert (s.written, s.spilled, s.dropped) == (0, 1_000, {})
