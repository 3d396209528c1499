"""One suite every drift method passes, on exact values (the report) and on profile
sketches (the server): empty input, all-null, constant, NaN/inf, one row."""

import math

import numpy as np
import pyarrow as pa
import pytest

from telltale.drift import CategoricalDist, NumericDist, compare
from telltale.drift.profiles import column_profile_dist
from telltale.profile import Profile


@pytest.fixture(params=["array", "profile"])
def num(request):
    """Build a numeric distribution from values, exactly or through a profile's sketch."""
    def make(values):
        values = np.asarray(values, dtype=np.float64)
        if request.param == "array":
            return NumericDist.from_array(values)
        return column_profile_dist(Profile.from_columns(None, {"x": values}).fields["x"], True)
    return make


@pytest.fixture(params=["array", "profile"])
def cat(request):
    def make(values):
        arr = pa.array(list(values), type=pa.string())
        if request.param == "array":
            return CategoricalDist.from_array(arr)
        return column_profile_dist(Profile.from_columns(None, {"c": arr}).fields["c"], False)
    return make

NUMERIC_METHODS = ["auto", "psi", "js", "wasserstein", "ks", "chi2"]
CATEGORICAL_METHODS = ["auto", "psi", "js", "chi2"]


@pytest.mark.parametrize("method", NUMERIC_METHODS)
class TestNumeric:
    def test_empty_input_is_not_measured(self, method, num):
        r = compare("x", num([]), num([1.0, 2.0]), method=method)
        assert r.severity is None and math.isnan(r.value) and "no reference data" in r.message

    def test_all_null_on_both_sides_is_no_drift(self, method, num):
        a = num([np.nan] * 100)
        r = compare("x", a, a, method=method)
        assert r.severity is None

    def test_all_null_current_is_critical(self, method, num):
        ref = num(np.arange(1000.0))
        cur = num([np.nan] * 1000)
        r = compare("x", ref, cur, method=method)
        assert r.severity == "critical" and r.statistic == "null_share_delta" and r.value == 1.0

    def test_constant_column_unchanged_is_no_drift(self, method, num):
        a = num(np.full(5000, 3.0))
        r = compare("x", a, a, method=method)
        assert r.severity is None and (math.isnan(r.value) or r.value == pytest.approx(0.0, abs=1e-12))

    def test_constant_column_that_moves_is_critical(self, method, num):
        r = compare("x", num(np.full(5000, 3.0)), num(np.full(5000, 4.0)), method=method)
        assert r.severity == "critical"

    def test_nan_and_inf_do_not_poison_the_statistic(self, method, num):
        rng = np.random.default_rng(0)
        a = rng.normal(0, 1, 5000)
        b = a.copy()
        b[:3] = [np.nan, np.inf, -np.inf]
        r = compare("x", num(a), num(b), method=method)
        assert math.isfinite(r.value) and r.severity is None

    def test_single_row_each_side_is_never_critical(self, method, num):
        r = compare("x", num([1.0]), num([2.0]), method=method)
        assert r.severity is None


@pytest.mark.parametrize("method", CATEGORICAL_METHODS)
class TestCategorical:
    def test_empty_input_is_not_measured(self, method, cat):
        r = compare("c", cat(["a"]), cat([]), method=method)
        assert r.severity is None and "no current data" in r.message

    def test_all_null_both_sides(self, method, cat):
        a = cat([None] * 50)
        assert compare("c", a, a, method=method).severity is None

    def test_constant_unchanged_and_changed(self, method, cat):
        a = cat(["x"] * 3000)
        b = cat(["y"] * 3000)
        assert compare("c", a, a, method=method).severity is None
        assert compare("c", a, b, method=method).severity == "critical"

    def test_single_row(self, method, cat):
        r = compare("c", cat(["a"]), cat(["b"]), method=method)
        assert r.severity is None
