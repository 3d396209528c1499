"""``telltale backfill``: past traffic becomes the store's minute profiles (on a SQLite
file and on PostgreSQL), counted once unless the user asks to merge; the live monitor
leaves the backfilled past, and the windowed findings query judges it."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import sqlalchemy as sa
from typer.testing import CliRunner

from telltale.cli.main import app
from telltale.clock import ManualClock
from telltale.profile import Profile
from telltale.spec import load_spec
from telltale.store import Store

SPEC = """\
service: s
owner: me
inputs:
  x: {type: float, range: [-20, 30]}
  c: {type: category, categories: [a, b, c]}
"""
T0 = 1_767_225_600  # 2026-01-01T00:00:00Z


def _past(d, rng, hours=2, per_hour=1500, unit_from=None):
    """hour 1 in a Parquet file (timestamps), hour 2 in a CSV file (epoch seconds, some
    NaN or empty), and a second Parquet file re-covering minutes 10-14: (paths, rows by
    piece as (minute, x, c) arrays, skipped)."""
    a_s = rng.uniform(T0, T0 + 3600, per_hour)
    b_s = rng.uniform(T0 + 3600, T0 + 3600 * hours, per_hour * (hours - 1))
    c_s = rng.uniform(T0 + 600, T0 + 900, 200)
    parts = []
    for secs in (a_s, b_s, c_s):
        x = rng.normal(5, 2, secs.size)
        if unit_from is not None:
            x = np.where(secs >= unit_from, x * 1000, x)  # a unit change planted in the past
        parts.append((secs, x, rng.choice(["a", "b", "c"], secs.size)))
    (a_s, a_x, a_c), (b_s, b_x, b_c), (c_s, c_x, c_c) = parts
    pq.write_table(pa.table({"ts": pa.array((a_s * 1e6).astype(np.int64), pa.timestamp("us")), "x": a_x, "c": a_c}), d / "a.parquet")
    b_ts = b_s.copy()
    b_ts[:7] = np.nan  # written as "nan": counted, not stored
    pacsv.write_csv(pa.table({"ts": b_ts, "x": b_x, "c": b_c}), d / "b.csv")
    pq.write_table(pa.table({"ts": pa.array((c_s * 1e6).astype(np.int64), pa.timestamp("us")), "x": c_x, "c": c_c}), d / "c.parquet")
    minute = [np.floor(s / 60) * 60 for s in (a_s, b_s, c_s)]
    keep = [np.ones(a_s.size, bool), np.isfinite(b_ts), np.ones(c_s.size, bool)]
    return [d / "a.parquet", d / "b.csv", d / "c.parquet"], list(zip(minute, keep, [(a_x, a_c), (b_x, b_c), (c_x, c_c)], strict=True)), 7


def _stored(url):
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT minute, model_version, n, data, updated_at FROM tt_minute_profiles "
                                        "WHERE service = 's' ORDER BY minute")).all()
    finally:
        engine.dispose()
    return {int(r.minute): (r.model_version, int(r.n), bytes(r.data), r.updated_at) for r in rows}


def test_backfill_writes_each_minute_once_and_refuses_a_second_time(db_url, tmp_path):
    spec_file = tmp_path / "telltale.yaml"
    spec_file.write_text(SPEC)
    spec = load_spec(spec_file)
    store = Store.open(db_url)
    store.put_service("default", spec)
    store.close()
    paths, pieces, skipped = _past(tmp_path, np.random.default_rng(11))
    args = ["backfill", *map(str, paths), "--spec", str(spec_file), "--store", db_url, "--ts-column", "ts"]
    r = CliRunner().invoke(app, args)
    assert r.exit_code == 0, r.output
    total = sum(int(k.sum()) for _, k, _ in pieces)
    assert f"backfilled s: {total:,} rows into 120 minutes (2026-01-01T00:00Z to 2026-01-01T01:59Z) from 3 pieces on local" in r.output
    assert f"; {skipped} rows skipped (null or non-finite ts)" in r.output

    stored = _stored(db_url)
    every = np.concatenate([m[k] for m, k, _ in pieces])
    minutes, counts = np.unique(every, return_counts=True)
    assert {m: v[1] for m, v in stored.items()} == dict(zip(minutes.astype(int).tolist(), counts.tolist(), strict=True))
    assert {v[0] for v in stored.values()} == {""} and {v[3] for v in stored.values()} == {None}  # unstamped: see the monitor test
    for minute in (T0 + 120, T0 + 660, T0 + 4000 // 60 * 60):
        parts = []
        for m, k, (x, c) in pieces:  # piece order: a.parquet, b.csv, c.parquet
            sel = k & (m == minute)
            if sel.any():
                parts.append(Profile.from_columns(spec, {"x": x[sel], "c": c[sel]}))
        assert stored[minute][2] == Profile.merge_all(parts).to_bytes(), minute
    assert len([1 for m, k, _ in pieces if (k & (m == T0 + 120)).any()]) == 1  # minute 2: one piece, from_columns itself
    assert stored[T0 + 120][2] == Profile.from_columns(spec, {"x": pieces[0][2][0][pieces[0][0] == T0 + 120],
                                                             "c": pieces[0][2][1][pieces[0][0] == T0 + 120]}).to_bytes()

    again = CliRunner().invoke(app, args)
    assert again.exit_code == 2
    assert ("telltale backfill: 120 minute(s) of service 's' already hold profiles, the first 2026-01-01T00:00Z; "
            "writing them again would count their rows twice: pass --merge to add to them anyway") in again.output
    assert _stored(db_url) == stored  # nothing written
    merged = CliRunner().invoke(app, [*args, "--merge"])
    assert merged.exit_code == 0, merged.output
    assert {m: v[1] for m, v in _stored(db_url).items()} == {m: 2 * v[1] for m, v in stored.items()}


def test_backfill_refuses_what_it_cannot_store(sqlite_url, tmp_path):
    spec_file = tmp_path / "telltale.yaml"
    spec_file.write_text(SPEC)
    paths, _, _ = _past(tmp_path, np.random.default_rng(2))
    base = ["backfill", str(paths[0]), "--spec", str(spec_file), "--store", sqlite_url, "--ts-column", "ts"]
    r = CliRunner().invoke(app, base)
    assert r.exit_code == 2 and "no database at" in r.output and "the service must be registered before a backfill" in r.output
    Store.open(sqlite_url).close()
    r = CliRunner().invoke(app, base)
    assert r.exit_code == 2
    assert (f"service 's' is not registered in project 'default' of {sqlite_url}; register it first: "
            f"`telltale serve --spec {spec_file} --db {sqlite_url}` registers the spec when it starts") in r.output
    store = Store.open(sqlite_url)
    store.put_service("default", load_spec(spec_file).model_copy(update={"owner": "someone else"}))
    store.close()
    r = CliRunner().invoke(app, base)
    assert r.exit_code == 2 and f"{spec_file} differs from the spec registered for 's'" in r.output
    r = CliRunner().invoke(app, [*base, "--model-version", "v1", "--model-version-column", "v"])
    assert r.exit_code == 2 and "give --model-version or --model-version-column, not both" in r.output
    gone = [str(tmp_path / "gone-1.parquet"), str(tmp_path / "gone-2.parquet")]
    r = CliRunner().invoke(app, ["backfill", *gone, "--spec", str(spec_file), "--store", "sqlite:///" + str(tmp_path / "none.db"),
                                 "--ts-column", "ts"])
    assert r.exit_code == 2  # every missing file named, before the (also missing) store
    assert f"telltale backfill: {gone[0]}: file not found; {gone[1]}: file not found" in " ".join(r.output.split())


def test_the_monitor_leaves_backfilled_minutes_and_the_windowed_query_finds_the_planted_change(db_url, tmp_path):
    from telltale.monitor import findings_for
    from telltale.monitor.tick import tick

    spec_file = tmp_path / "telltale.yaml"
    spec_file.write_text(SPEC)
    spec = load_spec(spec_file)
    clock = ManualClock(T0 + 3 * 86400)  # the monitor runs three days after the traffic
    store = Store.open(db_url, clock=clock)
    store.put_service("default", spec)
    tick(store, clock.now())  # its first tick sets the cursor
    cursor = store.monitor_cursor("default", "s")
    assert cursor is not None and cursor.evaluated_until > T0 + 7200
    paths, _, _ = _past(tmp_path, np.random.default_rng(5), unit_from=T0 + 3600 + 1800)  # x in milli-units from 01:30
    r = CliRunner().invoke(app, ["backfill", *map(str, paths[:2]), "--spec", str(spec_file), "--store", db_url, "--ts-column", "ts"])
    assert r.exit_code == 0, r.output
    assert "judge them with `telltale findings --service s --db" in r.output
    clock.advance(60)
    # one new live window closed; no late window: the backfilled past is not judged again (no alert about last week)
    assert [(t.windows, t.late) for t in tick(store, clock.now())] == [(1, 0)]
    assert store.findings("default", "s", state="all") == []
    result = findings_for(store, "default", spec, T0, T0 + 7200, 300)
    assert result.windows == 24
    unit = sorted({(f.window.start.timestamp(), f.feature) for f in result.findings if f.kind == "unit"})
    assert unit == [(float(T0 + 5400 + 300 * i), "x") for i in range(6)]  # exactly 01:30-02:00
    store.close()
