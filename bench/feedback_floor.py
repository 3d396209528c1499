"""The least SQLite work a feedback join can do: the hand-rolled join, on bench/feedback_join.py's workload.

    .venv/bin/python bench/feedback_floor.py [--n 1000000] [--batch 1000] [--cache-mib 32]

What a user writing the join by hand would do, with nothing telltale keeps: one table of
predictions and one of labels, both clustered on the decision id (``WITHOUT ROWID``), no
event history, no idempotency keys, no trust counts, no per-minute performance, no label
delay. The workload is bench/feedback_join.py's: ``n`` predictions, one label each, a
random half of the labels before their prediction, batches of ``--batch`` in random order,
one transaction per batch, the store's pragmas (WAL, ``synchronous=NORMAL``, the same
page cache and checkpoint interval). Timed as there: every label batch, plus the update
that joins waiting labels when a batch of predictions is written. A label written before
its prediction is inserted pending; one written after is inserted with the prediction's
ts and whether it was right, looked up in the same statement.

This is the ceiling for the storage shape, not a rival: whatever telltale does per label
on top (the history, replacing and un-folding an earlier label, trust and minute
summaries) costs more than this. bench/README.md ("Feedback join") sets the two side by side.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from feedback_join import T0, _batches, _feedback, _predictions, _Timer  # noqa: E402  (the same workload)

from telltale.store.engine import SQLITE_PRAGMAS  # noqa: E402

SCHEMA = (
    "CREATE TABLE preds (id TEXT PRIMARY KEY, ts REAL NOT NULL, output TEXT NOT NULL, confidence REAL) WITHOUT ROWID",
    "CREATE TABLE labels (id TEXT PRIMARY KEY, ts REAL NOT NULL, label TEXT NOT NULL, pred_ts REAL, correct INTEGER) WITHOUT ROWID",
)
LATE = ("INSERT INTO labels (id, ts, label, pred_ts, correct) "
        "SELECT j.value ->> 0, j.value ->> 1, j.value ->> 2, p.ts, p.output = (j.value ->> 2) FROM json_each(?) j "
        "LEFT JOIN preds p ON p.id = j.value ->> 0 WHERE true "
        "ON CONFLICT (id) DO UPDATE SET ts = excluded.ts, label = excluded.label, pred_ts = excluded.pred_ts, correct = excluded.correct")
JOIN = ("UPDATE labels SET pred_ts = p.ts, correct = p.output = labels.label FROM json_each(?) j JOIN preds p ON p.id = j.value "
        "WHERE labels.id = j.value AND labels.pred_ts IS NULL")


def run(path: str, n: int, batch: int, cache_mib: int) -> dict[str, float]:
    preds, (early, late) = _predictions(n), _feedback(n)
    db = sqlite3.connect(path, isolation_level=None)
    for pragma in (*SQLITE_PRAGMAS, f"cache_size=-{cache_mib * 1024}"):  # the store's, then the page cache asked for
        db.execute("PRAGMA " + pragma)
    for stmt in SCHEMA:
        db.execute(stmt)

    def labels(events: list, t: _Timer) -> None:
        for b in _batches(events, batch):
            with t:
                db.execute("BEGIN IMMEDIATE")
                db.execute(LATE, (json.dumps([[e.prediction_id, e.ts, e.label] for e in b]),))
                db.execute("COMMIT")

    t_early, t_join, t_late, t_preds = _Timer(), _Timer(), _Timer(), _Timer()
    labels(early, t_early)
    for b in _batches(preds, batch):
        with t_preds:
            db.execute("BEGIN IMMEDIATE")
            db.executemany("INSERT INTO preds VALUES (?, ?, ?, ?)", [(r.id, r.ts, r.output, r.confidence) for r in b])
            with t_join:
                db.execute(JOIN, (json.dumps([r.id for r in b]),))
            db.execute("COMMIT")
    labels(late, t_late)
    joined, right = db.execute("SELECT count(pred_ts), sum(correct) FROM labels").fetchone()
    db.close()
    wall, cpu = t_early.wall + t_join.wall + t_late.wall, t_early.cpu + t_join.cpu + t_late.cpu
    return {"events": n, "joined": joined, "right": right, "events_per_s": n / wall, "events_per_cpu_s": n / cpu,
            "early_us": t_early.cpu / len(early) * 1e6, "late_us": t_late.cpu / len(late) * 1e6, "join_us": t_join.cpu / len(early) * 1e6}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--batch", type=int, default=1000, help="labels (and predictions) per transaction")
    ap.add_argument("--cache-mib", type=int, default=32, help="SQLite page cache; the store's is 32 MiB")
    args = ap.parse_args()
    if args.n < 2 or args.batch < 1 or args.cache_mib < 1:
        ap.error(f"--n must be at least 2 (half the labels come first), --batch and --cache-mib at least 1; "
                 f"got --n {args.n}, --batch {args.batch}, --cache-mib {args.cache_mib}")
    with tempfile.TemporaryDirectory() as d:
        r = run(str(Path(d) / "floor.db"), args.n, args.batch, args.cache_mib)
    print(f"hand-rolled join on SQLite: {args.n:,} predictions, {args.n:,} labels (half before their prediction), "
          f"batches of {args.batch:,}, {args.cache_mib} MiB page cache, epoch {T0:.0f}")
    print(f"  {r['events_per_s']:,.0f} events/s wall, {r['events_per_cpu_s']:,.0f} per CPU s; {r['joined']:,} joined, {r['right']:,} right; "
          f"CPU per label: {r['early_us']:.1f} us before its prediction, {r['late_us']:.1f} us after, "
          f"{r['join_us']:.1f} us joined when its prediction arrived")


if __name__ == "__main__":
    main()
