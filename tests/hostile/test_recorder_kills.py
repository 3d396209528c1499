"""Issue 10, item 8 (record side): what a killed process loses, re-sends, and counts.

- a replayer killed halfway through a spill segment: the next one starts where it
  stopped (the progress is kept beside the segment), not at the segment's start;
- durable mode: a record is on disk before ``predict`` returns, so SIGKILL loses none;
- default mode: SIGKILL loses what the recorder held in memory, and the next recorder on
  the same spill directory counts it (``dropped["killed"]``);
- ``close()`` with records pending keeps trying until its timeout and says what is left.

The killed processes are real: a child Python process that sends itself SIGKILL.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from telltale.record import BackgroundRecorder, MemorySink
from telltale.record.spill import SpillLog
from tests.record.helpers import make_records

ROOT = Path(__file__).resolve().parents[2]


def _child(code: str, timeout: float = 60.0) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT, capture_output=True, text=True, timeout=timeout)


def _spilled_ids(spill: Path) -> list[str]:
    return [json.loads(line)["id"] for seg in sorted(spill.glob("seg-*.jsonl")) for line in seg.read_text().splitlines()]


def test_a_replayer_killed_halfway_leaves_the_rest_not_the_whole_segment(tmp_path: Path) -> None:
    spill = tmp_path / "spill"
    records = make_records(3_000, tag="replay")
    down = MemorySink()
    down.down = True
    rec = BackgroundRecorder(down, spill_dir=spill, batch_size=500, max_segment_bytes=64 << 20)
    for r in records:
        rec.submit(r)
    rec.close(timeout=0.2)
    assert len(_spilled_ids(spill)) == 3_000
    # a child replays into a sink that SIGKILLs its own process on the third batch
    done = _child(f"""
        import os, signal
        from telltale.record import BackgroundRecorder
        class Sink:
            calls = 0
            def write(self, records):
                Sink.calls += 1
                if Sink.calls == 3:
                    os.kill(os.getpid(), signal.SIGKILL)
                print(len(records), flush=True)
        rec = BackgroundRecorder(Sink(), spill_dir={str(spill)!r}, batch_size=500, probe_interval_s=0.05)
        rec.wait_idle(30)
    """)
    assert done.returncode == -9, done.stderr
    assert done.stdout.split() == ["500", "500"]
    # the next replayer sends what is left: 2,000, not all 3,000 again
    sink = MemorySink()
    again = BackgroundRecorder(sink, spill_dir=spill, batch_size=500, probe_interval_s=0.05)
    assert again.wait_idle(30.0)
    again.close()
    assert len(sink.by_id) == 2_000 and set(sink.by_id) == {r.id for r in records[1_000:]}
    assert not list(spill.glob("seg-*"))  # segments and their progress files are gone


_GUARD_CHILD = """
    import os, signal, sys, time
    from telltale.guard import Guard
    from telltale.record import BackgroundRecorder
    from telltale.spec import load_spec
    class Hangs:
        def write(self, records):
            time.sleep(3600)
    spec = load_spec("examples/eta/telltale.yaml")
    rec = BackgroundRecorder(Hangs(), spill_dir={spill!r}, durable={durable}, sink_timeout_s=600, batch_size=500)
    guard = Guard(spec, model=lambda r: 30.0, fallback=lambda r: 35.0, recorder=rec)
    inputs = dict(distance_km=3.2, prep_time_s=540.0, items=2, hour=12, weekday=3, city="Lyon")
    for i in range(200):
        print(guard.predict(inputs).id, flush=True)
    time.sleep({pause})
    os.kill(os.getpid(), signal.SIGKILL)
"""


def test_durable_mode_loses_no_record_to_sigkill(tmp_path: Path) -> None:
    spill = tmp_path / "spill"
    done = _child(_GUARD_CHILD.format(spill=str(spill), durable=True, pause=0.0))
    assert done.returncode == -9, done.stderr
    ids = done.stdout.split()
    assert len(ids) == 200
    assert sorted(_spilled_ids(spill)) == sorted(ids)  # each on disk before predict returned


def test_default_mode_counts_what_a_killed_process_held_in_memory(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    spill = tmp_path / "spill"
    done = _child(_GUARD_CHILD.format(spill=str(spill), durable=False, pause=0.6))
    assert done.returncode == -9, done.stderr
    assert len(done.stdout.split()) == 200 and _spilled_ids(spill) == []  # all 200 were in memory
    with caplog.at_level(logging.ERROR, logger="telltale.record"):
        rec = BackgroundRecorder(MemorySink(), spill_dir=spill)
    try:
        s = rec.stats
        assert s.dropped == {"killed": 200} and s.lost_by_dead_process == 200
        assert s.queued == s.written + s.spilled + s.dropped_total - s.replay_dropped  # the books still balance
        assert "held 200 records in memory; they are lost and counted as dropped (killed)" in caplog.text
    finally:
        rec.close()
    assert BackgroundRecorder(MemorySink(), spill_dir=spill).stats.dropped == {}  # counted once, not at every start


def test_close_keeps_delivering_until_its_timeout_and_says_what_is_left(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    sink = MemorySink()
    sink.down = True
    rec = BackgroundRecorder(sink, spill_dir=tmp_path / "a", batch_size=50, probe_interval_s=0.05, max_probe_interval_s=0.1)
    for r in make_records(120, tag="late"):
        rec.submit(r)
    threading.Timer(0.5, lambda: setattr(sink, "down", False)).start()  # the destination comes back during close
    t0 = time.monotonic()
    rec.close(timeout=5.0)
    assert time.monotonic() - t0 < 4.0  # returned once everything was delivered
    assert len(sink.by_id) == 120 and rec.stats.spill_pending == 0

    never = MemorySink()
    never.down = True
    rec = BackgroundRecorder(never, spill_dir=tmp_path / "b", batch_size=50, probe_interval_s=0.05)
    for r in make_records(80, tag="left"):
        rec.submit(r)
    t0 = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="telltale.record"):
        rec.close(timeout=1.0)
    took = time.monotonic() - t0
    assert 0.9 <= took < 3.0
    assert rec.stats.spill_pending == 80
    assert f"recorder closed with 80 records not delivered, kept in the spill at {tmp_path / 'b'}" in caplog.text
    assert len(SpillLog(tmp_path / "b").segments()) >= 1
