"""Contract inference from reference data: types, units from names, ranges with
margins, nullability, category sets; and the spec it makes loads."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from telltale.infer import DataError, infer, infer_spec, read_table, widen


def _table(n: int = 2000) -> pa.Table:
    rng = np.random.default_rng(0)
    rain = rng.exponential(2.0, n)
    rain[::10] = np.nan
    return pa.table({
        "prep_time_s": rng.uniform(10, 3000, n),
        "distance_km": rng.gamma(3, 1.5, n),
        "items": pa.array(rng.integers(1, 9, n)),
        "share_frac": rng.uniform(0.05, 0.9, n),
        "rain_mm": rain,
        "city": pa.array(np.array(["Lyon", "Paris", "Nantes"])[rng.choice(3, n, p=[0.5, 0.3, 0.2])]),
        "user_id": pa.array([f"u{i}" for i in range(n)]),
        "express": pa.array(rng.random(n) < 0.3),
        "created": pa.array(np.arange(n) * 1_000_000_000, type=pa.timestamp("ns")),
        "tags": pa.array([[1]] * n),
        "label": pa.array(rng.random(n) < 0.1),
        "score": rng.random(n),
    })


def test_types_units_ranges_and_categories():
    inf = infer(_table(), target="label", prediction="score")
    by = {f.name: f for f in inf.inputs}
    assert set(by) == {"prep_time_s", "distance_km", "items", "share_frac", "rain_mm", "city", "user_id", "express", "created"}
    assert inf.skipped == {"tags": "type list<item: int64> is not supported as an input"}
    assert (by["prep_time_s"].type, by["prep_time_s"].unit) == ("float", "s")
    assert by["distance_km"].unit == "km" and by["rain_mm"].unit == "mm"
    assert by["share_frac"].unit == "fraction" and by["share_frac"].range == (0, 1)
    assert by["items"].type == "int" and by["items"].range == (0, 9)
    lo, hi = by["prep_time_s"].range
    assert lo == 0 and 3000 < hi <= 3000 + 0.1 * 2990 + 100  # widened by about 10% of the span, never below 0
    assert by["rain_mm"].nullable and not by["prep_time_s"].nullable
    assert by["city"].type == "category" and by["city"].categories == ["Lyon", "Paris", "Nantes"]  # by frequency
    assert by["user_id"].type == "string" and by["user_id"].categories is None
    assert by["express"].type == "bool" and by["created"].type == "timestamp"
    assert inf.output.type == "float"


@pytest.mark.parametrize(("lo", "hi", "unit", "integer", "expected"), [
    (0.05, 59.9, None, False, (0, 66)),  # 10% of the span each side, not below zero
    (1, 7000, "s", False, (0, 7700)),
    (-3.2, 5.1, None, False, (-4.1, 6)),  # a signed field widens both ways
    (0.01, 0.93, "fraction", False, (0, 1)),  # a fraction keeps its natural bounds
    (2, 40, "pct", False, (0, 100)),
    (540, 540, None, False, (480, 600)),  # a constant still gets room
    (0, 23, None, True, (0, 26)),
])
def test_widen(lo, hi, unit, integer, expected):
    assert widen(lo, hi, unit, integer=integer) == expected


def test_inferred_spec_loads_and_checks_its_own_data():
    from telltale.checks import run_checks
    from telltale.profile import Profile

    t = _table().drop_columns(["tags"])
    spec = infer_spec(t, service="x", target="label", prediction="score")
    assert spec.prediction == "score" and spec.target == "label" and "label" not in spec.inputs
    p = Profile.from_columns(spec, t)
    assert [f for f in run_checks(spec, p, p, None) if f.severity == "critical"] == []
    assert p.fields["prep_time_s"].below == p.fields["prep_time_s"].above == 0  # the data fits its own contract


def test_read_table_errors_are_one_line(tmp_path):
    with pytest.raises(DataError, match="file not found"):
        read_table(tmp_path / "nope.parquet")
    bad = tmp_path / "bad.parquet"
    bad.write_bytes(b"not parquet at all")
    with pytest.raises(DataError, match="cannot be read as Parquet") as e:
        read_table(bad)
    assert "\n" not in str(e.value)
    other = tmp_path / "data.xlsx"
    other.write_bytes(b"x")
    with pytest.raises(DataError, match="unknown format '.xlsx'"):
        read_table(other)
    with pytest.raises(DataError, match="--target column 'y' is not in the data"):
        infer(_table(10), target="y")


def test_csv_reads_like_parquet(tmp_path):
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    t = _table(300).drop_columns(["tags", "created"])
    pacsv.write_csv(t, tmp_path / "d.csv")
    pq.write_table(t, tmp_path / "d.parquet")
    a = {f.name: (f.type, f.unit, f.categories) for f in infer(read_table(tmp_path / "d.csv")).inputs}
    b = {f.name: (f.type, f.unit, f.categories) for f in infer(read_table(tmp_path / "d.parquet")).inputs}
    assert a == b
