"""Overhead of ``guard.predict`` over a bare call of the same model, sync and async, next
to the same protection assembled by hand from pydantic + pybreaker + tenacity.

Both stacks get a 20-field record and do the same work per call: validate the record
against the contract (14 bounded floats, 3 bounded ints, 3 categories), take a slot in a
bulkhead of 16 with a 5 ms bounded wait, pass a circuit breaker, call the model under a
retry policy (2 attempts on TimeoutError/ConnectionError), check the output's type and
range, give the call an id and hand a record to a background writer that stores it in a
SQLite file. Telltale records through ``telltale.record.recorder_for("sqlite:///...")``
(a BackgroundRecorder over the real store, minute profiles included); the hand stack
through a ``queue.SimpleQueue`` drained by a thread doing ``executemany`` into SQLite,
which is what one would write by hand.

The model is a cheap arithmetic function so the overhead is not hidden. Each call is
timed alone with ``perf_counter_ns``; overhead per call = call time - the bare call's
median. With ``--rounds N`` the stacks take turns in N blocks, so a change in the
machine's load reaches them alike. Run:

    bash bench/setup_guard.sh            # once: pybreaker + tenacity in bench/.venv-guard
    .venv/bin/python bench/guard_overhead.py [--n 50000]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import platform
import queue
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Literal

HERE = Path(__file__).resolve().parent
GUARD_VENV = HERE / ".venv-guard"


def _load_hand_stack() -> None:
    """Make pybreaker and tenacity importable from the bench venv (never telltale deps)."""
    site = next(GUARD_VENV.glob("lib/python*/site-packages"), None)
    if site is None:
        subprocess.run(["bash", str(HERE / "setup_guard.sh")], check=True)
        site = next(GUARD_VENV.glob("lib/python*/site-packages"))
    sys.path.append(str(site))


_load_hand_stack()

import pybreaker  # noqa: E402
import tenacity  # noqa: E402
from pydantic import BaseModel, ConfigDict, Field, ValidationError  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from telltale import Guard  # noqa: E402
from telltale.record import MemoryRecorder, recorder_for  # noqa: E402
from telltale.spec import spec_from_dict  # noqa: E402

FLOATS = [f"x{i}" for i in range(14)]
INTS = ["items", "hour", "weekday"]
CATS = {"city": ["Lyon", "Paris", "Marseille", "Lille", "Nantes"], "vehicle": ["bike", "scooter", "car"], "tier": ["a", "b", "c"]}


def _spec():
    inputs: dict = {name: {"type": "float", "range": [0, 1000]} for name in FLOATS}
    inputs.update({"items": {"type": "int", "range": [1, 50]}, "hour": {"type": "int", "range": [0, 23]},
                   "weekday": {"type": "int", "range": [0, 6]}})
    inputs.update({name: {"type": "category", "categories": cats} for name, cats in CATS.items()})
    return spec_from_dict({
        "service": "bench", "owner": "bench", "model_version": "v1", "inputs": inputs,
        "output": {"type": "float", "range": [0, 100000]},
        "fallback": [{"default": 35.0}],
        "guard": {"breaker": {"window": "count", "window_size": 100, "failure_rate": 0.5, "min_calls": 20,
                              "open_wait_s": 30, "half_open_calls": 5},
                  "retry": {"max_attempts": 2, "retry_on": ["TimeoutError", "ConnectionError"]},
                  "bulkhead": {"max_concurrent": 16, "max_wait_ms": 5}},
    })


RECORD = {**{name: float(10 + i) for i, name in enumerate(FLOATS)}, "items": 3, "hour": 12, "weekday": 2,
          "city": "Lyon", "vehicle": "bike", "tier": "b"}


def model(r):
    return r["x0"] * 2.0 + r["x1"] + 1.0


async def amodel(r):
    return r["x0"] * 2.0 + r["x1"] + 1.0


# -- the hand-assembled stack ------------------------------------------------------------
class Inputs(BaseModel):
    model_config = ConfigDict(extra="allow")
    x0: float = Field(ge=0, le=1000); x1: float = Field(ge=0, le=1000); x2: float = Field(ge=0, le=1000)  # noqa: E702
    x3: float = Field(ge=0, le=1000); x4: float = Field(ge=0, le=1000); x5: float = Field(ge=0, le=1000)  # noqa: E702
    x6: float = Field(ge=0, le=1000); x7: float = Field(ge=0, le=1000); x8: float = Field(ge=0, le=1000)  # noqa: E702
    x9: float = Field(ge=0, le=1000); x10: float = Field(ge=0, le=1000); x11: float = Field(ge=0, le=1000)  # noqa: E702
    x12: float = Field(ge=0, le=1000); x13: float = Field(ge=0, le=1000)  # noqa: E702
    items: int = Field(ge=1, le=50); hour: int = Field(ge=0, le=23); weekday: int = Field(ge=0, le=6)  # noqa: E702
    city: Literal["Lyon", "Paris", "Marseille", "Lille", "Nantes"]
    vehicle: Literal["bike", "scooter", "car"]
    tier: Literal["a", "b", "c"]


class HandWriter:
    """A queue and a thread writing batches of JSON rows into SQLite."""

    def __init__(self, path: str) -> None:
        self.q: queue.SimpleQueue = queue.SimpleQueue()
        self._path = path
        self._stop = False
        self.written = 0
        self._t = threading.Thread(target=self._run, daemon=True)
        self._t.start()

    def _run(self) -> None:
        db = sqlite3.connect(self._path)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("CREATE TABLE IF NOT EXISTS predictions (id TEXT PRIMARY KEY, body TEXT)")
        while True:
            batch = [self.q.get()]
            while len(batch) < 512:
                try:
                    batch.append(self.q.get_nowait())
                except queue.Empty:
                    break
            if batch[-1] is None:
                batch.pop()
                self._write(db, batch)
                return
            self._write(db, batch)

    def _write(self, db, batch) -> None:
        if batch:
            db.executemany("INSERT OR IGNORE INTO predictions VALUES (?, ?)", [(r["id"], json.dumps(r)) for r in batch])
            db.commit()
            self.written += len(batch)

    def close(self) -> None:
        self.q.put(None)
        self._t.join(60)


RETRYABLE = tenacity.retry_if_exception_type((TimeoutError, ConnectionError))


def hand_stack(writer: HandWriter):
    breaker = pybreaker.CircuitBreaker(fail_max=20, reset_timeout=30)
    sem = threading.BoundedSemaphore(16)
    retrying = tenacity.Retrying(stop=tenacity.stop_after_attempt(2), retry=RETRYABLE,
                                 wait=tenacity.wait_random_exponential(multiplier=0.02, max=0.5), reraise=True)
    put = writer.q.put

    def predict(record):
        t0 = time.perf_counter()
        source = "model"
        try:
            Inputs.model_validate(record)
        except ValidationError:
            value, source = 35.0, "default"
        else:
            if not sem.acquire(timeout=0.005):
                value, source = 35.0, "default"
            else:
                try:
                    value = retrying(breaker.call, model, record)
                    if not isinstance(value, float) or not (0 <= value <= 100000):
                        value, source = 35.0, "default"
                except Exception:
                    value, source = 35.0, "default"
                finally:
                    sem.release()
        rid = uuid.uuid4().hex
        put({"id": rid, "ts": time.time(), "inputs": dict(record), "output": value, "source": source,
             "latency_ms": (time.perf_counter() - t0) * 1000})
        return value

    return predict


def hand_stack_async(writer: HandWriter):
    breaker = pybreaker.CircuitBreaker(fail_max=20, reset_timeout=30)
    sem = asyncio.Semaphore(16)
    put = writer.q.put

    async def predict(record):
        t0 = time.perf_counter()
        source = "model"
        try:
            Inputs.model_validate(record)
        except ValidationError:
            value, source = 35.0, "default"
        else:
            try:
                await asyncio.wait_for(sem.acquire(), 0.005) if sem.locked() else await sem.acquire()
            except TimeoutError:
                value, source = 35.0, "default"
            else:
                try:
                    async for attempt in tenacity.AsyncRetrying(
                            stop=tenacity.stop_after_attempt(2), retry=RETRYABLE,
                            wait=tenacity.wait_random_exponential(multiplier=0.02, max=0.5), reraise=True):
                        with attempt:
                            with breaker.calling():
                                value = await amodel(record)
                    if not isinstance(value, float) or not (0 <= value <= 100000):
                        value, source = 35.0, "default"
                except Exception:
                    value, source = 35.0, "default"
                finally:
                    sem.release()
        rid = uuid.uuid4().hex
        put({"id": rid, "ts": time.time(), "inputs": dict(record), "output": value, "source": source,
             "latency_ms": (time.perf_counter() - t0) * 1000})
        return value

    return predict


# -- measurement ----------------------------------------------------------------------------
def time_sync(fn, n: int, warmup: int) -> list[int]:
    for _ in range(warmup):
        fn(RECORD)
    pc = time.perf_counter_ns
    out = [0] * n
    for i in range(n):
        t = pc()
        fn(RECORD)
        out[i] = pc() - t
    return out


async def time_async(fn, n: int, warmup: int) -> list[int]:
    for _ in range(warmup):
        await fn(RECORD)
    pc = time.perf_counter_ns
    out = [0] * n
    for i in range(n):
        t = pc()
        await fn(RECORD)
        out[i] = pc() - t
    return out


def pct(xs: list[float], q: float) -> float:
    s = sorted(xs)
    return s[min(len(s) - 1, int(q * len(s)))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=50_000, help="timed calls per row")
    ap.add_argument("--warmup", type=int, default=2_000)
    ap.add_argument("--rounds", type=int, default=1,
                    help="blocks per row, the stacks taking turns (1: each stack's calls in one block)")
    args = ap.parse_args()
    n, warmup, rounds = args.n, args.warmup, args.rounds
    out_dir = Path(tempfile.mkdtemp(prefix="tt-bench-guard-"))
    spec = _spec()
    rows = []
    per = max(1, n // rounds)
    n = per * rounds

    # With --rounds > 1 the stacks take turns, blocks of n/rounds timed calls each (bare,
    # telltale, telltale into memory, by hand), so a change in the load of the shared
    # machine reaches every row alike; each block has its own recorder or writer, closed
    # before the next block starts, so no writer thread runs while another stack is timed.
    # Shorter blocks also mean a smaller backlog for the recorders: with one block of
    # 100,000 calls telltale's recorder spills about half of them while it is timed, with
    # five it spills none, so the default stays one block (the sustained-overload case).
    bare, tt, tt_mem, hand = [], [], [], []
    tt_stats = []
    for r in range(rounds):
        bare += time_sync(model, per, warmup)
        rec = recorder_for(f"sqlite:///{out_dir / 'telltale.db'}", spill_dir=out_dir / f"spill-{r}")
        guard = Guard(spec, model, recorder=rec)
        tt += time_sync(guard.predict, per, warmup)
        assert guard.stats.by_source == {"model": per + warmup}, guard.stats.by_source
        guard.close()
        rec.close(60)
        tt_stats.append(rec.stats)
        mem_guard = Guard(spec, model, recorder=MemoryRecorder())
        tt_mem += time_sync(mem_guard.predict, per, warmup)
        mem_guard.close()
        writer = HandWriter(str(out_dir / "hand.db"))
        hand += time_sync(hand_stack(writer), per, warmup)
        writer.close()
    rows.append(("sync", bare, tt, hand))

    # async, taking turns the same way
    async def run_async():
        abare, att, ahand = [], [], []
        for r in range(rounds):
            abare += await time_async(amodel, per, warmup)
            arec = recorder_for(f"sqlite:///{out_dir / 'telltale-async.db'}", spill_dir=out_dir / f"spill-async-{r}")
            aguard = Guard(spec, amodel, recorder=arec)
            att += await time_async(aguard.apredict, per, warmup)
            aguard.close()
            arec.close(60)
            awriter = HandWriter(str(out_dir / "hand-async.db"))
            ahand += await time_async(hand_stack_async(awriter), per, warmup)
            awriter.close()
        return abare, att, ahand

    abare, att, ahand = asyncio.run(run_async())
    rows.append(("async", abare, att, ahand))

    table = Table(title=f"guard overhead per call over a bare call, 20-field record, n={n} per row in {rounds} turns (µs)")
    for col in ("path", "bare med", "telltale med", "telltale p99", "tt overhead med", "tt overhead p99",
                "hand med", "hand p99", "hand overhead med", "hand overhead p99", "hand/tt med", "hand/tt p99"):
        table.add_column(col, justify="right")
    summary = {}
    for name, b, t, h in rows:
        bm = pct(b, 0.5) / 1000
        tm, tp = pct(t, 0.5) / 1000, pct(t, 0.99) / 1000
        hm, hp = pct(h, 0.5) / 1000, pct(h, 0.99) / 1000
        om, op = tm - bm, tp - bm
        hom, hop = hm - bm, hp - bm
        summary[name] = dict(bare=bm, tt_median=tm, tt_p99=tp, overhead_median=om, overhead_p99=op,
                             hand_overhead_median=hom, hand_overhead_p99=hop)
        table.add_row(name, f"{bm:.2f}", f"{tm:.2f}", f"{tp:.2f}", f"{om:.2f}", f"{op:.2f}", f"{hm:.2f}", f"{hp:.2f}",
                      f"{hom:.2f}", f"{hop:.2f}", f"{hom / om:.1f}x", f"{hop / op:.1f}x")
    console = Console(width=160)
    console.print(table)
    load = os.getloadavg()
    console.print(f"python {platform.python_version()}, {os.cpu_count()} cpus, load avg {load[0]:.2f}; "
                  f"telltale recorder (sync run): BackgroundRecorder -> SQLite store: queued {sum(x.queued for x in tt_stats)}, "
                  f"written {sum(x.written for x in tt_stats)}, spilled {sum(x.spilled for x in tt_stats)}, "
                  f"replayed {sum(x.replayed for x in tt_stats)}, dropped {[x.dropped for x in tt_stats if x.dropped] or {}}; "
                  f"pybreaker {getattr(pybreaker, '__version__', '1.4.1')}, tenacity 9.2.1; gc on")
    bm = pct(bare, 0.5) / 1000
    console.print(f"for reference, sync with recording into memory (no writer thread): overhead median "
                  f"{pct(tt_mem, 0.5) / 1000 - bm:.2f} µs, p99 {pct(tt_mem, 0.99) / 1000 - bm:.2f} µs")
    for name, s in summary.items():
        console.print(f"{name}: median < 20 µs: {'yes' if s['overhead_median'] < 20 else 'NO'}; "
                      f"p99 < 100 µs: {'yes' if s['overhead_p99'] < 100 else 'NO'}; "
                      f">= 5x cheaper than by hand: median {'yes' if s['hand_overhead_median'] >= 5 * s['overhead_median'] else 'NO'}, "
                      f"p99 {'yes' if s['hand_overhead_p99'] >= 5 * s['overhead_p99'] else 'NO'}")
    gc.collect()


if __name__ == "__main__":
    main()
