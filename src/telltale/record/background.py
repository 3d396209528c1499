"""The background recorder: a bounded queue, a batching writer, a spill, and replay.

``submit`` appends to a deque and returns: no lock, no I/O, no exception, about a
microsecond. A writer thread takes batches off the queue and hands each to the sink on a
second thread, so a sink that hangs holds up neither the caller nor the writer: while it
waits, the writer keeps the queue below half full by spilling, and past ``sink_timeout_s``
it gives up on the call, spills the batch and treats the sink as down. While the sink is
down every batch goes to the spill, and the writer probes the sink with backoff by
replaying the oldest spilled batch; when that succeeds it replays the rest, oldest first,
in between live batches. Without a spill directory the records that cannot be written are
dropped, and every drop is counted by reason (``RecorderStats.dropped``): a record is
never lost silently. Records the sink refuses for good are never retried: they are
counted (``rejected``) and kept in the dead-letter file (``record/deadletter.py``). A
sink that asks for time (``RetryLater`` with a Retry-After) is not probed sooner.

``durable=True`` appends each record to the spill and fsyncs it inside ``submit``; the
writer then sends it from there, so SIGKILL loses nothing. In the default mode SIGKILL
loses what is in memory; ``record/tally.py`` lets the next recorder count it.
``close()`` keeps delivering until its timeout and logs what is left.

Delivery is at least once (a batch that timed out may still land, then be replayed), so
the sink must store a record id once; the store and the server do.

Retry timing runs on the real monotonic clock, not the injected one: it paces real I/O
against a real destination. The injected clock only names spill segments.
"""

from __future__ import annotations

import atexit
import logging
import os
import random
import threading
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path

from telltale.clock import SYSTEM_CLOCK, Clock
from telltale.record._caller import SinkCaller, register_atexit, register_fork_handler
from telltale.record.base import RecorderStats, RetryLater, Sink
from telltale.record.deadletter import DeadLetter
from telltale.record.spill import SegmentReader, SpillFull, SpillLog, encode
from telltale.record.tally import HeldTally, collect_dead
from telltale.types import PredictionRecord

log = logging.getLogger("telltale.record")

_now = time.monotonic  # real time for I/O pacing; see the module docstring
_POLL_S = 0.02  # how often the writer looks at the queue while a sink call is out


class BackgroundRecorder:
    """Records in the background; spills to ``spill_dir`` while the sink is down.

    ``max_queue`` bounds memory (records waiting for the writer); ``batch_size`` records
    go to the sink per call, and a partial batch waits at most ``flush_interval_s``.
    ``sink_timeout_s`` is how long one sink call may take before its batch is spilled.
    A down sink is probed after ``probe_interval_s``, doubling up to
    ``max_probe_interval_s`` while it stays down. ``spill_dir=None`` means no spill:
    records that cannot be written are dropped and counted. ``durable=True`` (needs a
    spill) puts every record on disk before ``submit`` returns. ``dead_letter`` is where
    refused records are kept: ``True`` for ``<spill_dir>/dead-letter.jsonl``, a path, or
    ``False`` to count them only.
    """

    def __init__(
        self,
        sink: Sink,
        *,
        spill_dir: str | os.PathLike[str] | None = None,
        max_queue: int = 100_000,
        batch_size: int = 500,
        flush_interval_s: float = 0.2,
        sink_timeout_s: float = 10.0,
        probe_interval_s: float = 0.5,
        max_probe_interval_s: float = 30.0,
        max_spill_bytes: int = 1 << 30,
        max_segment_bytes: int = 16 << 20,
        close_timeout_s: float = 5.0,
        durable: bool = False,
        dead_letter: str | os.PathLike[str] | bool = True,
        clock: Clock = SYSTEM_CLOCK,
        name: str = "telltale-recorder",
    ) -> None:
        for pname, v in (("max_queue", max_queue), ("batch_size", batch_size)):
            if not isinstance(v, int) or v < 1:
                raise ValueError(f"BackgroundRecorder {pname} must be a positive int, got {v!r}")
        for pname, f in (("flush_interval_s", flush_interval_s), ("sink_timeout_s", sink_timeout_s),
                         ("probe_interval_s", probe_interval_s), ("max_probe_interval_s", max_probe_interval_s),
                         ("close_timeout_s", close_timeout_s)):
            if not f > 0:
                raise ValueError(f"BackgroundRecorder {pname} must be > 0 seconds, got {f!r}")
        if batch_size > max_queue:
            raise ValueError(f"BackgroundRecorder batch_size ({batch_size}) must not exceed max_queue ({max_queue})")
        if durable and spill_dir is None:
            raise ValueError("BackgroundRecorder durable=True writes every record to spill_dir before submit returns: give a spill_dir")
        self._durable = durable
        if dead_letter is True:
            dead_letter = Path(spill_dir) / "dead-letter.jsonl" if spill_dir is not None else False
        self._dead = DeadLetter(dead_letter) if dead_letter and dead_letter is not True else None
        self._clock = clock
        self._sink = sink
        self._max_queue = max_queue
        self._batch_size = batch_size
        self._high_water = max(batch_size, max_queue // 2)
        self._flush_interval = flush_interval_s
        self._sink_timeout = sink_timeout_s
        self._probe_min = probe_interval_s
        self._probe_max = max(probe_interval_s, max_probe_interval_s)
        self._close_timeout = close_timeout_s
        self._spill_args = (spill_dir, max_segment_bytes, max_spill_bytes, clock)
        self.spill_dir = Path(spill_dir) if spill_dir is not None else None
        self._name = name
        self._open = True
        self._start()
        if self.spill_dir is not None:
            log.info("telltale: recorder %s spills to %s%s", name, self.spill_dir, " (durable: every record before submit returns)" if durable else "")
        self._atexit: Callable[[], None] | None = register_atexit(self)
        register_fork_handler(self)

    def _start(self) -> None:
        """Fresh state and threads: at construction, and in the child after a fork."""
        spill_dir, max_segment_bytes, max_spill_bytes, clock = self._spill_args
        self._spill = (
            SpillLog(spill_dir, max_segment_bytes=max_segment_bytes, max_spill_bytes=max_spill_bytes, clock=clock)
            if spill_dir is not None else None
        )
        self._q: deque[PredictionRecord] = deque()
        # counters: written by the writer thread only, except _dropped (under _lock)
        self._taken = self._written = self._spilled = self._replayed = self._replay_dropped = 0
        self._dropped: dict[str, int] = {}
        self._lock = threading.Lock()
        self._sink_up = True
        self._backoff = self._probe_min
        self._next_probe = 0.0
        self._next_rescan = _now() + 30.0
        self._reader: SegmentReader | None = None
        self._closing = False
        self._deadline = float("inf")  # set by close(): the writer stops trying the sink after it
        self._flush_req = self._flush_done = 0
        self._cv = threading.Condition()
        self._wake = threading.Event()
        # set by submit when it wakes the writer, reset by the writer before it looks at
        # the queue: a plain bool, so a busy caller does not call Event.is_set every time
        self._woken = False
        self._dlock = threading.Lock()  # durable mode: submitters and the writer share the spill
        self._durable_n = 0
        self._in_flight = 0
        self._lost_dead = 0
        self._tally = HeldTally(Path(spill_dir)) if spill_dir is not None else None
        if spill_dir is not None:
            self._lost_dead = collect_dead(Path(spill_dir))
            if self._lost_dead:
                self._dropped["killed"] = self._lost_dead
                self._replay_dropped += self._lost_dead  # counted as queued by the dead process, not this one
        self._caller = SinkCaller(self._sink, self._name)
        self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
        self._thread.start()

    def _after_fork_in_child(self) -> None:
        """The parent's threads did not survive the fork: start this process's own.

        Records queued in the parent at the fork stay the parent's to write; the child
        starts empty, with its own counters, its own spill segments and, through the
        sink's ``after_fork`` when it has one, its own connections.
        """
        if not self._open:
            return
        old_spill, old_reader = self._spill, self._reader
        for f in (getattr(old_spill, "_fd", None),):
            if f is not None:
                try:
                    os.close(f)  # our copy only: the parent keeps its lock on the segment
                except OSError:
                    pass
        if old_reader is not None:
            old_reader.close()
        hook = getattr(self._sink, "after_fork", None)
        if callable(hook):
            hook()
        self._start()

    # -- the hot path ------------------------------------------------------------------

    def submit(self, record: PredictionRecord) -> None:
        """Queue one record for writing; never blocks on I/O, never raises.

        In durable mode the record is appended to the spill and fsync'd before this
        returns (it costs a disk flush; see bench/README.md), then sent from there.
        """
        if self._durable and self._open:
            try:
                if self._journal(record):
                    return
            except Exception:  # noqa: BLE001 (submit never raises; the queue takes it)
                pass
        q = self._q
        if self._open and len(q) < self._max_queue:
            q.append(record)
            if len(q) >= self._batch_size and not self._woken:
                self._woken = True
                self._wake.set()
            return
        try:
            self._drop("queue_full" if self._open else "closed", 1)
        except Exception:  # noqa: BLE001 (submit never raises)
            pass

    def _journal(self, record: PredictionRecord) -> bool:
        """Durable mode: the record on disk (fsync'd) before return; False if that failed."""
        data, lines, bad = encode([record])
        if bad or self._spill is None:
            return False
        with self._dlock:
            try:
                self._spill.append(data, lines)
            except OSError as e:
                log.error("telltale: durable recording to %s failed (%s); this record goes through the memory queue", self.spill_dir, e)
                return False
            self._durable_n += 1
        return True  # the writer sends it from the spill at its next loop (flush_interval_s)

    # -- caller-side control -------------------------------------------------------------

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until every record submitted before this call is stored or spilled."""
        if not self._thread.is_alive():
            return not self._q
        with self._cv:
            self._flush_req += 1
            mine = self._flush_req
            self._wake.set()
            self._cv.wait_for(lambda: self._flush_done >= mine or not self._thread.is_alive(), timeout)
            return self._flush_done >= mine

    def wait_idle(self, timeout: float) -> bool:
        """Wait until the queue is empty, nothing is left in the spill and the sink is up."""
        end = _now() + timeout
        while True:
            s = self.stats
            if s.queue_depth == 0 and s.spill_pending == 0 and s.sink_up and self.flush(max(0.0, end - _now())):
                s = self.stats
                if s.queue_depth == 0 and s.spill_pending == 0 and s.sink_up:
                    return True
            if _now() >= end:
                return False
            self._wake.set()
            time.sleep(0.02)

    def close(self, timeout: float | None = None) -> None:
        """Write what is queued (for at most ``timeout`` s), spill the rest, stop the threads."""
        with self._lock:
            if not self._open:
                return
            self._open = False
        t = self._close_timeout if timeout is None else timeout
        self._deadline = _now() + t
        self._closing = True
        self._wake.set()
        self._thread.join(t + 2.0 + len(self._q) * 1e-4)  # time to spill what is left, too
        self._caller.stop()
        if self._atexit is not None:
            atexit.unregister(self._atexit)
            self._atexit = None

    @property
    def stats(self) -> RecorderStats:
        with self._lock:
            dropped = dict(self._dropped)
        depth = len(self._q)
        submit_drops = dropped.get("queue_full", 0) + dropped.get("closed", 0)
        return RecorderStats(
            queued=self._taken + depth + submit_drops + self._durable_n,
            written=self._written,
            spilled=self._spilled + self._durable_n,
            replayed=self._replayed,
            dropped=dropped,
            replay_dropped=self._replay_dropped,
            queue_depth=depth,
            spill_pending=self._spill.pending if self._spill else 0,
            spill_bytes=self._spill.bytes if self._spill else 0,
            sink_up=self._sink_up,
            dead_lettered=self._dead.written if self._dead is not None else 0,
            dead_letter_path=str(self._dead.path) if self._dead is not None else None,
            spill_dir=str(self.spill_dir) if self.spill_dir is not None else None,
            lost_by_dead_process=self._lost_dead,
        )

    # -- the writer thread -----------------------------------------------------------------

    def _run(self) -> None:
        while True:
            try:
                if self._closing:
                    self._final()
                    return
                self._wake.clear()
                self._woken = False  # after the clear, before the queue is looked at: no wake-up is lost
                if len(self._q) < self._batch_size and self._flush_req == self._flush_done:
                    self._wake.wait(self._flush_interval)
                req = self._flush_req
                self._drain(len(self._q))
                self._recover()
                if self._tally is not None:
                    self._tally.update(len(self._q) + self._in_flight)
                if req != self._flush_done:
                    with self._cv:
                        self._flush_done = req
                        self._cv.notify_all()
            except Exception:  # a bug here must not stop recording for good
                log.exception("telltale: recorder writer loop failed; continuing")
                time.sleep(0.05)

    def _final(self) -> None:
        """On close: deliver what is queued and spilled while time remains, spill the rest,
        and say what is left."""
        try:
            while True:
                self._drain(len(self._q))
                self._recover(final=True)
                pending = self._spill.pending if self._spill is not None else 0
                if (not self._q and not pending) or _now() >= self._deadline:
                    break
                time.sleep(max(0.0, min(0.05, self._deadline - _now(), self._next_probe - _now() if not self._sink_up else 0.05)))
            self._drain(len(self._q))  # records that slipped in while the flag was set
            with self._dlock:
                if self._reader is not None:
                    self._reader.close()
                    self._reader = None
                if self._spill is not None:
                    self._spill.close()
            if self._tally is not None:
                self._tally.close()
            self._say_what_is_left()
        finally:
            with self._cv:
                self._flush_done = self._flush_req
                self._cv.notify_all()

    def _say_what_is_left(self) -> None:
        s = self.stats
        dropped = {k: v for k, v in s.dropped.items() if k != "killed"}
        if s.spill_pending:
            log.warning("telltale: recorder closed with %d records not delivered, kept in the spill at %s: the next recorder "
                        "on that directory sends them%s", s.spill_pending, self.spill_dir,
                        f"; dropped so far: {dropped}" if dropped else "")
        elif dropped:
            log.warning("telltale: recorder closed; every record was delivered except those dropped: %s", dropped)

    def _take(self, n: int) -> list[PredictionRecord]:
        q = self._q
        batch = [q.popleft() for _ in range(min(n, len(q)))]
        self._taken += len(batch)
        return batch

    def _drain(self, n: int) -> None:
        while n > 0:
            batch = self._take(min(n, self._batch_size))
            if not batch:
                return
            n -= len(batch)
            self._in_flight = len(batch)
            try:
                sent = self._send_allowed() and self._send(batch, replay=False)
            except Exception:  # noqa: BLE001 (a batch in hand is never lost uncounted)
                log.exception("telltale: sending a batch failed unexpectedly; spilling it")
                sent = False
            if not sent:
                self._spill_batch(batch, "no_spill")
            self._in_flight = 0

    def _send_allowed(self) -> bool:
        if self._caller.busy or _now() >= self._deadline:
            return False
        return self._sink_up or _now() >= self._next_probe

    def _send(self, records: list[PredictionRecord], *, replay: bool) -> bool:
        """One sink call; True if it returned. Counts written/replayed and rejections."""
        job = self._caller.start(records)
        limit = _now() + self._sink_timeout
        while not job.done.wait(_POLL_S):
            self._relieve_pressure()
            if self._tally is not None:
                self._tally.update(len(self._q) + self._in_flight)
            if _now() >= min(limit, self._deadline):  # close() may bring the deadline in
                self._mark_down(f"no answer within {self._sink_timeout:g} s (sink_timeout_s)")
                return False
        if job.error is not None:
            wait = job.error.retry_after_s if isinstance(job.error, RetryLater) else None
            self._mark_down(f"{type(job.error).__name__}: {job.error}", wait)
            return False
        refused = job.result.rejected if job.result is not None else []
        rejected = len(refused)
        if rejected:
            self._drop("rejected", rejected)
            kept = self._dead.add(records, refused, self._clock.now()) if self._dead is not None else 0
            rj = refused[0]
            where = f"; kept in {self._dead.path}" if kept and self._dead is not None else ""
            log.warning("telltale: the destination refused %d of %d records (never retried, dropped as rejected%s); "
                        "first: record %s, field %s: %s", rejected, len(records), where, rj.record_id, rj.field, rj.reason)
        if replay:
            self._replayed += len(records) - rejected
            self._replay_dropped += rejected
        else:
            self._written += len(records) - rejected
        if not self._sink_up:
            log.warning("telltale: sink is back up; replaying %d spilled records", self._spill.pending if self._spill else 0)
        self._sink_up = True
        self._backoff = self._probe_min
        return True

    def _mark_down(self, why: str, retry_after_s: float | None = None) -> None:
        """The sink is down: probe again after the backoff (never sooner than Retry-After)."""
        if self._sink_up:
            where = f"spilling records to {self.spill_dir}" if self.spill_dir is not None else "no spill_dir: records are dropped (no_spill)"
            log.warning("telltale: sink write failed (%s); %s and retrying in %.2g s", why, where,
                        max(self._backoff, retry_after_s or 0.0))
        else:
            self._backoff = min(self._probe_max, self._backoff * 2)
        self._sink_up = False
        self._next_probe = _now() + max(self._backoff * random.uniform(0.8, 1.2), retry_after_s or 0.0)

    def _spill_batch(self, batch: list[PredictionRecord], reason_without_spill: str) -> None:
        if self._spill is None:
            self._drop(reason_without_spill, len(batch))
            return
        try:
            with self._dlock:
                self._append(batch)
        except Exception:  # noqa: BLE001 (every record is counted, whatever went wrong)
            log.exception("telltale: spilling %d records failed unexpectedly; dropped (spill_error)", len(batch))
            self._drop("spill_error", len(batch))

    def _append(self, batch: list[PredictionRecord]) -> None:
        if self._spill is None:
            return
        data, lines, bad = encode(batch)
        if bad:
            self._drop("unserializable", bad)
        try:
            self._spill.append(data, lines)
        except SpillFull as e:
            self._drop("spill_full", lines)
            log.error("telltale: %s; dropped %d records (spill_full)", e, lines)
            return
        except OSError as e:
            self._drop("spill_error", lines)
            log.error("telltale: cannot write spill in %s (%s); dropped %d records (spill_error)", self._spill.directory, e, lines)
            return
        self._spilled += lines

    def _relieve_pressure(self) -> None:
        """While a sink call is out, keep the queue under half full by spilling."""
        if self._spill is None:
            return
        while len(self._q) > self._high_water:
            self._spill_batch(self._take(self._batch_size), "queue_full")

    def _drop(self, reason: str, n: int) -> None:
        with self._lock:
            first = reason not in self._dropped
            self._dropped[reason] = self._dropped.get(reason, 0) + n
        if first:
            log.error("telltale: recorder dropped %d records (reason %s); counted in stats.dropped and metrics", n, reason)

    # -- replay --------------------------------------------------------------------------

    def _recover(self, final: bool = False) -> None:
        """Replay spilled batches while the sink answers and the queue is quiet.

        Spill calls hold ``_dlock`` (durable submitters append to the same spill); the
        sink call does not.
        """
        spill = self._spill
        if spill is None or self._caller.busy:
            return
        lock = self._dlock
        if self._sink_up and _now() >= self._next_rescan:
            with lock:
                spill.rescan()
            self._next_rescan = _now() + 30.0
        if spill.active_lines and len(self._q) < self._batch_size and (
            self._sink_up or (not spill.has_closed_segments and self._send_allowed())
        ):
            with lock:
                spill.rotate()  # our own spill becomes replayable (and, while down, the probe)
        while spill.has_closed_segments and len(self._q) < self._batch_size and (final or not self._closing):
            if not self._send_allowed():
                return
            with lock:
                if self._reader is None:
                    self._reader = self._next_reader(spill)
                    if self._reader is None:
                        return
                batch = self._reader.read(self._batch_size)
                if batch is None:
                    self._reader.finish()
                    self._reader = None
                    continue
            if batch.records and not self._send(batch.records, replay=True):
                with lock:
                    self._reader.close()  # let go of the lock while the sink is down
                    self._reader = None
                return
            if batch.corrupt:
                self._drop("spill_corrupt", batch.corrupt)
                self._replay_dropped += batch.corrupt
            with lock:
                self._reader.commit()

    def _next_reader(self, spill: SpillLog) -> SegmentReader | None:
        for path in spill.segments():
            reader = spill.open_reader(path)
            if reader is not None:
                return reader
        return None
