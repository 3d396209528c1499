"""The closed-form tails agree with SciPy's to 1e-10 relative, across shapes and tails."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.special import kolmogorov
from scipy.stats import chi2

from telltale.drift.tails import chi2_sf, kolmogorov_sf

DOFS = [1, 2, 3, 4, 5, 7, 10, 11, 50, 199, 200, 999, 1000, 5001]


@pytest.mark.parametrize("dof", DOFS)
def test_chi2_sf_matches_scipy_from_the_body_to_the_far_tail(dof: int) -> None:
    xs = [1e-8, 0.01, 0.5, 1.0, 2.0, dof / 2, dof, 1.1 * dof, 2 * dof, dof + 10 * math.sqrt(dof), 3 * dof + 50, 1e4]
    for x in xs:
        want = float(chi2.sf(x, dof))
        got = chi2_sf(x, dof)
        if want < 1e-280:  # both underflow: SciPy's far tail is 0 or subnormal there
            assert got < 1e-250
        else:
            assert got == pytest.approx(want, rel=1e-10, abs=0.0), (x, dof)


def test_chi2_sf_hand_worked_values() -> None:
    # dof 2: sf = e^(-x/2); dof 1: sf = erfc(sqrt(x/2)); dof 4: e^(-h) (1 + h)
    assert chi2_sf(3.0, 2) == pytest.approx(math.exp(-1.5), rel=1e-15)
    assert chi2_sf(3.841458820694124, 1) == pytest.approx(0.05, rel=1e-12)
    assert chi2_sf(6.0, 4) == pytest.approx(math.exp(-3.0) * 4.0, rel=1e-15)


def test_chi2_sf_edges() -> None:
    assert chi2_sf(0.0, 3) == 1.0
    assert chi2_sf(-1.0, 3) == 1.0
    assert chi2_sf(math.inf, 3) == 0.0
    assert chi2_sf(1e6, 1000) == 0.0  # far below the smallest double
    with pytest.raises(ValueError, match="dof must be a whole number >= 1, got 0"):
        chi2_sf(1.0, 0)


def test_kolmogorov_sf_matches_scipy_on_both_sides_of_the_switch() -> None:
    for y in np.concatenate([np.linspace(0.05, 8.0, 400), [0.999999, 1.0, 1.000001]]):
        want = float(kolmogorov(y))
        got = kolmogorov_sf(float(y))
        assert got == pytest.approx(want, rel=1e-12, abs=1e-300), y


def test_kolmogorov_sf_edges() -> None:
    assert kolmogorov_sf(0.0) == 1.0
    assert kolmogorov_sf(0.01) == 1.0
    assert kolmogorov_sf(math.inf) == 0.0
    # P(K > 1.3580986393225505) = 0.05, the textbook 5% critical value
    assert kolmogorov_sf(1.3580986393225505) == pytest.approx(0.05, rel=1e-9)
