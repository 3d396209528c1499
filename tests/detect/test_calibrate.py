"""Calibration: Siegmund's approximation against textbook values and simulated charts."""

from __future__ import annotations

import math

import numpy as np
import pytest

from telltale.detect.calibrate import cusum_arl, gaussian_threshold, llr_threshold, siegmund_arl


def _simulated_arl(k: float, h: float, charts: int, seed: int) -> float:
    """Mean run length of ``charts`` independent one-sided charts on N(0, 1) noise."""
    rng = np.random.default_rng(seed)
    s = np.zeros(charts)
    stopped = np.full(charts, -1)
    t = 0
    while (stopped < 0).any():
        t += 1
        s = np.maximum(0.0, s + rng.standard_normal(charts) - k)
        new = (s > h) & (stopped < 0)
        stopped[new] = t
    return float(stopped.mean())


def test_the_integral_equation_gives_the_textbook_arls_of_the_standard_chart():
    # k = 0.5, h = 4: the two-sided tabular CUSUM's in-control ARL is 168, i.e. 336 a side,
    # and 8.38 for a 1 sd shift; h = 5: 465 two-sided (Montgomery, Introduction to
    # Statistical Quality Control, table 9.3).
    assert cusum_arl(0.5, 4.0) == pytest.approx(336, rel=0.005)
    assert cusum_arl(0.5, 4.0, mu=1.0) == pytest.approx(8.38, rel=0.005)
    assert cusum_arl(0.5, 5.0) == pytest.approx(930, rel=0.005)


@pytest.mark.parametrize(("k", "h"), [(0.5, 4.0), (1.0, 2.5), (2.0, 0.8)])
def test_the_integral_equation_matches_simulated_charts(k, h):
    sim = _simulated_arl(k, h, charts=4000, seed=7)  # the mean of 4000 run lengths: within 1.6% (1 se)
    assert sim == pytest.approx(cusum_arl(k, h), rel=0.05)


def test_siegmund_is_too_optimistic_for_large_allowances_and_fine_for_long_runs():
    # why the integral equation is used below h = 20: Siegmund promises 5000 where 3571 hold
    assert siegmund_arl(2.0, 1.4832) == pytest.approx(5000, rel=1e-3)
    assert cusum_arl(2.0, 1.4832) == pytest.approx(3571, rel=1e-3)
    # and why it may be used above: the two agree within 0.2% at h = 20
    for k in (0.05, 0.1, 0.25):
        assert siegmund_arl(k, 20.0) == pytest.approx(cusum_arl(k, 19.999999), rel=2e-3)


def test_gaussian_threshold_inverts_the_arl():
    for k in (0.05, 0.5, 2.0):
        for arl in (500.0, 43_200.0, 1e8):
            assert cusum_arl(k, gaussian_threshold(k, arl)) == pytest.approx(arl, rel=1e-5)
    assert gaussian_threshold(0.5, 86_400) == pytest.approx(9.5156, abs=1e-4)


def test_llr_threshold_is_lordens_bound():
    assert llr_threshold(43_200) == pytest.approx(math.log(43_200))


def test_bad_parameters_name_the_parameter_and_the_value():
    with pytest.raises(ValueError, match=r"the allowance k must be positive, got 0"):
        gaussian_threshold(0, 1000)
    with pytest.raises(ValueError, match=r"arl0 must be greater than 1, got 0.5"):
        gaussian_threshold(0.5, 0.5)
    with pytest.raises(ValueError, match=r"arl0 must be greater than 1, got 1"):
        llr_threshold(1)
