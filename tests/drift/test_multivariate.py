"""Domain-classifier drift: catches a joint change no marginal shows, and stays quiet on noise."""

import numpy as np
import pyarrow as pa
import pytest
from scipy.stats import ks_2samp

from telltale.drift import multivariate_drift


def _correlated(n, rho, seed):
    rng = np.random.default_rng(seed)
    z1, z2 = rng.normal(size=n), rng.normal(size=n)
    x = z1
    y = rho * z1 + np.sqrt(1 - rho**2) * z2
    noise = rng.normal(size=n)
    return {"x": x, "y": y, "noise": noise}


def test_flipped_correlation_with_unchanged_marginals_is_found_and_named():
    ref = _correlated(6000, 0.8, 1)
    cur = _correlated(6000, -0.8, 2)
    for col in ("x", "y", "noise"):  # every marginal is the same standard normal
        assert ks_2samp(ref[col], cur[col]).pvalue > 0.001
    r = multivariate_drift(ref, cur, max_rows=3000)
    assert r.auc > 0.75
    assert r.severity == "critical"
    assert set(r.drivers[:2]) == {"x", "y"}
    assert "noise" not in r.drivers
    f = r.to_finding()
    assert f.kind == "multivariate_drift" and f.feature is None and f.statistic == "domain_classifier_auc"
    assert "x" in f.message and "y" in f.message


def test_clean_control_gives_no_finding():
    ref = _correlated(6000, 0.8, 3)
    cur = _correlated(6000, 0.8, 4)
    r = multivariate_drift(ref, cur, max_rows=3000)
    assert abs(r.auc - 0.5) < 0.04
    assert r.severity is None and r.to_finding() is None
    assert r.importances == {}


def test_categorical_and_nulls_from_pyarrow():
    rng = np.random.default_rng(5)
    n = 3000
    city_ref = rng.choice(["a", "b", "c"], n, p=[0.6, 0.3, 0.1])
    city_cur = rng.choice(["a", "b", "c"], n, p=[0.1, 0.3, 0.6])
    amt = rng.normal(size=n)
    ref = {"city": pa.array(city_ref), "amount": pa.array(amt)}
    cur = {"city": pa.array(list(city_cur[:-10]) + [None] * 10), "amount": pa.array(np.where(rng.random(n) < 0.01, np.nan, amt))}
    r = multivariate_drift(ref, cur, max_rows=2000)
    assert r.severity == "critical"
    assert r.drivers[0] == "city"


def test_too_few_rows_and_no_shared_columns():
    r = multivariate_drift({"x": np.arange(3.0)}, {"x": np.arange(3.0)})
    assert r.severity is None and "too few rows" in r.message
    with pytest.raises(ValueError, match="at least one column"):
        multivariate_drift({"a": np.arange(3.0)}, {"b": np.arange(3.0)})


def test_empty_and_constant_columns_are_left_out():
    rng = np.random.default_rng(6)
    n = 2000
    ref = {"x": rng.normal(size=n), "empty": np.full(n, np.nan), "const": np.ones(n)}
    cur = {"x": rng.normal(size=n), "empty": np.full(n, np.nan), "const": np.ones(n)}
    r = multivariate_drift(ref, cur, max_rows=1000)
    assert r.severity is None and abs(r.auc - 0.5) < 0.06
    only_empty = multivariate_drift({"empty": ref["empty"]}, {"empty": cur["empty"]})
    assert only_empty.severity is None and "no column carries information" in only_empty.message
