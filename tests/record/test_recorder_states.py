"""A Hypothesis state machine over the recorder: whatever happens, nothing goes missing.

Steps submit records, take the sink down and bring it back, flush, and close the
recorder to start a new one on the same spill directory (a restart). After every flush
each accepted record is written, spilled or counted as dropped; at the end, with the
sink up, the sink holds every record submitted, each once.
"""

from __future__ import annotations

import itertools
import shutil
import tempfile
from pathlib import Path

from hypothesis import settings, strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from telltale.record import BackgroundRecorder, MemorySink
from tests.record.helpers import make_records

_run = itertools.count()


class RecorderMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.dir = Path(tempfile.mkdtemp(prefix="tt-rec-sm-"))
        self.sink = MemorySink()
        self.submitted: set[str] = set()
        self.tag = f"sm{next(_run)}"
        self.n = 0
        self.rec = self._new()
        self.flushed = True

    def _new(self) -> BackgroundRecorder:
        return BackgroundRecorder(self.sink, spill_dir=self.dir, batch_size=25, max_queue=10_000, flush_interval_s=0.01,
                                  probe_interval_s=0.005, max_probe_interval_s=0.02)

    @rule(k=st.integers(1, 300))
    def submit(self, k: int) -> None:
        for r in make_records(k, start=self.n, tag=self.tag):
            self.rec.submit(r)
            self.submitted.add(r.id)
        self.n += k
        self.flushed = False

    @rule()
    def sink_down(self) -> None:
        self.sink.down = True

    @rule()
    def sink_up(self) -> None:
        self.sink.down = False

    @rule()
    def flush(self) -> None:
        assert self.rec.flush(20.0)
        self.flushed = True

    @rule()
    def restart(self) -> None:
        self.rec.close(timeout=2.0)
        s = self.rec.stats
        assert s.queue_depth == 0
        assert s.queued == s.written + s.spilled + s.dropped_total - s.replay_dropped
        assert s.dropped == {}
        self.rec = self._new()
        self.flushed = True

    @precondition(lambda self: self.flushed)
    @invariant()
    def every_record_is_accounted_for(self) -> None:
        s = self.rec.stats
        assert s.queued == s.written + s.spilled + s.dropped_total - s.replay_dropped + s.queue_depth
        assert s.dropped == {}
        assert set(self.sink.by_id) <= self.submitted

    def teardown(self) -> None:
        try:
            self.sink.down = False
            assert self.rec.wait_idle(30.0), self.rec.stats
            assert set(self.sink.by_id) == self.submitted
            assert not list(self.dir.glob("seg-*"))
        finally:
            self.rec.close(timeout=1.0)
            shutil.rmtree(self.dir, ignore_errors=True)


RecorderMachine.TestCase.settings = settings(max_examples=20, stateful_step_count=12, deadline=None)
TestRecorderStates = RecorderMachine.TestCase
