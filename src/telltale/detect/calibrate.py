"""Thresholds for CUSUM charts, from the false-alarm rate they must keep.

A chart's false-alarm rate is stated as its in-control average run length (ARL0): the
mean number of values between false alarms on stationary noise. The monitor asks for
43,200 per signal: at most one false alarm per signal per 30 days of minutes.

- Gaussian charts (``S = max(0, S + z - k)`` on standardised values): the ARL solves
  Page's integral equation ``L(u) = 1 + L(0) F(k - u) + int_0^h L(y) f(y + k - u) dy``,
  solved on 96 Gauss-Legendre nodes (Goel and Wu 1971): it reproduces the textbook
  ARL of 336 a side for ``k = 0.5, h = 4`` and simulated charts within their noise.
  Past ``h = 20`` (small shifts, long run lengths) Siegmund's (1985) approximation
  ``ARL(mu) = (exp(-2 D b) + 2 D b - 1) / (2 D^2)``, ``D = mu - k``, ``b = h + 1.166``
  (1.166 sd: a Gaussian walk's expected overshoot of its boundary) is within 0.2% of
  the integral equation and needs no large matrix; below it Siegmund can be 40% too
  optimistic (``k = 2, h = 1.5``), which is why it is not used there.
- Likelihood-ratio charts on counts (``S = max(0, S + log LR)``): Lorden's (1971) bound
  ``ARL0 >= exp(h)`` holds for any distribution and any count, so ``h = log(ARL0)``
  can only err on the safe side. This is what keeps a minute with three calls and one
  error from paging.
- A bank of ``m`` one-sided charts alarms when any of them does; each is calibrated for
  ``m * ARL0`` so the bank's false-alarm rate is at most the sum of theirs, ``1/ARL0``
  (conservative: charts on the same values are positively correlated).

>>> round(cusum_arl(0.5, 4.0), 1), round(siegmund_arl(0.5, 4.0), 1)
(335.4, 338.1)
>>> h = gaussian_threshold(0.5, 86_400)
>>> round(h, 3), round(cusum_arl(0.5, h))
(9.516, 86400)
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
from scipy.special import ndtr

#: Thresholds above which Siegmund's approximation replaces the integral equation.
EXACT_UP_TO = 20.0
#: Gauss-Legendre nodes for the integral equation (converged to 1e-9 relative by 96 for h <= 20).
NODES = 96

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


def cusum_arl(k: float, h: float, mu: float = 0.0) -> float:
    """Average run length of ``S = max(0, S + z - k)`` to ``S > h`` from 0, ``z ~ N(mu, 1)``:
    the integral equation up to ``h = 20``, Siegmund's approximation beyond."""
    if k < 0 or h < 0:
        raise ValueError(f"k and h must be non-negative, got k={k}, h={h}")
    if h > EXACT_UP_TO:
        return siegmund_arl(k, h, mu)
    y, w = _nodes()
    y, w = 0.5 * h * (y + 1.0), 0.5 * h * w
    u = np.concatenate([[0.0], y])
    a = np.empty((len(u), len(u)))
    a[:, 0] = ndtr(k - u - mu)  # the chart falls back to 0
    d = y[None, :] - u[:, None] + k - mu
    a[:, 1:] = w[None, :] * np.exp(-0.5 * d * d) / math.sqrt(2.0 * math.pi)
    return float(np.linalg.solve(np.eye(len(u)) - a, np.ones(len(u)))[0])


@lru_cache(maxsize=1)
def _nodes() -> tuple[np.ndarray, np.ndarray]:
    return np.polynomial.legendre.leggauss(NODES)


@lru_cache(maxsize=256)
def gaussian_threshold(k: float, arl0: float) -> float:
    """The ``h`` at which a one-sided Gaussian chart with allowance ``k > 0`` has ARL0 ``arl0``.

    Solved by bisection on ``cusum_arl``, which increases with ``h``; cached, as
    detectors re-learn their baseline often and the threshold does not depend on it.
    """
    if not k > 0:
        raise ValueError(f"the allowance k must be positive, got {k}")
    if not arl0 > 1:
        raise ValueError(f"arl0 must be greater than 1, got {arl0}")
    lo, hi = 0.0, 1.0
    while cusum_arl(k, hi) < arl0:
        hi *= 2.0
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if cusum_arl(k, mid) < arl0:
            lo = mid
        else:
            hi = mid
        if hi - lo < 1e-7 * hi:
            break
    return hi


def llr_threshold(arl0: float) -> float:
    """The threshold of a likelihood-ratio CUSUM with ARL0 of at least ``arl0`` (Lorden's bound)."""
    if not arl0 > 1:
        raise ValueError(f"arl0 must be greater than 1, got {arl0}")
    return math.log(arl0)


def gaussian_delay(k: float, h: float, shift: float) -> float:
    """Expected detection delay of the chart (from 0) for a step of ``shift`` sd."""
    return cusum_arl(k, h, shift)


__all__ = ["OVERSHOOT", "cusum_arl", "gaussian_delay", "gaussian_threshold", "llr_threshold", "siegmund_arl"]
