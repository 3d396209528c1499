"""Profiles built on each engine equal the single-machine profile: counts, distinct-count
registers and frequent items exactly, quantiles within the KLL sketch's stated error."""

from __future__ import annotations

import shutil

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from telltale.cli.main import app
from telltale.engines import EngineOptions, pieces_of, profile_files
from telltale.infer import DataError
from telltale.profile import Profile
from telltale.profile.column import COUNTS
from telltale.spec import parse_spec

SPEC = """\
service: s
owner: me
inputs:
  x: {type: float, range: [-20, 30]}
  c: {type: category, categories: [a, b, c]}
  k: {type: int, nullable: true}
"""
N = 120_000


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    d = tmp_path_factory.mktemp("engines")
    rng = np.random.default_rng(7)
    x = rng.normal(5, 4, N)
    k = rng.integers(0, 50, N).astype(float)
    k[rng.random(N) < 0.05] = np.nan
    c = rng.choice(["a", "b", "c", "zz"], N, p=[0.5, 0.3, 0.15, 0.05])  # "zz" is unseen by the contract
    table = pa.table({"x": x, "c": c, "k": pa.array(k, from_pandas=True).cast(pa.int64(), safe=False)})
    path = d / "data.parquet"
    pq.write_table(table, path, row_group_size=15_000)  # 8 row groups: 8 pieces
    return path, table


@pytest.fixture(scope="module")
def spec():
    return parse_spec(SPEC)


def _same_but_quantiles(a: Profile, b: Profile) -> None:
    assert a.n == b.n
    assert set(a.fields) == set(b.fields)
    for name, ca in a.fields.items():
        cb = b.fields[name]
        assert [getattr(ca, k) for k in COUNTS] == [getattr(cb, k) for k in COUNTS], name
        assert np.array_equal(ca.distinct.registers, cb.distinct.registers), name
        if ca.categorical is not None:
            assert ca.categorical.items() == cb.categorical.items(), name
        if ca.numeric is not None:
            assert ca.numeric.count == cb.numeric.count and ca.numeric.min == cb.numeric.min and ca.numeric.max == cb.numeric.max
            assert ca.numeric.mean == pytest.approx(cb.numeric.mean, rel=1e-12)
    assert np.array_equal(a.rows.registers, b.rows.registers)


def _quantiles_within_error(p: Profile, table: pa.Table) -> None:
    x = np.sort(table.column("x").to_numpy())
    s = p.fields["x"].numeric
    eps = s.rank_error
    assert 0 < eps < 0.02  # KLL k=200 in estimation mode: about 1.65%
    for q in (0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99):
        rank = np.searchsorted(x, s.quantile(q)) / x.size
        assert abs(rank - q) <= eps, (q, rank)


def test_pieces_are_row_groups_in_order(data):
    path, _ = data
    pieces = pieces_of([path])
    assert [(p.row_group, p.rows) for p in pieces] == [(i, 15_000) for i in range(8)]


def test_local_engine_equals_the_whole_file_profile(data, spec):
    path, table = data
    seen = []
    run = profile_files([path], spec, engine="local", options=EngineOptions(progress=lambda d, t: seen.append((d, t))))
    assert (run.pieces, run.rows) == (8, N) and seen[-1] == (8, 8)
    whole = Profile.from_columns(spec, table)
    _same_but_quantiles(run.profile, whole)
    _quantiles_within_error(run.profile, table)
    assert run.profile.fields["c"].unseen == int(np.sum(table.column("c").to_numpy(zero_copy_only=False) == "zz"))


def test_dask_engine_equals_the_local_profile(data, spec):
    pytest.importorskip("dask.distributed")
    path, table = data
    local = profile_files([path], spec, engine="local").profile
    run = profile_files([path], spec, engine="dask", options=EngineOptions(workers=2))
    _same_but_quantiles(run.profile, local)
    _quantiles_within_error(run.profile, table)


def test_profile_command_writes_a_reference_the_report_reads(data, tmp_path):
    path, table = data
    spec_file = tmp_path / "telltale.yaml"
    spec_file.write_text(SPEC)
    out = tmp_path / "ref.profile"
    r = CliRunner().invoke(app, ["profile", str(path), "--spec", str(spec_file), "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert f"{N:,} rows in 8 pieces on local" in r.output
    cur = tmp_path / "cur.parquet"
    pq.write_table(table.slice(0, 20_000), cur)
    r = CliRunner().invoke(app, ["report", "--reference", str(out), "--spec", str(spec_file), "--current", str(cur)])
    assert r.exit_code == 0 and "(120,000 rows)" in r.output and "nothing critical" in r.output
    x = table.column("x").to_numpy()
    pq.write_table(table.slice(0, 20_000).set_column(0, "x", pa.array(x[:20_000] * 1000)), cur)  # a unit change
    r = CliRunner().invoke(app, ["report", "--reference", str(out), "--spec", str(spec_file), "--current", str(cur)])
    assert r.exit_code == 1 and "critical unit x" in r.output


def test_profile_command_errors_name_the_problem(tmp_path, data):
    path, _ = data
    spec_file = tmp_path / "telltale.yaml"
    spec_file.write_text(SPEC)
    r = CliRunner().invoke(app, ["profile", str(tmp_path / "nope.parquet"), "--spec", str(spec_file), "--out", str(tmp_path / "o.profile")])
    assert r.exit_code == 2 and "nope.parquet: file not found" in r.output
    r = CliRunner().invoke(app, ["profile", str(path), "--spec", str(spec_file), "--out", str(tmp_path / "o.profile"), "--engine", "ray"])
    assert r.exit_code == 2 and "--engine must be one of dask, local, spark, got 'ray'" in r.output
    with pytest.raises(DataError, match="directory with no .parquet files"):
        pieces_of([tmp_path])


@pytest.mark.slow
def test_spark_pieces_and_dataframe_profiles_equal_the_local_profile(data, spec):
    pytest.importorskip("pyspark")
    if shutil.which("java") is None:
        pytest.fail("the spark engine needs a Java runtime: scripts/test installs Debian's openjdk-17-jre-headless")
    from telltale.engines import spark as spark_engine

    path, table = data
    local = profile_files([path], spec, engine="local").profile
    session = spark_engine.session(EngineOptions(workers=2))  # one JVM for both paths
    try:
        on_pieces = profile_files([path], spec, engine="spark", options=EngineOptions(workers=2)).profile
        on_frame = spark_engine.profile_dataframe(session.read.parquet(str(path)), spec)
    finally:
        session.stop()
    for profile in (on_pieces, on_frame):
        _same_but_quantiles(profile, local)
        _quantiles_within_error(profile, table)
