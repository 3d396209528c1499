"""What monitoring costs as the store grows: one monitor tick and a three-day findings query
at 1M and 10M stored predictions (issue 7: "the time must not grow with the number of
predictions").

For each size a fresh SQLite store holds three days of one service: N prediction rows
(written straight into ``tt_predictions``, a real record's JSON each, so the table and
its index are as large as N makes them) and the 4,320 minute profiles those records
fold into, built with ``Profile.from_records`` from N/4320 simulated orders per minute
(a few distinct minutes, repeated; every 8 hours a 40-minute unit change, prep_time_s
in milliseconds, refused by the contract and served by the rules). The monitor then
catches up over the three days, and the script times:

- **catch-up**: every 5-minute window of the three days evaluated and stored, per window;
- **one tick**: the steady state, one window closed since the last tick (the cursor is
  moved back one window, then ``tick`` runs), with the process's decoded-minute cache
  warm as it is in ``telltale serve``, and cold (a fresh store object); the sizes are
  measured in alternating rounds and the medians printed;
- **three-day query**: ``Store.findings(state="all")`` over the three days, grouped into
  incidents and rendered to JSON, as ``GET /v1/services/eta/findings?since=-3d`` does;
- **ad-hoc three days**: the per-window computation (``?window=3600``) over the span.

    .venv/bin/python bench/monitor_cost.py                      # 1M and 10M, ~10 minutes
    .venv/bin/python bench/monitor_cost.py --sizes 1000000      # one size
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MINUTES = 3 * 24 * 60
END = 1_767_225_600.0 + MINUTES * 60  # three days from 2026-01-01T00:00:00Z
START = END - MINUTES * 60
FAULT_EVERY_MIN, FAULT_FOR_MIN = 8 * 60, 40
PROJECT, SERVICE = "bench", "eta"


def build(db_path: Path, n_predictions: int) -> None:
    from telltale.demo.eta_data import generate
    from telltale.profile import Profile
    from telltale.spec import load_spec
    from telltale.store import Store
    from telltale.types import PredictionRecord, Violation

    spec = load_spec(ROOT / "examples" / "eta" / "telltale.yaml")
    store = Store.open(f"sqlite:///{db_path}")
    store.put_service(PROJECT, spec)
    pool = generate(60_000, seed=5).records()
    store.put_reference(PROJECT, SERVICE, Profile.from_columns(spec, generate(5000, seed=6).columns))
    store.close()
    per_minute = max(1, n_predictions // MINUTES)

    def records(offset: int, switched: bool) -> list[PredictionRecord]:
        out = []
        for k in range(per_minute):
            inputs = dict(pool[(offset + k) % len(pool)])
            source, guard, violations = "model", None, []
            if switched:
                inputs["prep_time_s"] *= 1000
                source, guard, violations = "rules", "contract", [Violation("prep_time_s", "range", "above the maximum 7200")]
            out.append(PredictionRecord(id=f"x{k}", service=SERVICE, ts=START, inputs=inputs, output=30.0 + k % 20, confidence=0.8,
                                        source=source, model_version="2026-11-01", latency_ms=5.0 + k % 7, guard=guard, violations=violations))
        return out

    clean = [Profile.from_records(spec, records(i * per_minute, False)).to_bytes() for i in range(6)]
    fault = [Profile.from_records(spec, records((6 + i) * per_minute, True)).to_bytes() for i in range(6)]
    sample = json.dumps(records(0, False)[0].to_dict())
    con = sqlite3.connect(db_path)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=OFF")
    rows = []
    for m in range(MINUTES):
        faulty = m % FAULT_EVERY_MIN >= FAULT_EVERY_MIN - FAULT_FOR_MIN
        blob = (fault if faulty else clean)[m % 6]
        minute = START + m * 60
        rows.append((PROJECT, SERVICE, "2026-11-01", int(minute), per_minute, blob, minute + 61))
    con.executemany("INSERT INTO tt_minute_profiles (project, service, model_version, minute, n, data, updated_at) VALUES (?,?,?,?,?,?,?)", rows)
    con.commit()
    chunk = 200_000
    for lo in range(0, n_predictions, chunk):
        con.executemany("INSERT INTO tt_predictions VALUES (?,?,?,?,?,?,?,?)",
                        ((PROJECT, f"p{i:09d}", SERVICE, START + (i % (MINUTES * 60)), "2026-11-01", "model", 0, sample)
                         for i in range(lo, min(lo + chunk, n_predictions))))
        con.commit()
    con.close()


class Bench:
    """One built store, caught up, and the measurements taken on it."""

    def __init__(self, db_path: Path) -> None:
        from telltale.clock import ManualClock
        from telltale.monitor.tick import tick
        from telltale.store import Store

        self.db_path, self.url, self.now = db_path, f"sqlite:///{db_path}", END + 60
        self.store = Store.open(self.url, clock=ManualClock(self.now))
        self.con = sqlite3.connect(db_path)
        self.out: dict[str, float] = {"predictions": self.store.count_predictions(PROJECT, SERVICE)}
        self.ticks: list[float] = []
        self.cold: list[float] = []
        self.queries: list[float] = []
        # catch up over the three days (the first tick would start only a day back)
        self.con.execute("INSERT INTO tt_monitor_state VALUES (?,?,?,?,?)", (PROJECT, SERVICE, START, END + 3600, START))
        self.con.commit()
        t = time.perf_counter()
        windows = 0
        while done := sum(s.windows for s in tick(self.store, self.now)):
            windows += done
        self.out["catch_up_ms_per_window"] = 1000 * (time.perf_counter() - t) / max(windows, 1)
        self.out["windows"] = windows

    def one_tick(self, store) -> float:
        from telltale.monitor.tick import WINDOW_S, tick

        self.con.execute("UPDATE tt_monitor_state SET evaluated_until = evaluated_until - ? WHERE project = ?", (WINDOW_S, PROJECT))
        self.con.commit()
        t0 = time.perf_counter()
        (s,) = tick(store, self.now)
        if s.windows != 1:
            raise RuntimeError(f"expected one window, the tick evaluated {s}")
        return 1000 * (time.perf_counter() - t0)

    def round(self) -> None:
        from telltale.clock import ManualClock
        from telltale.monitor.incidents import incidents
        from telltale.store import Store

        self.ticks.append(self.one_tick(self.store))
        fresh = Store.open(self.url, clock=ManualClock(self.now))
        self.cold.append(self.one_tick(fresh))
        fresh.close()
        t0 = time.perf_counter()
        groups = incidents(self.store.findings(PROJECT, SERVICE, state="all", since=START, until=END))
        json.dumps([g.to_dict() for g in groups])
        self.queries.append(1000 * (time.perf_counter() - t0))

    def finish(self) -> dict[str, float]:
        from telltale.monitor import findings_for
        from telltale.monitor.incidents import incidents

        groups = incidents(self.store.findings(PROJECT, SERVICE, state="all", since=START, until=END))
        self.out.update(tick_warm_ms=statistics.median(self.ticks), tick_cold_ms=statistics.median(self.cold),
                        query_ms=statistics.median(self.queries), incidents=len(groups),
                        unit_incidents=sum(g.cause.kind == "unit" and len(g.consequences) >= 3 for g in groups))
        t0 = time.perf_counter()
        findings_for(self.store, PROJECT, self.store.get_service(PROJECT, SERVICE), START, END, 3600)
        self.out["adhoc_3d_hourly_s"] = time.perf_counter() - t0
        self.store.close()
        self.con.close()
        return self.out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 10_000_000])
    ap.add_argument("--rounds", type=int, default=9, help="measurements per size (the median is printed)")
    ap.add_argument("--dir", type=Path, default=None, help="where the SQLite files go (default a temporary directory)")
    a = ap.parse_args(argv)
    sys.path.insert(0, str(ROOT / "src"))
    with tempfile.TemporaryDirectory(dir=a.dir) as tmp:
        benches = []
        for n in a.sizes:
            db = Path(tmp) / f"monitor-{n}.db"
            t = time.perf_counter()
            build(db, n)
            print(f"built {n:,} predictions and {MINUTES:,} minute profiles in {time.perf_counter() - t:.0f} s ({db.stat().st_size / 1e9:.2f} GB)", flush=True)
            benches.append(Bench(db))
        for _ in range(a.rounds):  # sizes alternate, so a busy moment on a shared machine hits each alike
            for b in benches:
                b.round()
        results = [b.finish() for b in benches]
        for r in results:
            print(json.dumps(r), flush=True)
    print()
    print("| stored predictions | catch-up ms/window | one tick, warm ms | one tick, cold ms | 3-day stored query ms | 3-day ad-hoc hourly s | incidents (unit) |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        print(f"| {int(r['predictions']):,} | {r['catch_up_ms_per_window']:.0f} | {r['tick_warm_ms']:.0f} | {r['tick_cold_ms']:.0f} | "
              f"{r['query_ms']:.1f} | {r['adhoc_3d_hourly_s']:.1f} | {int(r['incidents'])} ({int(r['unit_incidents'])}) |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
