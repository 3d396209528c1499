"""The spill on disk: durable appends, torn tails, locks between processes, deletion after replay."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from telltale.record import BackgroundRecorder, StoreSink
from telltale.record.spill import SpillFull, SpillLog, encode
from telltale.store import Store
from tests.record.helpers import make_records

ROOT = Path(__file__).resolve().parents[2]


def _append(log: SpillLog, records: list) -> None:
    data, lines, bad = encode(records)
    assert bad == 0
    log.append(data, lines)


def _read_all(log: SpillLog) -> tuple[list[str], int]:
    ids: list[str] = []
    corrupt = 0
    for path in log.segments():
        reader = log.open_reader(path)
        assert reader.path == path  # locked for this replay
        while (batch := reader.read(7)) is not None:
            ids += [r.id for r in batch.records]
            corrupt += batch.corrupt
            reader.commit()
        reader.finish()
    return ids, corrupt


def test_records_round_trip_and_segments_are_deleted_after_replay(tmp_path: Path) -> None:
    log = SpillLog(tmp_path / "s", max_segment_bytes=4_000)
    records = make_records(50)
    records[3].inputs["when"] = __import__("datetime").date(2026, 1, 2)  # not JSON: written as ISO text
    for i in range(0, 50, 10):
        _append(log, records[i:i + 10])
    assert log.pending == 50
    log.rotate()
    segments = log.segments()
    assert len(segments) > 1  # rotated by size
    ids, corrupt = _read_all(log)
    assert ids == [r.id for r in records] and corrupt == 0
    assert log.pending == 0 and log.bytes == 0
    assert not list((tmp_path / "s").iterdir())


def test_a_torn_last_line_is_skipped_and_a_corrupt_line_is_counted(tmp_path: Path) -> None:
    d = tmp_path / "s"
    d.mkdir()
    good = [json.dumps(r.to_dict()) for r in make_records(3)]
    (d / "seg-00000000000000000001-1-000001.jsonl").write_text(good[0] + "\n{not json\n" + good[1] + "\n" + good[2][:40])
    log = SpillLog(d)
    ids, corrupt = _read_all(log)
    assert ids == [json.loads(good[0])["id"], json.loads(good[1])["id"]]
    assert corrupt == 1


def test_a_segment_being_written_by_another_spill_is_not_replayed(tmp_path: Path) -> None:
    writer = SpillLog(tmp_path / "s")
    _append(writer, make_records(5))  # active segment, held under flock
    other = SpillLog(tmp_path / "s")
    assert len(other.segments()) == 1
    assert other.open_reader(other.segments()[0]) is None
    writer.rotate()  # closed: now anyone may replay it
    reader = other.open_reader(other.segments()[0])
    assert reader.path == other.segments()[0]
    batch = reader.read(100)
    assert batch is not None and len(batch.records) == 5
    reader.close()


def test_the_size_limit_refuses_appends(tmp_path: Path) -> None:
    log = SpillLog(tmp_path / "s", max_segment_bytes=1_000, max_spill_bytes=3_000)
    data, lines, _ = encode(make_records(4))
    log.append(data, lines)
    with pytest.raises(SpillFull, match="max_spill_bytes"):
        for _ in range(10):
            log.append(data, lines)
    assert log.bytes <= 3_000


_CHILD = textwrap.dedent("""
    import sys, time
    from telltale.record import BackgroundRecorder, StoreSink
    from tests.record.helpers import make_records

    spill, n, tag = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    # a PostgreSQL that is not there: nothing listens on port 9
    sink = StoreSink("postgresql+psycopg://nobody@127.0.0.1:9/none?connect_timeout=2", "default")
    rec = BackgroundRecorder(sink, spill_dir=spill, batch_size=250, probe_interval_s=60.0)
    for r in make_records(n, tag=tag):
        rec.submit(r)
    rec.flush(60.0)
    while rec.stats.spilled < n:
        time.sleep(0.01)
    print("SPILLED", rec.stats.spilled, flush=True)
    time.sleep(600)
""")


def test_records_spilled_by_a_process_killed_with_sigkill_are_replayed_by_the_next(db_url: str, tmp_path: Path) -> None:
    n, tag = 3_000, "killed"
    spill = tmp_path / "spill"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen([sys.executable, "-c", _CHILD, str(spill), str(n), tag], stdout=subprocess.PIPE, text=True, env=env)
    try:
        line = child.stdout.readline() if child.stdout else ""
        assert line.split() == ["SPILLED", str(n)], line
        child.send_signal(signal.SIGKILL)
        assert child.wait(10) == -signal.SIGKILL
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert sum(p.read_bytes().count(b"\n") for p in spill.glob("seg-*.jsonl")) == n

    store = Store.open(db_url)
    try:
        rec = BackgroundRecorder(StoreSink(store, "default"), spill_dir=spill, batch_size=500)
        assert rec.wait_idle(60.0)
        rec.close()
        assert rec.stats.replayed == n
        assert store.count_predictions("default", "eta") == n
        stored = {r.id for r in store.read_predictions("default", "eta", 0, 2e9, limit=n + 10)}
        assert stored == {r.id for r in make_records(n, tag=tag)}
        assert not list(spill.glob("seg-*"))
    finally:
        store.close()


def test_a_dead_processs_temporary_segment_is_cleaned_up_and_a_live_ones_kept(tmp_path: Path) -> None:
    d = tmp_path / "s"
    d.mkdir()
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead_pid = int(dead.stdout)
    (d / f".seg-00000000000000000001-{dead_pid}-000001.tmp").write_bytes(b"")
    (d / f".seg-00000000000000000001-{os.getppid()}-000001.tmp").write_bytes(b"")
    SpillLog(d)
    assert sorted(p.name for p in d.iterdir()) == [f".seg-00000000000000000001-{os.getppid()}-000001.tmp"]
