import numpy as np
import pytest
from scipy.stats import chi2_contingency

from telltale.drift.chi2 import chi2_homogeneity


@pytest.mark.parametrize("seed", range(4))
def test_matches_scipy_contingency(seed):
    rng = np.random.default_rng(seed)
    r = rng.integers(5, 500, 6)
    c = rng.integers(5, 500, 6)
    res = chi2_homogeneity(r, c)
    ref = chi2_contingency(np.vstack([r, c]), correction=False)
    assert res.statistic == pytest.approx(ref.statistic, rel=1e-10)
    assert res.pvalue == pytest.approx(ref.pvalue, rel=1e-8)
    assert res.dof == ref.dof
    assert res.cramers_v == pytest.approx(np.sqrt(ref.statistic / (r.sum() + c.sum())), rel=1e-10)


def test_two_by_two_matches_uncorrected_scipy():
    res = chi2_homogeneity([90, 10], [70, 30])
    ref = chi2_contingency([[90, 10], [70, 30]], correction=False)
    assert res.statistic == pytest.approx(ref.statistic)
    assert res.pvalue == pytest.approx(ref.pvalue)


def test_columns_empty_on_both_sides_are_dropped():
    a = chi2_homogeneity([10, 0, 20], [15, 0, 25])
    b = chi2_homogeneity([10, 20], [15, 25])
    assert (a.statistic, a.dof) == pytest.approx((b.statistic, b.dof))


def test_degenerate_tables_are_no_evidence():
    assert chi2_homogeneity([5], [7]).pvalue == 1.0
    assert chi2_homogeneity([0, 0], [1, 2]).pvalue == 1.0
