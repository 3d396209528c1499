import math

import numpy as np
import pytest
from scipy.stats import ks_2samp as scipy_ks

from telltale.drift.ks import ks_2samp, ks_from_cdfs, ks_pvalue


@pytest.mark.parametrize("n,m,shift", [(200, 300, 0.0), (2000, 1500, 0.1), (10000, 10000, 0.05), (40, 900, 0.5)])
def test_matches_scipy_asymptotic(n, m, shift):
    rng = np.random.default_rng(n)
    a, b = rng.normal(0, 1, n), rng.normal(shift, 1, m)
    d, p = ks_2samp(a, b)
    ref = scipy_ks(a, b, method="asymp")  # exact below 10,000 = n * m, as SciPy does
    assert d == pytest.approx(ref.statistic, rel=1e-12)
    assert p == pytest.approx(ref.pvalue if n * m > 10_000 else scipy_ks(a, b, method="exact").pvalue, rel=1e-9, abs=1e-300)


def test_with_ties_matches_scipy():
    rng = np.random.default_rng(9)
    a, b = rng.integers(0, 10, 500).astype(float), rng.integers(0, 11, 700).astype(float)
    assert ks_2samp(a, b)[0] == pytest.approx(scipy_ks(a, b).statistic)


def test_from_cdfs_and_edge_cases():
    assert ks_from_cdfs([0.1, 0.5, 1.0], [0.3, 0.5, 1.0]) == pytest.approx(0.2)
    assert math.isnan(ks_2samp([], [1.0])[0])
    assert math.isnan(ks_pvalue(float("nan"), 10, 10))
    assert ks_pvalue(0.0, 100, 100) == 1.0


@pytest.mark.parametrize("n", [1, 2, 141, 1000, 500_000])
@pytest.mark.parametrize("share", [0.0, 0.25, 0.5])
def test_kstwo_sf_below_the_smallest_possible_d_is_one_like_scipy(n, share):
    # D_n is never below 1/(2n), so P(D_n > d) = 1 for every d up to it
    from scipy.stats import kstwo

    from telltale.drift.ks import kstwo_sf

    d = share / n
    assert kstwo_sf(d, n) == kstwo.sf(d, n) == 1.0


@pytest.mark.parametrize("d,n,m", [(0.0, 1000, 1000), (0.002, 500_000, 500_000), (0.01, 20_000, 80_000), (0.3, 150, 200)])
def test_limit_pvalue_is_kolmogorovs_distribution_at_the_effective_size(d, n, m):
    from scipy.stats import kstwobign

    en = n * m / (n + m)
    assert ks_pvalue(d, n, m, limit=True) == pytest.approx(kstwobign.sf(math.sqrt(en) * d), rel=1e-12, abs=1e-300)
