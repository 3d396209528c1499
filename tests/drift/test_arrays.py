"""Drift over in-memory columns (the report's path): field plan, prediction, sampling."""

import numpy as np
import pyarrow as pa
import pytest
from scipy.stats import wasserstein_distance

from telltale.drift import column_dist, drift_columns
from telltale.drift.arrays import sample_rows
from telltale.spec import spec_from_dict

SPEC = spec_from_dict({
    "service": "svc", "owner": "me@example.com",
    "inputs": {
        "x": {"type": "float", "drift": {"method": "psi", "threshold": 0.5}},
        "note": {"type": "string"},
        "gone": {"type": "float"},
        "kind": {"type": "category"},
    },
    "output": {"type": "float"},
    "prediction": "pred",
})


def test_plan_follows_the_spec():
    rng = np.random.default_rng(0)
    n = 3000
    ref = {"x": rng.normal(0, 1, n), "note": pa.array(["a"] * n), "kind": pa.array(rng.choice(["u", "v"], n)),
           "pred": rng.normal(0, 1, n), "extra": rng.normal(0, 1, n)}
    cur = {"x": rng.normal(0, 1, n), "note": pa.array(["b"] * n), "kind": pa.array(rng.choice(["u", "v"], n)),
           "pred": rng.normal(2, 1, n), "gone": rng.normal(0, 1, n)}
    rep = drift_columns(ref, cur, SPEC, multivariate=False)
    by = {r.feature: r for r in rep.results}
    assert set(by) == {"x", "kind", "pred"}  # no free text, nothing absent, no unlisted column
    assert by["x"].method == "psi" and by["x"].threshold == 0.5  # the spec's override
    assert by["kind"].method == "js"
    assert by["pred"].kind == "prediction_drift" and by["pred"].severity == "critical"
    assert "free text" in rep.skipped["note"] and rep.skipped["gone"] == "absent from reference"
    assert [f.kind for f in rep.findings()] == ["prediction_drift"]
    assert rep.multivariate is None


def test_without_spec_every_shared_column_by_its_arrow_type():
    rng = np.random.default_rng(1)
    ref = {"a": pa.array(rng.normal(size=2000)), "b": pa.array(rng.choice(["p", "q"], 2000)).dictionary_encode(),
           "c": pa.array(rng.integers(0, 5, 2000))}
    cur = {"a": pa.array(rng.normal(size=2000)), "b": pa.array(rng.choice(["p", "q"], 2000)).dictionary_encode(),
           "c": pa.array(rng.integers(0, 5, 2000))}
    rep = drift_columns(ref, cur, None, multivariate=True)
    assert {r.feature: r.method for r in rep.results} == {"a": "wasserstein", "b": "js", "c": "wasserstein"}
    assert rep.findings() == []
    assert rep.multivariate is not None and rep.multivariate.severity is None


def test_sampled_column_keeps_the_missing_share_and_the_distance():
    rng = np.random.default_rng(2)
    n = 400_000
    a = rng.normal(0, 1, n)
    b = rng.normal(0.3, 1, n)
    b[rng.random(n) < 0.1] = np.nan
    ia, ib = sample_rows(n, 50_000), sample_rows(n, 50_000, seed=1)
    assert ia.size == pytest.approx(50_000, rel=0.02) and np.all(np.diff(ia) > 0)
    da, db = column_dist(a, True, sample=ia), column_dist(b, True, sample=ib)
    assert db.missing_share == pytest.approx(np.isnan(b).mean(), abs=1e-4)
    exact = wasserstein_distance(a, b[np.isfinite(b)])
    from telltale.drift.wasserstein import wasserstein

    assert wasserstein(da.sorted_values, db.sorted_values) == pytest.approx(exact, abs=0.02)
    assert sample_rows(1000, 50_000) is None


def test_pyarrow_numeric_nulls_and_timestamps():
    col = pa.array([1.0, None, 3.0, float("nan")])
    d = column_dist(col, True)
    assert (d.n, d.missing) == (2, 2)
    ts = pa.array([0, 1_000_000, None], type=pa.timestamp("us"))
    d2 = column_dist(ts, True)
    assert (d2.n, d2.missing) == (2, 1) and d2.sorted_values[-1] == 1_000_000


@pytest.mark.parametrize("n", [20_000, 500_000])
def test_clean_control_has_no_critical_finding(n):
    rng = np.random.default_rng(n)

    def side():
        return {"amount": rng.lognormal(3, 0.6, n), "wait": rng.gamma(2.0, 10.0, n), "score": rng.normal(0, 1, n),
                "kind": pa.array(rng.choice(["a", "b", "c", "d"], n, p=[0.5, 0.3, 0.15, 0.05]))}

    rep = drift_columns(side(), side(), None)
    assert [f for f in rep.findings() if f.severity == "critical"] == []
    assert all(r.severity is None for r in rep.results)


def test_timestamps_and_retyped_columns_are_skipped_with_a_reason():
    import datetime as dt

    n = 500
    t0 = dt.datetime(2026, 1, 1)
    ref = {"ts": pa.array([t0 + dt.timedelta(minutes=i) for i in range(n)]), "x": pa.array(np.arange(n, dtype=float))}
    cur = {"ts": pa.array([t0 + dt.timedelta(days=30, minutes=i) for i in range(n)]), "x": pa.array([str(i) for i in range(n)])}
    spec = spec_from_dict({"service": "s", "owner": "o", "inputs": {"ts": {"type": "timestamp"}, "x": {"type": "float"}}})
    for sp in (spec, None):
        rep = drift_columns(ref, cur, sp, multivariate=False)
        assert rep.results == []
        assert "moves with time" in rep.skipped["ts"]
        assert "type check" in rep.skipped["x"]
