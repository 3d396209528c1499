"""Minute profiles of past traffic (``engines/minutes.py``): rows grouped by the minute of
their timestamp, each minute's profile that of exactly its rows, the same bytes on every
engine; unusable timestamps counted, unusable columns refused with the fix."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from telltale.engines import EngineOptions
from telltale.engines.minutes import profile_minutes
from telltale.infer import DataError
from telltale.profile import Profile
from telltale.spec import parse_spec

SPEC = parse_spec("""\
service: s
owner: me
inputs:
  x: {type: float, range: [-20, 30]}
  c: {type: category, categories: [a, b, c]}
""")
T0 = 1_767_225_600  # 2026-01-01T00:00:00Z
N = 4000


@pytest.fixture(scope="module")
def past(tmp_path_factory):
    """Two hours of rows in random order (so every minute spans every row group), some
    timestamps null; epoch-ms Arrow timestamps with a time zone."""
    d = tmp_path_factory.mktemp("minutes")
    rng = np.random.default_rng(3)
    secs = rng.uniform(T0, T0 + 7200, N)
    ms = pa.array((secs * 1000).astype(np.int64), pa.timestamp("ms", tz="UTC"))
    null = rng.random(N) < 0.01
    ts = pa.array([None if z else v for z, v in zip(null, ms.to_pylist(), strict=True)], pa.timestamp("ms", tz="UTC"))
    table = pa.table({"ts": ts, "x": rng.normal(5, 4, N), "c": rng.choice(["a", "b", "c"], N),
                      "v": rng.choice(["m1", "m2"], N)})
    path = d / "past.parquet"
    pq.write_table(table, path, row_group_size=1000)  # 4 pieces
    minute = (np.floor_divide((secs * 1000).astype(np.int64), 60_000) * 60)
    return path, table, minute, null


def test_each_minute_is_the_profile_of_exactly_its_rows(past):
    path, table, minute, null = past
    run = profile_minutes([path], SPEC, ts_column="ts")
    assert (run.pieces, run.rows, run.skipped, run.profiled) == (4, N, int(null.sum()), N - int(null.sum()))
    keep = ~null
    expect_minutes, expect_n = np.unique(minute[keep], return_counts=True)
    assert [m.minute for m in run.minutes] == expect_minutes.tolist()
    assert [m.n for m in run.minutes] == expect_n.tolist()  # rows per minute, counted by NumPy
    assert {m.model_version for m in run.minutes} == {""}
    body = table.drop_columns(["ts"])
    for m in run.minutes[::17]:
        # the minute's rows in each piece (row group of 1,000), profiled, merged in piece order
        parts = []
        for g in range(4):
            idx = [i for i in range(g * 1000, (g + 1) * 1000) if keep[i] and minute[i] == m.minute]
            if idx:
                parts.append(Profile.from_columns(SPEC, body.take(pa.array(idx))))
        assert m.profile.to_bytes() == Profile.merge_all(parts).to_bytes()
        assert m.profile.n == m.n and "ts" not in m.profile.fields  # the timestamp is not an input


def test_a_minute_within_one_piece_is_from_columns_of_its_rows(tmp_path):
    secs = np.array([T0 + 1.0, T0 + 59.9, T0 + 60.0, T0 + 61.5, np.nan, np.inf, T0 + 125.0])
    table = pa.table({"when": secs, "x": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0], "c": ["a", "b", "a", "c", "a", "a", "b"]})
    pq.write_table(table, tmp_path / "t.parquet")
    run = profile_minutes([tmp_path / "t.parquet"], SPEC, ts_column="when", model_version="v7")
    assert [(m.model_version, m.minute, m.n) for m in run.minutes] == [("v7", T0, 2), ("v7", T0 + 60, 2), ("v7", T0 + 120, 1)]
    assert run.skipped == 2  # NaN and inf: counted, not stored
    body = table.drop_columns(["when"])
    assert run.minutes[1].profile.to_bytes() == Profile.from_columns(SPEC, body.take(pa.array([2, 3]))).to_bytes()
    # integer epoch seconds, and naive nanosecond timestamps (read as UTC), give the same minutes
    whole = np.array([T0 + 1, T0 + 59, T0 + 60, T0 + 61, T0 + 125])
    for column in (pa.array(whole, pa.int64()), pa.array(whole * 1_000_000_000, pa.timestamp("ns"))):
        pq.write_table(pa.table({"when": column, "x": [1.0, 2.0, 3.0, 4.0, 7.0]}), tmp_path / "i.parquet")
        got = profile_minutes([tmp_path / "i.parquet"], SPEC, ts_column="when")
        assert [(m.minute, m.n) for m in got.minutes] == [(T0, 2), (T0 + 60, 2), (T0 + 120, 1)] and got.skipped == 0


def test_a_version_column_splits_each_minute_by_version(past):
    path, table, minute, null = past
    run = profile_minutes([path], SPEC, ts_column="ts", version_column="v")
    v = np.asarray(table.column("v").to_pylist())
    got = {(m.model_version, m.minute): m.n for m in run.minutes}
    for version in ("m1", "m2"):
        ms, ns = np.unique(minute[~null & (v == version)], return_counts=True)
        assert {k[1]: n for k, n in got.items() if k[0] == version} == dict(zip(ms.tolist(), ns.tolist(), strict=True))
    assert "v" not in run.minutes[0].profile.fields


def test_dask_gives_the_same_minute_profiles_as_local(past):
    pytest.importorskip("dask.distributed")
    path, *_ = past
    local = profile_minutes([path], SPEC, ts_column="ts")
    on_dask = profile_minutes([path], SPEC, ts_column="ts", engine="dask", options=EngineOptions(workers=2))
    assert [(m.minute, m.n, m.profile.to_bytes()) for m in on_dask.minutes] == \
           [(m.minute, m.n, m.profile.to_bytes()) for m in local.minutes]
    assert (on_dask.rows, on_dask.skipped) == (local.rows, local.skipped)


def test_unusable_timestamp_columns_are_refused_with_the_fix(tmp_path):
    path = tmp_path / "bad.parquet"
    pq.write_table(pa.table({"ms": [T0 * 1000.0], "s": ["2026-01-01T00:00:00"], "x": [1.0]}), path)
    with pytest.raises(DataError, match=r"column 'ms' row 0 is 1767225600000.0, beyond the year 2500 as epoch seconds "
                                        r"\(epoch milliseconds\? divide by 1000\)"):
        profile_minutes([path], SPEC, ts_column="ms")
    with pytest.raises(DataError, match=r"column 's' is string, not a timestamp; --ts-column takes an Arrow timestamp"):
        profile_minutes([path], SPEC, ts_column="s")
    with pytest.raises(DataError, match=r"no column 'when' for --ts-column; columns are ms, s, x"):
        profile_minutes([path], SPEC, ts_column="when")
