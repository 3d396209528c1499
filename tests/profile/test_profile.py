"""Profiles: the merge of two halves equals the profile of the whole (counts exactly,
quantiles within the KLL sketch's stated rank error, checked against NumPy on the raw
data), records and columns profile alike, and values are counted by what they are."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from telltale.profile import CONFIDENCE, COST, LATENCY, PREDICTION, Profile
from telltale.spec import parse_spec
from telltale.types import PredictionRecord, Violation

SPEC = parse_spec("""
service: s
owner: me
inputs:
  x:    {type: float, range: [0, 100]}
  k:    {type: int, range: [0, 10]}
  city: {type: category, categories: [a, b, c]}
  flag: {type: bool, required: false}
  when: {type: timestamp, required: false, nullable: true}
output: {type: float}
prediction: yhat
""")
COUNTERS = ("rows", "missing", "nulls", "nan", "inf", "mismatches", "below", "above", "unseen")


def _data(n: int, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.lognormal(3.0, 0.8, n)  # skewed, some above the range's 100
    x[rng.random(n) < 0.05] = np.nan
    city = np.array(["a", "b", "c", "zz"], dtype=object)[rng.choice(4, n, p=[0.5, 0.3, 0.15, 0.05])]
    return {"x": x, "k": rng.integers(-1, 12, n), "city": city, "flag": rng.random(n) < 0.3, "yhat": rng.normal(size=n)}


def _rank(sorted_values: np.ndarray, v: float) -> tuple[float, float]:
    """The interval of normalised ranks value ``v`` occupies in the raw data."""
    n = len(sorted_values)
    return np.searchsorted(sorted_values, v, "left") / n, np.searchsorted(sorted_values, v, "right") / n


def test_merge_of_halves_equals_profile_of_whole():
    n = 200_000
    d = _data(n)
    whole = Profile.from_columns(SPEC, d)
    a = Profile.from_columns(SPEC, {k: v[: n // 3] for k, v in d.items()})
    b = Profile.from_columns(SPEC, {k: v[n // 3:] for k, v in d.items()})
    merged = a.merge(b)
    assert merged.n == whole.n == n
    assert set(merged.fields) == set(whole.fields) == {"x", "k", "city", "flag", "when", PREDICTION}
    for name, w in whole.fields.items():
        m = merged.fields[name]
        assert {c: getattr(m, c) for c in COUNTERS} == {c: getattr(w, c) for c in COUNTERS}, name
        assert np.array_equal(m.distinct.registers, w.distinct.registers)
    assert np.array_equal(merged.rows.registers, whole.rows.registers)
    # exact numeric moments against NumPy on the raw values
    raw = d["x"][~np.isnan(d["x"])]
    mx = merged.fields["x"].numeric
    assert mx.count == len(raw) and mx.min == raw.min() and mx.max == raw.max()
    assert mx.mean == pytest.approx(raw.mean(), rel=1e-12)
    assert mx.std == pytest.approx(raw.std(), rel=1e-9)
    assert merged.fields["x"].nulls == int(np.isnan(d["x"]).sum())
    assert merged.fields["x"].above == int((raw > 100).sum())
    # quantiles: the true rank of each estimate lies within the sketch's stated error
    srt = np.sort(raw)
    eps = mx.kll.normalized_rank_error(False)
    for q in np.linspace(0.01, 0.99, 25):
        for prof in (merged, whole):
            lo, hi = _rank(srt, prof.fields["x"].numeric.quantile(q))
            assert lo - eps <= q <= hi + eps, (q, lo, hi, eps)
    # categorical counts are exact while there are few values
    vals, counts = np.unique(d["city"].astype(str), return_counts=True)
    assert merged.fields["city"].categorical.items() == dict(zip(vals.tolist(), counts.tolist()))
    assert merged.fields["city"].unseen == int((d["city"] == "zz").sum())
    assert merged.fields["k"].below == int((d["k"] < 0).sum()) and merged.fields["k"].above == int((d["k"] > 10).sum())
    # distinct counts within four standard errors of the truth
    true_k = len(np.unique(d["k"]))
    assert abs(merged.fields["k"].distinct_estimate - true_k) <= 4 * 0.0163 * true_k + 1


def test_merge_is_pure_and_handles_fields_seen_on_one_side():
    a = Profile.from_columns(None, {"x": np.arange(10.0)})
    b = Profile.from_columns(None, {"y": np.array(["u", "v"], dtype=object)})
    m = a.merge(b)
    assert a.n == 10 and set(a.fields) == {"x"} and b.n == 2
    assert m.n == 12
    assert (m.fields["x"].rows, m.fields["x"].missing) == (12, 2)
    assert (m.fields["y"].rows, m.fields["y"].missing) == (12, 10)
    assert m.fields["x"].null_share == pytest.approx(2 / 12)


def _records(d: dict[str, np.ndarray]) -> list[PredictionRecord]:
    out = []
    for i in range(len(d["x"])):
        x = float(d["x"][i])
        inputs = {"x": None if np.isnan(x) else x, "k": int(d["k"][i]), "city": str(d["city"][i]), "flag": bool(d["flag"][i])}
        out.append(PredictionRecord(id=str(i), service="s", ts=0.0, inputs=inputs, output=float(d["yhat"][i])))
    return out


def test_records_and_columns_profile_alike():
    d = _data(3000, seed=4)
    d["k"][:300] = d["k"][300:600]  # some repeated rows
    for key in ("x", "city", "flag", "yhat"):
        d[key][:300] = d[key][300:600]
    cols = Profile.from_columns(SPEC, d)
    recs = Profile.from_records(SPEC, _records(d))
    for name in ("x", "k", "city", "flag", PREDICTION):
        c, r = cols.fields[name], recs.fields[name]
        # NaN in an array and None in a record are both nulls; only the NaN counter tells them apart
        same = [k for k in COUNTERS if k not in ("missing", "nan")]
        assert {k: getattr(c, k) for k in same} == {k: getattr(r, k) for k in same}, name
        assert np.array_equal(c.distinct.registers, r.distinct.registers), name
    assert np.array_equal(cols.rows.registers, recs.rows.registers)
    assert recs.duplicate_share == pytest.approx(cols.duplicate_share)
    import pandas as pd

    truth = pd.DataFrame({k: d[k] for k in ("x", "k", "city", "flag")}).duplicated().mean()  # NaN equals NaN here
    assert truth > 0.1 and cols.duplicate_share == pytest.approx(truth, abs=0.01)
    # a field absent from every record is counted missing, not null
    assert recs.fields["when"].missing == 3000 and recs.fields["when"].nulls == 0


def test_record_extras_sources_and_violations():
    recs = [
        PredictionRecord(id="1", service="s", ts=0.0, inputs={"x": 5.0, "k": 1, "city": "a", "new_col": "z"}, output=1.5,
                         confidence=0.9, latency_ms=12.0, cost=0.002, source="model"),
        PredictionRecord(id="2", service="s", ts=0.0, inputs={"x": "5.0", "k": 2.5, "city": 7, "when": "2026-01-01T00:00:00+00:00"},
                         output=None, source="rules", violations=[Violation("x", "type", "expected a number")]),
    ]
    p = Profile.from_records(SPEC, recs)
    assert p.sources == {"model": 1, "rules": 1}
    assert p.violations == {("x", "type"): 1}
    assert p.fields[LATENCY].numeric.mean == 12.0 and p.fields[LATENCY].nulls == 1
    assert p.fields[CONFIDENCE].numeric.count == 1 and p.fields[COST].numeric.sum == pytest.approx(0.002)
    assert p.fields["x"].mismatches == 1  # the string "5.0" in a float field
    assert p.fields["k"].mismatches == 1  # 2.5 in an int field
    assert p.fields["city"].mismatches == 1  # 7 in a category field
    assert p.fields["when"].numeric.min == 1_767_225_600.0  # ISO timestamps become epoch seconds
    assert p.fields["new_col"].declared is None and p.fields["new_col"].missing == 1
    assert p.fields[PREDICTION].nulls == 1
    assert set(p.inputs) == {"x", "k", "city", "flag", "when", "new_col"}


def test_columns_accept_arrow_pandas_and_mixed_objects():
    import pandas as pd

    table = pa.table({"x": pa.array([1.0, None, 3.0]), "city": pa.array(["a", None, "b"]).dictionary_encode(),
                      "when": pa.array([0, 1_000, None], type=pa.timestamp("ms"))})
    p = Profile.from_columns(SPEC, table)
    assert (p.fields["x"].nulls, p.fields["x"].nan) == (1, 0)
    assert p.fields["city"].categorical.items() == {"a": 1, "b": 1} and p.fields["city"].nulls == 1
    assert p.fields["when"].numeric.max == 1.0
    df = pd.DataFrame({"x": [1.0, np.nan, np.inf], "city": ["a", "b", None], "k": pd.array([1, None, 3], dtype="Int64")})
    q = Profile.from_columns(SPEC, df)
    assert (q.fields["x"].nulls, q.fields["x"].inf, q.fields["x"].numeric.count) == (1, 1, 1)  # pandas' NaN is its null
    assert q.fields["k"].nulls == 1 and q.fields["k"].numeric.count == 2
    mixed = Profile.from_columns(SPEC, {"x": np.array([1.0, "oops", None], dtype=object)})
    assert (mixed.fields["x"].mismatches, mixed.fields["x"].nulls, mixed.fields["x"].numeric.count) == (1, 1, 1)
    with pytest.raises(ValueError, match="column 'b' has 2 rows but column 'a' has 3"):
        Profile.from_columns(None, {"a": np.zeros(3), "b": np.zeros(2)})


def test_from_columns_is_vectorised_on_half_a_million_rows():
    """500,000 rows of five columns profile without a Python object per value (a loop
    over values would take tens of seconds; this takes well under that)."""
    rng = np.random.default_rng(0)
    n = 500_000
    d = {"x": rng.normal(50, 10, n), "k": rng.integers(0, 10, n), "city": np.array(["a", "b", "c"])[rng.integers(0, 3, n)],
         "flag": rng.random(n) < 0.5, "yhat": rng.normal(size=n)}
    p = Profile.from_columns(SPEC, d)
    assert p.n == n and p.fields["city"].categorical.count == n
    assert p.fields["x"].numeric.quantile(0.5) == pytest.approx(50, abs=0.5)


def test_high_cardinality_strings_stay_exact_where_it_matters():
    """An ID-like column: the row count and distinct estimate are right, the frequent
    items sketch holds only heavy hitters, and the unseen count (Arrow path) equals the
    records path's."""
    n = 20_000
    ids = np.array([f"id-{i}" for i in range(n)], dtype=object)
    ids[:500] = "a"  # one heavy hitter among many singletons
    p = Profile.from_columns(SPEC, {"city": pa.array(ids)})
    col = p.fields["city"]
    assert col.categorical.count == n
    assert col.categorical.items()["a"] >= 500
    assert abs(col.distinct_estimate - (n - 499)) <= 4 * 0.0163 * n
    assert col.unseen == n - 500  # every id is outside [a, b, c]
    recs = [PredictionRecord(id=str(i), service="s", ts=0.0, inputs={"city": str(v)}) for i, v in enumerate(ids[:3000])]
    assert Profile.from_records(SPEC, recs).fields["city"].unseen == 3000 - 500


from hypothesis import (  # noqa: E402
    given,
    settings,
    strategies as st,  # noqa: E402
)

_VALUE = st.one_of(st.none(), st.booleans(), st.integers(-5, 20), st.floats(allow_nan=True, allow_infinity=True, width=64),
                   st.sampled_from(["a", "b", "zz", ""]))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.fixed_dictionaries({}, optional={"x": _VALUE, "k": _VALUE, "city": _VALUE, "odd": _VALUE}), max_size=40),
       st.integers(0, 40))
def test_merge_law_holds_for_any_values(inputs, cut):
    """Whatever arrives (nulls, NaN, inf, wrong types, absent keys), the merge of two
    halves' profiles has exactly the counters and distinct registers of the whole."""
    recs = [PredictionRecord(id=str(i), service="s", ts=0.0, inputs=d) for i, d in enumerate(inputs)]
    cut = min(cut, len(recs))
    whole = Profile.from_records(SPEC, recs)
    merged = Profile.from_records(SPEC, recs[:cut]).merge(Profile.from_records(SPEC, recs[cut:]))
    assert merged.n == whole.n
    assert set(merged.fields) == set(whole.fields)
    for name, w in whole.fields.items():
        m = merged.fields[name]
        assert {c: getattr(m, c) for c in COUNTERS} == {c: getattr(w, c) for c in COUNTERS}, name
        assert np.array_equal(m.distinct.registers, w.distinct.registers), name
        if w.numeric is not None:
            assert (m.numeric.count, m.numeric.min, m.numeric.max) == (w.numeric.count, w.numeric.min, w.numeric.max)
        if w.categorical is not None:
            assert m.categorical.items() == w.categorical.items()
    assert np.array_equal(merged.rows.registers, whole.rows.registers)
    assert Profile.from_bytes(merged.to_bytes()).n == whole.n


def test_describe_is_strict_json_with_numpy_checked_numbers():
    import json

    x = np.array([1.0, 2.0, 3.0, 4.0, np.nan, np.inf])
    d = Profile.from_columns(SPEC, {"x": x, "city": np.array(["a", "a", "b", "zz", None, "a"], dtype=object)}).describe()
    json.dumps(d, allow_nan=False)
    fx = d["fields"]["x"]
    assert (fx["nulls"], fx["inf"], fx["numeric"]["count"]) == (1, 1, 4)
    assert fx["numeric"]["mean"] == np.mean([1, 2, 3, 4]) and fx["numeric"]["std"] == pytest.approx(np.std([1, 2, 3, 4]))
    assert fx["numeric"]["quantiles"]["0.5"] in (2.0, 3.0)  # the exact sketch returns an observed middle value
    assert d["fields"]["city"]["categorical"]["top"][0] == {"value": "a", "count": 3}
    assert d["fields"]["city"]["unseen_categories"] == 1


def test_guards_that_took_calls_are_counted_merged_and_kept_through_bytes():
    from telltale.types import PredictionRecord

    def recs(guard_names, start):
        return [PredictionRecord(id=str(start + i), service="eta", ts=0.0, inputs={"x": 1.0}, guard=g) for i, g in enumerate(guard_names)]

    a = Profile.from_records(None, recs(["breaker", None, "contract", "breaker"], 0))
    b = Profile.from_records(None, recs([None, "contract", "deadline"], 10))
    assert a.guards == {"breaker": 2, "contract": 1}
    merged = Profile.from_bytes(a.merge(b).to_bytes())
    assert merged.guards == {"breaker": 2, "contract": 2, "deadline": 1} and merged.n == 7
