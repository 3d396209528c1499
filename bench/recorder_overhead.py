"""What recording costs: ``submit`` on the hot path, and how fast records leave the queue.

    .venv/bin/python bench/recorder_overhead.py [--n 200000]

Prints, in µs per call, the median and p99 of ``BackgroundRecorder.submit`` (each call
timed alone, the timer's own cost subtracted) with a sink that keeps up, with a sink
that hangs (everything spills), with a real SQLite store behind it, and in durable
mode (each record fsync'd to the spill before ``submit`` returns); then the
writer's throughput in records per second to a SQLite file, to the spill (JSON lines,
fsync per batch) and back from the spill by replay. Figures go to bench/README.md.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
from pathlib import Path

from telltale.record import BackgroundRecorder, MemorySink, StoreSink
from telltale.store import Store
from telltale.types import PredictionRecord


class _Hung:
    def __init__(self) -> None:
        self.gate = threading.Event()

    def write(self, records: list[PredictionRecord]) -> None:
        self.gate.wait()


def _records(n: int, tag: str) -> list[PredictionRecord]:
    cities = ["Lyon", "Paris", "Marseille", "Lille", "Nantes"]
    out = []
    for i in range(n):
        inputs = {f"f{k}": float(i % (k + 3)) for k in range(18)}
        inputs.update(city=cities[i % 5], hour=i % 24)  # 20 fields, as in guard_overhead
        out.append(PredictionRecord(id=f"{tag}-{i}", service="eta", ts=1_767_225_600.0 + i * 0.001, inputs=inputs,
                                    output=12.5, confidence=0.9, model_version="v1", latency_ms=1.2))
    return out


def _timer_cost() -> float:
    pc = time.perf_counter_ns
    xs = []
    for _ in range(100_000):
        t = pc()
        xs.append(pc() - t)
    return statistics.median(xs)


def _submit_costs(rec: BackgroundRecorder, records: list[PredictionRecord], base_ns: float) -> tuple[float, float, float, float]:
    pc = time.perf_counter_ns
    submit = rec.submit
    xs = []
    for r in records:
        t = pc()
        submit(r)
        xs.append(pc() - t)
    xs.sort()
    med = max(0.0, xs[len(xs) // 2] - base_ns) / 1000
    p99 = max(0.0, xs[int(len(xs) * 0.99)] - base_ns) / 1000
    p999 = max(0.0, xs[int(len(xs) * 0.999)] - base_ns) / 1000
    return med, p99, p999, sum(xs) / len(xs) / 1000


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=200_000)
    n = ap.parse_args().n
    base = _timer_cost()
    tmp = Path(tempfile.mkdtemp(prefix="tt-bench-rec-"))
    print(f"timer cost {base:.0f} ns (subtracted); {n} records of 20 input fields\n")
    print(f"{'submit, sink behind it':<38} {'median µs':>10} {'p99 µs':>8} {'p99.9 µs':>9} {'mean µs':>8}")

    rec = BackgroundRecorder(MemorySink(), max_queue=n)
    med, p99, p999, mean = _submit_costs(rec, _records(n, "mem"), base)
    rec.close()
    print(f"{'in-memory sink (keeps up)':<38} {med:>10.2f} {p99:>8.2f} {p999:>9.2f} {mean:>8.2f}")

    hung = _Hung()
    rec = BackgroundRecorder(hung, spill_dir=tmp / "spill-hung", max_queue=n, sink_timeout_s=0.2)
    med, p99, p999, mean = _submit_costs(rec, _records(n, "hung"), base)
    rec.flush(120)
    s = rec.stats
    hung.gate.set()
    rec.close()
    print(f"{'hung sink (all spilled)':<38} {med:>10.2f} {p99:>8.2f} {p999:>9.2f} {mean:>8.2f}   spilled {s.spilled}, dropped {s.dropped}")

    store = Store.open(f"sqlite:///{tmp / 'submit.db'}")
    rec = BackgroundRecorder(StoreSink(store), spill_dir=tmp / "spill-sqlite", max_queue=n)
    med, p99, p999, mean = _submit_costs(rec, _records(n, "sql"), base)
    rec.close(timeout=120)
    store.close()
    print(f"{'SQLite store (writer busy meanwhile)':<38} {med:>10.2f} {p99:>8.2f} {p999:>9.2f} {mean:>8.2f}")

    # durable mode: every record appended to the spill and fsync'd before submit returns
    d = min(n, 5_000)
    store = Store.open(f"sqlite:///{tmp / 'durable.db'}")
    rec = BackgroundRecorder(StoreSink(store), spill_dir=tmp / "spill-durable", max_queue=n, durable=True)
    t = time.perf_counter()
    med, p99, p999, mean = _submit_costs(rec, _records(d, "dur"), base)
    took = time.perf_counter() - t
    rec.wait_idle(120)
    delivered = rec.stats.replayed
    rec.close(timeout=60)
    store.close()
    print(f"{'durable=True (fsync per record)':<38} {med:>10.2f} {p99:>8.2f} {p999:>9.2f} {mean:>8.2f}   "
          f"{d} records, {d / took:.0f} submits/s, {delivered} delivered to SQLite from the spill")

    m = min(n, 50_000)
    print(f"\n{'writer throughput':<38} {'records/s':>10}")
    store = Store.open(f"sqlite:///{tmp / 'through.db'}")
    rec = BackgroundRecorder(StoreSink(store), max_queue=m, batch_size=500)
    records = _records(m, "thr")
    t = time.perf_counter()
    for r in records:
        rec.submit(r)
    rec.flush(300)
    print(f"{'to SQLite (StoreSink, batches of 500)':<38} {m / (time.perf_counter() - t):>10.0f}")
    rec.close()

    down = MemorySink()
    down.down = True
    rec = BackgroundRecorder(down, spill_dir=tmp / "spill-thr", max_queue=m, batch_size=500, probe_interval_s=3600)
    t = time.perf_counter()
    for r in _records(m, "spill"):
        rec.submit(r)
    rec.flush(300)
    print(f"{'to the spill (JSON lines, fsync/batch)':<38} {m / (time.perf_counter() - t):>10.0f}")
    rec.close()

    rec = BackgroundRecorder(StoreSink(store), spill_dir=tmp / "spill-thr", batch_size=500)
    t = time.perf_counter()
    rec.wait_idle(300)
    print(f"{'replay from the spill to SQLite':<38} {m / (time.perf_counter() - t):>10.0f}   replayed {rec.stats.replayed}")
    rec.close()
    store.close()


if __name__ == "__main__":
    main()
