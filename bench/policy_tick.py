"""What the policy costs: the guard's hot path when it follows a control mode, and one
policy tick as traffic and history grow.

    .venv/bin/python bench/policy_tick.py          # ~1 minute

1. ``Guard.predict`` on a plain valid record: no control source, versus following one
   in mode ``normal`` (the default for a guard given ``record_to``): median and p99 ns.
2. One ``telltale.policy.tick`` on a SQLite store with 3 SLOs and a rule: the steady
   tick (recomputes the last minutes and sums every window in SQL) at 10 and at 2,000
   records a minute, and with 30 days of stored SLO events, against 1 day.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from telltale.clock import ManualClock  # noqa: E402
from telltale.control import MemoryControlSource  # noqa: E402
from telltale.guard import Guard  # noqa: E402
from telltale.policy import tick  # noqa: E402
from telltale.record.memory import MemoryRecorder  # noqa: E402
from telltale.store import Store  # noqa: E402
from telltale.store._audit import SLOMinute  # noqa: E402
from telltale.types import PredictionRecord  # noqa: E402
from tests.guard.conftest import GOOD, make_spec, rules  # noqa: E402

T0 = 1_767_225_600.0
SLOS = [{"name": "errors", "indicator": "error_rate", "objective": 0.999},
        {"name": "fallbacks", "indicator": "fallback_rate", "max": 0.05},
        {"name": "latency", "indicator": "latency_p99_ms", "max": 150}]
RULES = [{"name": "burn", "when": {"slo": "errors"}, "then": ["rollback", "alert"]}]


def hot_path(n: int = 200_000) -> None:
    spec = make_spec()
    rows = []
    for label, control in (("no control source", None), ("following a source, mode normal", MemoryControlSource())):
        g = Guard(spec, lambda r: 16.0, rules, recorder=MemoryRecorder(), control=control, clock=ManualClock(T0))
        for _ in range(5000):
            g.predict(GOOD)
        ts = []
        for _ in range(n):
            t = time.perf_counter_ns()
            g.predict(GOOD)
            ts.append(time.perf_counter_ns() - t)
        g.close()
        ts.sort()
        rows.append((label, ts[len(ts) // 2], ts[int(len(ts) * 0.99)]))
    print("| guard | median ns | p99 ns |\n|---|---:|---:|")
    for label, med, p99 in rows:
        print(f"| {label} | {med} | {p99} |")


def _records(minute: float, per_minute: int, first: int) -> list[PredictionRecord]:
    return [PredictionRecord(f"r{first + j}", "eta", minute + j * 60.0 / per_minute, dict(GOOD), output=16.0,
                             latency_ms=5.0 + j % 7, model_version="v2") for j in range(per_minute)]


def tick_cost(per_minute: int, history_days: int) -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as d:
        clock = ManualClock(T0)
        store = Store.open(f"sqlite:///{d}/t.db", clock=clock)
        store.put_service("default", make_spec(slos=SLOS, rules=RULES))
        start = T0 + history_days * 86400
        rows = [SLOMinute(s["name"], int(T0 + 60 * m), 0.0, float(per_minute), per_minute)
                for s in SLOS for m in range(history_days * 1440)]
        store.write_slo_minutes("default", "eta", rows)
        n = 0
        for m in range(10):
            recs = _records(start + 60 * m, per_minute, n)
            store.write_predictions("default", recs)
            n += len(recs)
        tick(store, start + 600, notify=lambda p, a: None)  # catch up once
        times = []
        for m in range(10, 30):
            recs = _records(start + 60 * m, per_minute, n)
            store.write_predictions("default", recs)
            n += len(recs)
            t = time.perf_counter()
            tick(store, start + 60 * (m + 1), notify=lambda p, a: None)
            times.append(time.perf_counter() - t)
        store.close()
    return statistics.median(times) * 1000, max(times) * 1000


def main() -> None:
    hot_path()
    print("\n| records a minute | stored history | tick median ms | tick max ms |\n|---:|---:|---:|---:|")
    for per_minute, days in ((10, 1), (2000, 1), (10, 30), (2000, 30)):
        med, worst = tick_cost(per_minute, days)
        print(f"| {per_minute:,} | {days} d | {med:.1f} | {worst:.1f} |")


if __name__ == "__main__":
    main()
