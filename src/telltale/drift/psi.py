"""Population Stability Index between two binned distributions.

PSI = sum over bins of (cur - ref) * ln(cur / ref), with both sides as proportions. It
is the symmetric Kullback-Leibler divergence of the binned distributions, the credit-risk
industry's drift score, read with a long-standing rule of thumb: below 0.1 stable, 0.1 to
0.2 a moderate shift worth a look, above 0.2 a significant shift.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

#: Floor for an empty bin's proportion: without it one empty bin makes PSI infinite.
#: 1e-4 is the usual choice (a bin at 0.01% of the data) and keeps PSI finite and comparable.
PSI_EPS = 1e-4


def proportions(counts: ArrayLike) -> np.ndarray:
    """Counts to proportions; an all-zero vector stays all zero rather than dividing by zero."""
    c = np.asarray(counts, dtype=np.float64)
    if c.ndim != 1:
        raise ValueError(f"counts must be one-dimensional, got shape {c.shape}")
    if np.any(c < 0) or not np.all(np.isfinite(c)):
        raise ValueError("counts must be finite and non-negative")
    total = c.sum()
    return c / total if total > 0 else c


def paired_proportions(reference_counts: ArrayLike, current_counts: ArrayLike) -> tuple[np.ndarray, np.ndarray] | None:
    """Both sides as proportions over the same bins; None when either side is empty."""
    p = proportions(reference_counts)
    q = proportions(current_counts)
    if p.shape != q.shape:
        raise ValueError(f"reference has {p.size} bins and current {q.size}; bin both over the same edges")
    if p.sum() == 0 or q.sum() == 0:
        return None
    return p, q


def psi(reference_counts: ArrayLike, current_counts: ArrayLike, *, eps: float = PSI_EPS) -> float:
    """PSI of two count vectors over the same bins (bins in the same order).

    >>> round(psi([50, 50], [40, 60]), 6)
    0.040547
    """
    pair = paired_proportions(reference_counts, current_counts)
    if pair is None:
        return float("nan")
    p = np.maximum(pair[0], eps)
    q = np.maximum(pair[1], eps)
    return float(np.sum((q - p) * np.log(q / p)))
