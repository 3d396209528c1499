"""Upper tails of the chi-squared and Kolmogorov distributions, in closed form.

A batch report against a saved reference needs only these two p-values. Importing
``scipy.special`` for them costs about 0.2 s at start-up (its array-API layer imports
``numpy.ma`` and ``numpy.f2py``), a tenth of the whole report; both tails have short exact
series, checked against SciPy to 1e-12 in ``tests/drift/test_tails.py``.
"""

from __future__ import annotations

import math

import numpy as np

#: Below this, Kolmogorov's survival function comes from the theta-function form of its CDF.
_KOLMOGOROV_SWITCH = 1.0
_TERMS = 20


def chi2_sf(x: float, dof: int) -> float:
    """``scipy.stats.chi2.sf(x, dof)`` for a whole number of degrees of freedom.

    With h = x/2 the tail is the regularized upper incomplete gamma Q(dof/2, h), which for
    whole and half-whole shapes is a finite sum: e^-h * sum h^i / i! (i < dof/2) for even
    dof; erfc(sqrt h) plus e^-h * sum h^(i-1/2) / Gamma(i+1/2) (1 <= i <= (dof-1)/2) for odd.
    The terms are summed in log space, so neither a large x nor a large dof overflows.
    """
    if dof < 1:
        raise ValueError(f"dof must be a whole number >= 1, got {dof}")
    if not math.isfinite(x):
        return 0.0 if x > 0 else 1.0
    if x <= 0.0:
        return 1.0
    h = 0.5 * x
    if dof % 2 == 0:
        i = np.arange(dof // 2, dtype=np.float64)
        log_gamma = np.concatenate([[0.0], np.cumsum(np.log(i[1:]))])  # log i!
        logs = i * math.log(h) - log_gamma - h
        return float(min(1.0, np.exp(logs).sum()))
    base = math.erfc(math.sqrt(h))
    if dof == 1:
        return base
    i = np.arange(1, (dof - 1) // 2 + 1, dtype=np.float64)
    log_gamma = 0.5 * math.log(math.pi) + np.cumsum(np.log(i - 0.5))  # log Gamma(i + 1/2)
    logs = (i - 0.5) * math.log(h) - log_gamma - h
    return float(min(1.0, base + np.exp(logs).sum()))


def kolmogorov_sf(y: float) -> float:
    """``scipy.special.kolmogorov(y)``: P(K > y) for Kolmogorov's limiting distribution.

    Above 1 the alternating series 2 * sum (-1)^(k-1) e^(-2 k^2 y^2) converges at once;
    below, 1 minus the CDF's theta form sqrt(2 pi)/y * sum e^(-(2k-1)^2 pi^2 / (8 y^2)).
    """
    if not math.isfinite(y):
        return 0.0 if y > 0 else 1.0
    if y <= 0.0:
        return 1.0
    k = np.arange(1, _TERMS + 1, dtype=np.float64)
    if y >= _KOLMOGOROV_SWITCH:
        signs = np.where(k % 2 == 1, 1.0, -1.0)
        return float(min(1.0, max(0.0, 2.0 * np.sum(signs * np.exp(-2.0 * k * k * y * y)))))
    odd = 2.0 * k - 1.0
    cdf = math.sqrt(2.0 * math.pi) / y * np.sum(np.exp(-odd * odd * math.pi**2 / (8.0 * y * y)))
    return float(min(1.0, max(0.0, 1.0 - cdf)))
