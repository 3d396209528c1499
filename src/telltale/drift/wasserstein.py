"""First Wasserstein (earth mover's) distance, and its normalised form in reference sds.

W1 between two 1-D distributions is the area between their CDFs, equivalently the mean
absolute gap between their quantile functions. Divided by the reference's standard
deviation it reads as "how many sds the mass moved": a mean shift of 0.3 sd gives 0.3, a
1.5x scale change of a normal gives about 0.4, a unit change from seconds to
milliseconds gives hundreds. That makes one threshold meaningful for every feature.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def wasserstein(reference: ArrayLike, current: ArrayLike) -> float:
    """Exact W1 of two samples (the integral of |F - G|); nan if either is empty."""
    from telltale.drift.ecdf import ks_and_wasserstein

    u = np.sort(np.asarray(reference, dtype=np.float64))
    v = np.sort(np.asarray(current, dtype=np.float64))
    return ks_and_wasserstein(u, v)[1]


def wasserstein_from_quantiles(reference_q: ArrayLike, current_q: ArrayLike) -> float:
    """W1 from two quantile functions sampled at the same evenly spaced probabilities.

    This is how a sketch (KLL) gives W1: the mean absolute gap between the quantiles is the
    midpoint rule for the integral of |F^-1(u) - G^-1(u)| over u in (0, 1).
    """
    a = np.asarray(reference_q, dtype=np.float64)
    b = np.asarray(current_q, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"quantile grids differ in length: {a.size} and {b.size}")
    if a.size == 0:
        return float("nan")
    return float(np.mean(np.abs(a - b)))


def reference_scale(std: float, mean: float) -> float:
    """The unit W1 is divided by: the reference sd, or for a constant reference its
    magnitude (|mean|, or 1 for a constant zero) so that any move still registers."""
    if np.isfinite(std) and std > 0:
        return float(std)
    if np.isfinite(mean) and mean != 0:
        return float(abs(mean))
    return 1.0
