"""Two-sample Kolmogorov-Smirnov: the largest gap between two CDFs and its p-value.

The statistic D is itself an effect size (a share of the data on the wrong side of some
value). The p-value is Smirnov's asymptotic distribution, as SciPy's ``ks_2samp`` computes
it with ``method="asymp"``, and for small samples the exact distribution.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike


def ks_statistic(reference: ArrayLike, current: ArrayLike) -> float:
    """Exact D of two samples; nan if either is empty."""
    from telltale.drift.ecdf import ks_and_wasserstein

    u = np.sort(np.asarray(reference, dtype=np.float64))
    v = np.sort(np.asarray(current, dtype=np.float64))
    return ks_and_wasserstein(u, v)[0]


def ks_pvalue(d: float, n_reference: int, n_current: int, *, limit: bool = False) -> float:
    """Two-sided asymptotic p-value of D for samples of the given sizes.

    By default as SciPy's ``ks_2samp(method="asymp")`` computes it (``kstwo.sf`` at the
    effective size). ``limit=True`` takes Kolmogorov's limiting distribution
    (``scipy.stats.kstwobign``) instead: what the sketch path uses, where D itself is
    known only within the sketches' rank error, and where ``kstwo`` at an effective size
    of half a million costs about 0.1 s a column (its Smirnov sums grow with n)."""
    if not np.isfinite(d) or n_reference <= 0 or n_current <= 0:
        return float("nan")
    m, n = sorted([float(n_reference), float(n_current)], reverse=True)
    en = m * n / (m + n)
    if limit:
        from telltale.drift.tails import kolmogorov_sf

        return kolmogorov_sf(math.sqrt(en) * d)
    return float(np.clip(kstwo_sf(d, max(np.round(en), 1.0)), 0.0, 1.0))


def kstwo_sf(d: float, n: float) -> float:
    """``scipy.stats.kstwo.sf(d, n)``: P(D_n > d) for the one-sample two-sided statistic.

    For the large samples a batch report tests (n > 140, d > 1/n), this follows
    SciPy's own branches (Simard and L'Ecuyer 2011, as in ``scipy.stats._ksstats``): Ruben
    and Gambino's closed form near d = 1, 0 beyond n d^2 >= 370, twice Smirnov's
    one-sided tail from d >= 0.5 or n d^2 >= 2.2, and otherwise one minus the Pelz-Good
    approximation of the CDF. Everything else is left to
    ``scipy.stats``, imported only then: importing it costs about a second, more than the
    rest of the drift statistics on a million rows."""
    from scipy.special import smirnov

    if n >= 1 and 2 * n * d <= 1.0:
        return 1.0  # D_n >= 1/(2n) always; a sketch's error often takes d to 0 on stable data
    if n > 140 and n == int(n) and n * d > 1.0:
        if d >= 1.0:
            return 0.0
        if n * d >= n - 1:  # Ruben and Gambino
            return float(np.clip(2 * (1.0 - d) ** n, 0.0, 1.0))
        if d >= 0.5:
            return float(np.clip(2 * smirnov(n, d), 0.0, 1.0))
        nx2 = n * d * d
        if nx2 >= 370.0:
            return 0.0
        if nx2 >= 2.2:
            return float(np.clip(2 * smirnov(n, d), 0.0, 1.0))
        if not (n <= 100000 and n * d**1.5 <= 1.4):
            return float(np.clip(1.0 - _pelz_good_cdf(n, d), 0.0, 1.0))
    from scipy.stats import kstwo

    return float(kstwo.sf(d, n))


_SQRT2PI = np.sqrt(2 * np.pi)
_SQRT3 = np.sqrt(3)
_PI_SQUARED = np.pi**2
_PI_FOUR = np.pi**4
_PI_SIX = np.pi**6


def _pelz_good_cdf(n: float, x: float) -> float:
    """Pelz and Good's (1976) approximation of P(D_n <= x), 0 < x < 1, transcribed from
    SciPy's ``_kolmogn_PelzGood`` (BSD licence) so the p-values match it exactly."""
    z = np.sqrt(n) * x
    zsquared, zthree, zfour, zsix = z**2, z**3, z**4, z**6
    qlog = -_PI_SQUARED / 8 / zsquared
    if qlog < -708:
        return 0.0
    q = np.exp(qlog)
    k1a = -zsquared
    k1b = _PI_SQUARED / 4
    k2a = 6 * zsix + 2 * zfour
    k2b = (2 * zfour - 5 * zsquared) * _PI_SQUARED / 4
    k2c = _PI_FOUR * (1 - 2 * zsquared) / 16
    k3d = _PI_SIX * (5 - 30 * zsquared) / 64
    k3c = _PI_FOUR * (-60 * zsquared + 212 * zfour) / 16
    k3b = _PI_SQUARED * (135 * zfour - 96 * zsix) / 4
    k3a = -30 * zsix - 90 * z**8
    k0to3 = np.zeros(4)
    maxk = int(np.ceil(16 * z / np.pi))
    for k in range(maxk, 0, -1):  # Horner's scheme over odd m
        m = 2 * k - 1
        msquared, mfour, msix = m**2, m**4, m**6
        qpower = np.power(q, 8 * k)
        coeffs = np.array([1.0, k1a + k1b * msquared, k2a + k2b * msquared + k2c * mfour,
                           k3a + k3b * msquared + k3c * mfour + k3d * msix])
        k0to3 *= qpower
        k0to3 += coeffs
    k0to3 *= q
    k0to3 *= _SQRT2PI
    k0to3 /= np.array([z, 6 * zfour, 72 * z**7, 6480 * z**10])
    q = np.exp(-_PI_SQUARED / 2 / zsquared)
    ks = np.arange(maxk, 0, -1)
    ksquared = ks**2
    sqrt3z = _SQRT3 * z
    kspi = np.pi * ks
    qpwers = q**ksquared
    k2extra = np.sum(ksquared * qpwers) * _PI_SQUARED * _SQRT2PI / (-36 * zthree)
    k0to3[2] += k2extra
    k3extra = np.sum((sqrt3z + kspi) * (sqrt3z - kspi) * ksquared * qpwers) * _PI_SQUARED * _SQRT2PI / (216 * zsix)
    k0to3[3] += k3extra
    k0to3 /= np.power(n * 1.0, np.arange(len(k0to3)) / 2.0)
    return float(sum(k0to3))


#: Below this product of sample sizes the exact distribution is used (SciPy's own cut-off).
EXACT_MAX_PRODUCT = 10_000


def ks_2samp(reference: ArrayLike, current: ArrayLike) -> tuple[float, float]:
    """(D, p-value) of two samples: exact p-value for small samples, asymptotic otherwise."""
    u = np.asarray(reference, dtype=np.float64)
    v = np.asarray(current, dtype=np.float64)
    if 0 < u.size * v.size <= EXACT_MAX_PRODUCT:
        import warnings

        from scipy.stats import ks_2samp as _exact

        with warnings.catch_warnings():  # SciPy falls back to asymp on its own when exact fails
            warnings.simplefilter("ignore", RuntimeWarning)
            r = _exact(u, v, method="exact")
        return float(r.statistic), float(r.pvalue)
    d = ks_statistic(u, v)
    return d, ks_pvalue(d, u.size, v.size)


def ks_from_cdfs(reference_cdf: ArrayLike, current_cdf: ArrayLike) -> float:
    """D from two CDFs evaluated at the same points (from sketches, say)."""
    f = np.asarray(reference_cdf, dtype=np.float64)
    g = np.asarray(current_cdf, dtype=np.float64)
    if f.shape != g.shape:
        raise ValueError(f"CDFs evaluated at different points: {f.size} and {g.size}")
    return float(np.max(np.abs(f - g))) if f.size else float("nan")
