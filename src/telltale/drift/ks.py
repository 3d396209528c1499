"""Two-sample Kolmogorov-Smirnov: the largest gap between two CDFs and its p-value.

The statistic D is itself an effect size (a share of the data on the wrong side of some
value). The p-value is Smirnov's asymptotic distribution, as SciPy's ``ks_2samp`` computes
it with ``method="asymp"``, and for small samples the exact distribution.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def ks_statistic(reference: ArrayLike, current: ArrayLike) -> float:
    """Exact D of two samples; nan if either is empty."""
    from telltale.drift.ecdf import ks_and_wasserstein

    u = np.sort(np.asarray(reference, dtype=np.float64))
    v = np.sort(np.asarray(current, dtype=np.float64))
    return ks_and_wasserstein(u, v)[0]


def ks_pvalue(d: float, n_reference: int, n_current: int) -> float:
    """Two-sided asymptotic p-value of D for samples of the given sizes."""
    if not np.isfinite(d) or n_reference <= 0 or n_current <= 0:
        return float("nan")
    from scipy.stats import kstwo  # imported here: scipy.stats costs about a second to import

    m, n = sorted([float(n_reference), float(n_current)], reverse=True)
    en = m * n / (m + n)
    return float(np.clip(kstwo.sf(d, max(np.round(en), 1.0)), 0.0, 1.0))


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
