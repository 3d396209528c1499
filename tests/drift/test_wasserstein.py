import math

import numpy as np
import pytest
from scipy.stats import wasserstein_distance

from telltale.drift.wasserstein import reference_scale, wasserstein, wasserstein_from_quantiles


@pytest.mark.parametrize("n,m,shift,scale", [(50, 70, 0.0, 1.0), (1000, 800, 0.3, 1.0), (5000, 5000, 0.0, 1.5), (3, 1, 2.0, 1.0)])
def test_matches_scipy(n, m, shift, scale):
    rng = np.random.default_rng(n + m)
    a = rng.normal(0, 1, n)
    b = rng.normal(shift, scale, m)
    assert wasserstein(a, b) == pytest.approx(wasserstein_distance(a, b), rel=1e-10)


def test_matches_scipy_with_ties():
    rng = np.random.default_rng(3)
    a = rng.integers(0, 5, 300).astype(float)
    b = rng.integers(1, 7, 200).astype(float)
    assert wasserstein(a, b) == pytest.approx(wasserstein_distance(a, b), rel=1e-10)


def test_pure_shift_is_the_shift():
    a = np.linspace(0, 1, 101)
    assert wasserstein(a, a + 0.25) == pytest.approx(0.25)


def test_from_quantiles_approximates_exact():
    rng = np.random.default_rng(5)
    a, b = rng.normal(0, 1, 20000), rng.normal(0.2, 1.3, 20000)
    grid = (np.arange(200) + 0.5) / 200
    approx = wasserstein_from_quantiles(np.quantile(a, grid), np.quantile(b, grid))
    assert approx == pytest.approx(wasserstein_distance(a, b), rel=0.02)


def test_normal_scale_change_in_sds():
    # W1(N(0,1), N(0,1.5)) = 0.5 * E|Z| = 0.5 * sqrt(2/pi) ~ 0.399
    rng = np.random.default_rng(6)
    a, b = rng.normal(0, 1, 200000), rng.normal(0, 1.5, 200000)
    assert wasserstein(a, b) / reference_scale(a.std(), a.mean()) == pytest.approx(0.5 * math.sqrt(2 / math.pi), abs=0.01)


def test_empty_is_nan_and_constant_reference_scale():
    assert math.isnan(wasserstein([], [1.0]))
    assert reference_scale(0.0, 5.0) == 5.0
    assert reference_scale(0.0, 0.0) == 1.0
    assert reference_scale(2.0, 5.0) == 2.0
