"""Thresholds for CUSUM charts, from the false-alarm rate they must keep.

A chart's false-alarm rate is stated as its in-control average run length (ARL0): the
mean number of values between false alarms on stationary noise. The monitor asks for
43,200 per signal: at most one false alarm per signal per 30 days of minutes.

- Gaussian charts (``S = max(0, S + z - k)`` on standardised values): Siegmund's (1985)
  approximation ``ARL(mu) = (exp(-2 D b) + 2 D b - 1) / (2 D^2)`` with ``D = mu - k`` and
  ``b = h + 1.166`` (the 1.166 is the expected overshoot of a Gaussian random walk
  over its boundary, ``-2 zeta(1/2) / sqrt(2 pi)``). It is within a few percent of
  simulation for ``k`` from 0.05 to 2 and thresholds of a few sd and more; the tests
  check it against simulated charts.
- Likelihood-ratio charts on counts (``S = max(0, S + log LR)``): Lorden's (1971) bound
  ``ARL0 >= exp(h)`` holds for any distribution and any count, so ``h = log(ARL0)``
  can only err on the safe side. This is what keeps a minute with three calls and one
  error from paging.
- A bank of ``m`` one-sided charts alarms when any of them does; each is calibrated for
  ``m * ARL0`` so the bank's false-alarm rate is at most the sum of theirs, ``1/ARL0``
  (conservative: charts on the same values are positively correlated).

>>> round(siegmund_arl(0.5, 4.0), 1)
336.4
>>> h = gaussian_threshold(0.5, 86_400)
>>> round(h, 3), round(siegmund_arl(0.5, h))
(9.507, 86400)
"""

from __future__ import annotations

import math
from functools import lru_cache

#: Expected overshoot of a Gaussian random walk over a boundary, in sd (Siegmund 1985).
OVERSHOOT = 1.166


def siegmund_arl(k: float, h: float, mu: float = 0.0) -> float:
    """Average run length of ``S = max(0, S + z - k)`` to ``S > h`` when ``z ~ N(mu, 1)``."""
    if k < 0 or h < 0:
        raise ValueError(f"k and h must be non-negative, got k={k}, h={h}")
    d = mu - k
    b = h + OVERSHOOT
    if abs(d) < 1e-9:
        return b * b
    return (math.exp(-2.0 * d * b) + 2.0 * d * b - 1.0) / (2.0 * d * d)


@lru_cache(maxsize=256)
def gaussian_threshold(k: float, arl0: float) -> float:
    """The ``h`` at which a one-sided Gaussian chart with allowance ``k > 0`` has ARL0 ``arl0``.

    Solved by bisection on Siegmund's formula, which increases with ``h``; cached, as
    detectors re-learn their baseline often and the threshold does not depend on it.
    """
    if not k > 0:
        raise ValueError(f"the allowance k must be positive, got {k}")
    if not arl0 > 1:
        raise ValueError(f"arl0 must be greater than 1, got {arl0}")
    lo, hi = 0.0, 1.0
    while siegmund_arl(k, hi) < arl0:
        hi *= 2.0
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if siegmund_arl(k, mid) < arl0:
            lo = mid
        else:
            hi = mid
        if hi - lo < 1e-9 * hi:
            break
    return hi


def llr_threshold(arl0: float) -> float:
    """The threshold of a likelihood-ratio CUSUM with ARL0 of at least ``arl0`` (Lorden's bound)."""
    if not arl0 > 1:
        raise ValueError(f"arl0 must be greater than 1, got {arl0}")
    return math.log(arl0)


def gaussian_delay(k: float, h: float, shift: float) -> float:
    """Siegmund's expected detection delay of the chart for a step of ``shift`` sd."""
    return siegmund_arl(k, h, shift)


__all__ = ["OVERSHOOT", "gaussian_delay", "gaussian_threshold", "llr_threshold", "siegmund_arl"]
