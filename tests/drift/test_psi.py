import math

import numpy as np
import pytest

from telltale.drift.psi import PSI_EPS, psi


def test_hand_worked_example():
    # Reference deciles hold 10% each; current: 4 bins moved. By hand:
    # (0.05-0.1)ln(0.5) x2 = 0.0693147 ; (0.15-0.1)ln(1.5) x2 = 0.0405465 ; rest 0.
    ref = [10] * 10
    cur = [5, 5, 15, 15, 10, 10, 10, 10, 10, 10]
    expected = 2 * (-0.05 * math.log(0.5)) + 2 * (0.05 * math.log(1.5))
    assert expected == pytest.approx(0.1098612, abs=1e-7)
    assert psi(ref, cur) == pytest.approx(expected, rel=1e-12)


def test_is_symmetric_kl_of_the_binned_distributions():
    from scipy.stats import entropy

    rng = np.random.default_rng(1)
    p, q = rng.integers(1, 100, 12), rng.integers(1, 100, 12)
    assert psi(p, q) == pytest.approx(entropy(p, q) + entropy(q, p), rel=1e-10)


def test_identical_is_zero_and_order_matters_only_by_bin():
    assert psi([3, 4, 5], [30, 40, 50]) == 0.0


def test_empty_bin_is_floored_not_infinite():
    v = psi([50, 50, 0], [40, 40, 20])
    assert math.isfinite(v)
    expected = (0.4 - 0.5) * math.log(0.8) * 2 + (0.2 - PSI_EPS) * math.log(0.2 / PSI_EPS)
    assert v == pytest.approx(expected, rel=1e-12)


def test_mismatched_bins_and_bad_counts_raise():
    with pytest.raises(ValueError, match="same edges"):
        psi([1, 2], [1, 2, 3])
    with pytest.raises(ValueError, match="non-negative"):
        psi([1, -2], [1, 2])


def test_empty_side_is_nan():
    assert math.isnan(psi([0, 0], [1, 2]))
