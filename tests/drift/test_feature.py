"""One field's verdict: statistical and practical significance together, null share, methods."""

import warnings

import numpy as np
import pytest
from scipy.spatial.distance import jensenshannon
from scipy.stats import chi2_contingency, ks_2samp, wasserstein_distance

from telltale.drift import CategoricalDist, NumericDist, compare
from telltale.drift.feature import bin_counts
from telltale.drift.psi import psi


def _num(a):
    return NumericDist.from_array(a)


def test_one_percent_mean_shift_at_500k_rows_is_not_critical():
    rng = np.random.default_rng(0)
    ref = rng.normal(50.0, 10.0, 500_000)
    cur = rng.normal(50.5, 10.0, 500_000)  # the mean moved by 1% (0.05 sd)
    r = compare("x", _num(ref), _num(cur))
    assert r.p_value < 1e-6  # statistically it is certainly real ...
    assert r.severity != "critical"  # ... but practically small
    assert r.value == pytest.approx(wasserstein_distance(ref, cur) / ref.std(), rel=1e-9)


def test_half_sd_shift_at_500k_rows_is_critical():
    rng = np.random.default_rng(1)
    ref = rng.normal(50.0, 10.0, 500_000)
    cur = rng.normal(55.0, 10.0, 500_000)
    r = compare("x", _num(ref), _num(cur))
    assert r.severity == "critical"
    assert r.statistic == "wasserstein_sd"
    assert r.value == pytest.approx(0.5, abs=0.01)
    assert "x:" in r.message and "mean" in r.message


def test_large_effect_on_tiny_sample_is_not_significant():
    # 5 values a side: KS cannot reject, whatever D is, so no finding.
    r = compare("x", _num([1.0, 2, 3, 4, 5]), _num([1.5, 2.5, 3.5, 4.5, 5.5]))
    assert r.method == "ks"
    assert r.severity is None
    with warnings.catch_warnings():  # SciPy says when it falls back from exact to asymptotic
        warnings.simplefilter("ignore", RuntimeWarning)
        expected = ks_2samp([1.0, 2, 3, 4, 5], [1.5, 2.5, 3.5, 4.5, 5.5], method="exact").pvalue
    assert r.p_value == pytest.approx(expected)


def test_small_samples_use_ks_and_flag_a_real_shift():
    rng = np.random.default_rng(2)
    ref, cur = rng.normal(0, 1, 400), rng.normal(1.0, 1, 400)
    r = compare("x", _num(ref), _num(cur))
    assert r.method == "ks" and r.statistic == "ks_d"
    assert r.value == pytest.approx(ks_2samp(ref, cur).statistic)
    assert r.severity == "critical"


def test_null_share_drifts_even_when_values_are_identical():
    rng = np.random.default_rng(3)
    ref = rng.normal(0, 1, 50_000)
    cur = ref.copy()
    cur[rng.random(cur.size) < 0.2] = np.nan  # 0% -> 20% nulls, the rest unchanged
    r = compare("x", _num(ref), _num(cur))
    assert r.severity == "critical"
    assert r.statistic == "null_share_delta"
    assert r.value == pytest.approx(np.isnan(cur).mean(), abs=1e-12)
    assert "0.0%" in r.message and "missing" in r.message


def test_small_null_share_change_is_at_most_a_warning():
    rng = np.random.default_rng(4)
    ref = rng.normal(0, 1, 50_000)
    cur = ref.copy()
    cur[:1500] = np.nan  # 3%
    r = compare("x", _num(ref), _num(cur))
    assert r.severity == "warning" and r.statistic == "null_share_delta"


def test_infinities_count_as_missing():
    d = _num([1.0, np.inf, -np.inf, np.nan, 2.0])
    assert (d.n, d.missing) == (2, 3)


def test_categorical_mix_shift_js_default_psi_on_request_and_chi2_gate():
    rng = np.random.default_rng(5)
    ref = rng.choice(["a", "b", "c"], 20_000, p=[0.5, 0.3, 0.2])
    cur = rng.choice(["a", "b", "c"], 20_000, p=[0.3, 0.3, 0.4])
    r = compare("city", CategoricalDist.from_array(ref), CategoricalDist.from_array(cur))
    assert r.method == "js" and r.severity == "critical"
    counts_r = [np.sum(ref == k) for k in "abc"]
    counts_c = [np.sum(cur == k) for k in "abc"]
    assert r.value == pytest.approx(jensenshannon(counts_r, counts_c, base=2), rel=1e-10)
    by_psi = compare("city", CategoricalDist.from_array(ref), CategoricalDist.from_array(cur), method="psi")
    assert by_psi.value == pytest.approx(psi(counts_r, counts_c), rel=1e-12) and by_psi.severity == "critical"
    assert r.p_value == pytest.approx(chi2_contingency([counts_r, counts_c], correction=False).pvalue, abs=1e-300)
    assert "largest moves" in r.message


def test_categorical_null_bin_and_unseen_value():
    ref = CategoricalDist.from_array(np.array(["a"] * 500 + ["b"] * 500, dtype=object))
    cur = CategoricalDist.from_array(np.array(["a"] * 300 + ["b"] * 300 + [None] * 200 + ["z"] * 200, dtype=object))
    r_counts, c_counts = bin_counts(ref, cur)
    # keys sorted (a, b, z), then "other", then missing
    assert list(r_counts) == [500, 500, 0, 0, 0]
    assert list(c_counts) == [300, 300, 200, 0, 200]
    assert compare("c", ref, cur).severity == "critical"


def test_spec_override_method_and_threshold():
    rng = np.random.default_rng(6)
    ref, cur = rng.normal(0, 1, 20_000), rng.normal(0.15, 1, 20_000)
    default = compare("x", _num(ref), _num(cur))
    assert default.severity == "warning"  # 0.15 sd: between 0.05 and 0.2
    strict = compare("x", _num(ref), _num(cur), threshold=0.1)
    assert strict.severity == "critical" and strict.threshold == 0.1 and strict.warning == 0.05
    js = compare("x", _num(ref), _num(cur), method="js")
    assert js.method == "js" and js.statistic == "jensen_shannon"
    chi = compare("x", _num(ref), _num(cur), method="chi2")
    r, c = bin_counts(_num(ref), _num(cur))
    assert chi.value == pytest.approx(np.sqrt(chi2_contingency([r[r + c > 0], c[r + c > 0]], correction=False).statistic / (r.sum() + c.sum())))


def test_large_category_losing_share_is_found():
    # 40% -> 28%, spread over smaller categories: PSI reads 0.0995 (nothing), JS 0.11
    ref = [40, 25, 15, 10, 6, 4]
    cur = [28, 25, 15, 16, 10, 6]
    mk = lambda shares: CategoricalDist(counts={str(i): s * 10_000 for i, s in enumerate(shares)}, missing=0)  # noqa: E731
    assert psi(ref, cur) < 0.1
    r = compare("c", mk(ref), mk(cur))
    assert r.value == pytest.approx(jensenshannon(ref, cur, base=2)) and r.severity == "critical"  # JS 0.133 >= 0.1


def test_numeric_only_method_on_categorical_falls_back_to_default():
    ref = CategoricalDist.from_array(np.array(["a", "b"] * 1000, dtype=object))
    r = compare("c", ref, ref, method="wasserstein")
    assert r.method == "js" and r.severity is None


def test_unknown_method_and_bad_threshold_raise():
    d = _num([1.0, 2.0])
    with pytest.raises(ValueError, match="drift method must be one of"):
        compare("x", d, d, method="energy")
    with pytest.raises(ValueError, match="threshold must be positive"):
        compare("x", d, d, threshold=0)


def test_mixed_kinds_raise():
    with pytest.raises(TypeError, match="both be numeric or both categorical"):
        compare("x", _num([1.0]), CategoricalDist.from_array(["a"]))


def test_a_window_of_many_fields_splits_the_significance_level_bonferroni():
    from scipy import stats

    from telltale.drift.methods import ALPHA, family_alpha

    ref = np.random.default_rng(3).normal(0, 1, 2000)
    cur = np.random.default_rng(4).normal(0.9, 1, 30)  # 30 rows: a quiet 5-minute window
    p = stats.ks_2samp(ref, cur).pvalue
    assert family_alpha(11) < p < ALPHA  # significant alone, not as one of 11 fields
    alone = compare("x", NumericDist.from_array(ref), NumericDist.from_array(cur))
    in_family = compare("x", NumericDist.from_array(ref), NumericDist.from_array(cur), alpha=family_alpha(11))
    assert alone.severity == "critical" and in_family.severity is None
    assert family_alpha(11) == pytest.approx(ALPHA / 11) and family_alpha(0) == ALPHA
