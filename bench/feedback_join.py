"""Joining feedback to predictions: how many feedback events per second the store folds.

    .venv/bin/python bench/feedback_join.py [--n 1000000] [--batch 1000] [--pg postgresql+psycopg://...]
    .venv/bin/python bench/feedback_join.py --hooks 30000   # the hooks' fixed cost on prediction writes

``n`` predictions of a binary classifier and one label each; a random half of the
labels arrives before its prediction (kept pending, joined when the prediction is
written), the other half after. Batches of 1,000 (``--batch``; the feedback client's
default), in random order within each half.
The join's cost is the time of every ``write_feedback`` call plus the time
``write_predictions`` spends joining the labels that came first (``join_arrived``, timed
inside the prediction writes: the rest of that path does not depend on feedback). With
``--baseline`` the same predictions are also written to a fresh store with no feedback,
and the events/s charging the whole difference of the two prediction writes is printed too. Prints events per
second per backend (wall clock, and per CPU second of this process: on SQLite that is
all the work, and it does not depend on what else the machine runs), the prediction
ingest rate of the baseline store (records/s), and the rate of a replayed batch (every
event a duplicate); figures go to bench/README.md. PostgreSQL runs when ``--pg`` (or
``$TELLTALE_TEST_PG_URL``) names a server; a fresh database is made there and dropped.
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from telltale.feedback import FeedbackEvent
from telltale.spec import parse_spec
from telltale.store import Store
from telltale.types import PredictionRecord

SPEC = parse_spec("service: churn\nowner: bench\ninputs:\n  x: {type: float}\noutput: {type: category, classes: [stay, leave]}\n")
T0 = 1_767_225_600.0
RATE = 100.0  # predictions per second of simulated time
BATCH = 1000


def _predictions(n: int) -> list[PredictionRecord]:
    rng = random.Random(1)
    out = []
    for i in range(n):
        p = rng.random()
        out.append(PredictionRecord(id=f"p{i}", service="churn", ts=T0 + i / RATE, inputs={"x": p},
                                    output="leave" if p >= 0.5 else "stay", confidence=max(p, 1 - p)))
    return out


def _feedback(n: int) -> tuple[list[FeedbackEvent], list[FeedbackEvent]]:
    rng = random.Random(2)
    ids = list(range(n))
    rng.shuffle(ids)
    events = [FeedbackEvent(f"p{i}", "churn", T0 + i / RATE + 3600 + rng.random() * 86400,
                            label="leave" if rng.random() < 0.5 else "stay", actor=f"team-{i % 7}") for i in ids]
    return events[: n // 2], events[n // 2:]


def _batches(xs: list, size: int):
    for i in range(0, len(xs), size):
        yield xs[i:i + size]


class _Timer:
    """Wall and CPU seconds (this process) of what runs inside ``with``: on a shared machine
    the CPU figure is the cost of the SQLite work itself; PostgreSQL's runs in the server."""

    def __init__(self) -> None:
        self.wall = self.cpu = 0.0

    def __enter__(self) -> _Timer:
        self._w, self._c = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall += time.perf_counter() - self._w
        self.cpu += time.process_time() - self._c


def run(url: str, preds: list[PredictionRecord], early: list[FeedbackEvent], late: list[FeedbackEvent],
        baseline_url: str | None, batch: int = BATCH) -> dict[str, float]:
    from telltale.store import _feedback

    t_base = _Timer()
    if baseline_url is not None:
        base = Store.open(baseline_url)
        base.put_service("b", SPEC)
        with t_base:
            for b in _batches(preds, batch):
                base.write_predictions("b", b)
        base.close()

    store = Store.open(url)
    store.put_service("b", SPEC)
    t_hook = _Timer()
    join_arrived = _feedback.join_arrived

    def timed_join(*args: Any) -> int:
        with t_hook:
            return join_arrived(*args)

    with _Timer() as t_early:
        for b in _batches(early, batch):
            store.write_feedback("b", b)
    _feedback.join_arrived = timed_join  # type: ignore[assignment]
    try:
        with _Timer() as t_preds:
            for b in _batches(preds, batch):
                store.write_predictions("b", b)
    finally:
        _feedback.join_arrived = join_arrived  # type: ignore[assignment]
    with _Timer() as t_late:
        for b in _batches(late, batch):
            store.write_feedback("b", b)
    with _Timer() as t_replay:  # the late half again: every event a duplicate, nothing changes
        for b in _batches(late, batch):
            store.write_feedback("b", b)
    summaries = store.read_perf_minutes("b", "churn", T0, T0 + len(preds) / RATE + 60)
    joined = sum(s.n for _, s in summaries)
    store.close()
    n = len(early) + len(late)
    join_s = t_early.wall + t_late.wall + t_hook.wall
    join_cpu = t_early.cpu + t_late.cpu + t_hook.cpu
    out = {"events": n, "joined": joined, "early_s": t_early.wall, "late_s": t_late.wall, "hook_s": t_hook.wall,
           "preds_s": t_preds.wall, "join_s": join_s, "events_per_s": n / join_s, "events_per_cpu_s": n / join_cpu,
           "records_per_s": len(preds) / t_preds.wall, "replay_per_s": len(late) / t_replay.wall,
           "baseline_records_per_s": 0.0, "events_per_s_by_baseline": 0.0,
           "early_us": t_early.cpu / max(1, len(early)) * 1e6, "late_us": t_late.cpu / max(1, len(late)) * 1e6,
           "join_us": t_hook.cpu / max(1, len(early)) * 1e6}
    if baseline_url is not None:
        out["baseline_records_per_s"] = len(preds) / t_base.wall
        out["events_per_s_by_baseline"] = n / (t_early.wall + t_late.wall + max(0.0, t_preds.wall - t_base.wall))
    return out


def hook_cost(preds: list[PredictionRecord], directory: str) -> tuple[float, float]:
    """Records/s of ``write_predictions`` on SQLite with the feedback hooks (join lookup,
    confidence minutes, review queue) and with them replaced by no-ops: their fixed cost
    on the prediction write path, with no feedback at all."""
    from telltale.store import _feedback, _reviews

    def rate(tag: str) -> float:
        store = Store.open(f"sqlite:///{Path(directory) / f'hooks-{tag}.db'}")
        store.put_service("b", SPEC)
        t = time.perf_counter()
        for b in _batches(preds, 500):
            store.write_predictions("b", b)
        store.close()
        return len(preds) / (time.perf_counter() - t)

    with_hooks = rate("on")
    saved = (_feedback.fold_confidence, _feedback.join_arrived, _reviews.enqueue)
    _feedback.fold_confidence, _feedback.join_arrived, _reviews.enqueue = (lambda *a: None), (lambda *a: 0), (lambda *a: 0)
    try:
        without = rate("off")
    finally:
        _feedback.fold_confidence, _feedback.join_arrived, _reviews.enqueue = saved
    return with_hooks, without


def _pg_db(admin: str) -> tuple[str, str]:
    import psycopg

    name = f"tt_bench_{uuid.uuid4().hex[:8]}"
    plain = admin.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return admin.rpartition("/")[0] + "/" + name, name


def _pg_drop(admin: str, name: str) -> None:
    import psycopg

    with psycopg.connect(admin.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--pg", default=os.environ.get("TELLTALE_TEST_PG_URL"))
    ap.add_argument("--hooks", type=int, default=0, help="only measure the hooks' cost on N prediction writes")
    ap.add_argument("--baseline", action="store_true", help="also time the predictions on a store without feedback")
    ap.add_argument("--no-sqlite", action="store_true", help="PostgreSQL only")
    ap.add_argument("--batch", type=int, default=BATCH, help="events (and predictions) per write")
    args = ap.parse_args()
    if args.hooks:
        with tempfile.TemporaryDirectory() as d:
            on, off = hook_cost(_predictions(args.hooks), d)
        print(f"write_predictions on SQLite, {args.hooks:,} records in batches of 500: {on:,.0f}/s with the feedback hooks, {off:,.0f}/s without")
        return
    preds = _predictions(args.n)
    early, late = _feedback(args.n)
    print(f"{args.n:,} predictions, {args.n:,} labels ({len(early):,} before their prediction), batches of {args.batch:,}")
    print(f"{'backend':<11} {'events/s':>9} {'per CPU s':>9} {'joined':>9} {'early s':>7} {'late s':>7} {'join s':>7} "
          f"{'preds s':>7} {'ingest/s':>8} {'replay/s':>8} {'base ingest/s':>13} {'events/s by base':>16}", flush=True)
    with tempfile.TemporaryDirectory() as d:
        if not args.no_sqlite:
            _show("SQLite", run(f"sqlite:///{Path(d) / 'join.db'}", preds, early, late,
                                f"sqlite:///{Path(d) / 'base.db'}" if args.baseline else None, args.batch))
    if args.pg:
        (url, name), (burl, bname) = _pg_db(args.pg), _pg_db(args.pg)
        try:
            _show("PostgreSQL", run(url, preds, early, late, burl if args.baseline else None, args.batch))
        finally:
            _pg_drop(args.pg, name)
            _pg_drop(args.pg, bname)


def _show(name: str, r: dict[str, float]) -> None:
    print(f"{name:<11} {r['events_per_s']:>9,.0f} {r['events_per_cpu_s']:>9,.0f} {r['joined']:>9,} {r['early_s']:>7.1f} "
          f"{r['late_s']:>7.1f} {r['hook_s']:>7.1f} {r['preds_s']:>7.1f} {r['records_per_s']:>8,.0f} {r['replay_per_s']:>8,.0f} "
          f"{r['baseline_records_per_s']:>13,.0f} {r['events_per_s_by_baseline']:>16,.0f}", flush=True)
    print(f"{'':<11} CPU per event: {r['early_us']:.1f} us written before its prediction, {r['late_us']:.1f} us after, "
          f"{r['join_us']:.1f} us joined when its prediction arrived", flush=True)


if __name__ == "__main__":
    main()
