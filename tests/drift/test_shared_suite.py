"""One suite every drift method passes: empty input, all-null, constant, NaN/inf, one row."""

import math

import numpy as np
import pytest

from telltale.drift import CategoricalDist, NumericDist, compare

NUMERIC_METHODS = ["auto", "psi", "js", "wasserstein", "ks", "chi2"]
CATEGORICAL_METHODS = ["auto", "psi", "js", "chi2"]


@pytest.mark.parametrize("method", NUMERIC_METHODS)
class TestNumeric:
    def test_empty_input_is_not_measured(self, method):
        r = compare("x", NumericDist.from_array([]), NumericDist.from_array([1.0, 2.0]), method=method)
        assert r.severity is None and math.isnan(r.value) and "no reference data" in r.message

    def test_all_null_on_both_sides_is_no_drift(self, method):
        a = NumericDist.from_array([np.nan] * 100)
        r = compare("x", a, a, method=method)
        assert r.severity is None

    def test_all_null_current_is_critical(self, method):
        ref = NumericDist.from_array(np.arange(1000.0))
        cur = NumericDist.from_array([np.nan] * 1000)
        r = compare("x", ref, cur, method=method)
        assert r.severity == "critical" and r.statistic == "null_share_delta" and r.value == 1.0

    def test_constant_column_unchanged_is_no_drift(self, method):
        a = NumericDist.from_array(np.full(5000, 3.0))
        r = compare("x", a, a, method=method)
        assert r.severity is None and (math.isnan(r.value) or r.value == pytest.approx(0.0, abs=1e-12))

    def test_constant_column_that_moves_is_critical(self, method):
        r = compare("x", NumericDist.from_array(np.full(5000, 3.0)), NumericDist.from_array(np.full(5000, 4.0)), method=method)
        assert r.severity == "critical"

    def test_nan_and_inf_do_not_poison_the_statistic(self, method):
        rng = np.random.default_rng(0)
        a = rng.normal(0, 1, 5000)
        b = a.copy()
        b[:3] = [np.nan, np.inf, -np.inf]
        r = compare("x", NumericDist.from_array(a), NumericDist.from_array(b), method=method)
        assert math.isfinite(r.value) and r.severity is None

    def test_single_row_each_side_is_never_critical(self, method):
        r = compare("x", NumericDist.from_array([1.0]), NumericDist.from_array([2.0]), method=method)
        assert r.severity is None


@pytest.mark.parametrize("method", CATEGORICAL_METHODS)
class TestCategorical:
    def test_empty_input_is_not_measured(self, method):
        r = compare("c", CategoricalDist.from_array(["a"]), CategoricalDist.from_array(np.array([], dtype=object)), method=method)
        assert r.severity is None and "no current data" in r.message

    def test_all_null_both_sides(self, method):
        a = CategoricalDist.from_array(np.array([None] * 50, dtype=object))
        assert compare("c", a, a, method=method).severity is None

    def test_constant_unchanged_and_changed(self, method):
        a = CategoricalDist.from_array(np.array(["x"] * 3000, dtype=object))
        b = CategoricalDist.from_array(np.array(["y"] * 3000, dtype=object))
        assert compare("c", a, a, method=method).severity is None
        assert compare("c", a, b, method=method).severity == "critical"

    def test_single_row(self, method):
        r = compare("c", CategoricalDist.from_array(["a"]), CategoricalDist.from_array(["b"]), method=method)
        assert r.severity is None
