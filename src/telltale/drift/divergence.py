"""Jensen-Shannon distance between two binned distributions.

The square root of the Jensen-Shannon divergence in base 2: a true metric bounded in
[0, 1], finite even where one side has an empty bin (unlike PSI), so it needs no
smoothing. 0.1 is the threshold Evidently and others use for categorical drift.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from telltale.drift.psi import paired_proportions


def jensen_shannon(reference_counts: ArrayLike, current_counts: ArrayLike) -> float:
    """JS distance (base 2) of two count vectors over the same bins; nan if either is empty.

    >>> jensen_shannon([1, 0], [0, 1])
    1.0
    """
    pair = paired_proportions(reference_counts, current_counts)
    if pair is None:
        return float("nan")
    p, q = pair
    m = 0.5 * (p + q)
    js = 0.5 * (_kl2(p, m) + _kl2(q, m))
    return float(np.sqrt(max(js, 0.0)))


def _kl2(p: np.ndarray, m: np.ndarray) -> float:
    nz = p > 0
    return float(np.sum(p[nz] * np.log2(p[nz] / m[nz])))
