"""Pearson's chi-squared test of homogeneity on a 2 x k table, and Cramer's V.

The two rows are the reference and current counts over the same bins (categories, or
numeric bins). The test says whether the mix differs beyond chance; Cramer's V, which is
sqrt(chi2 / n) for two rows, says by how much, independently of the sample size: Cohen's
conventions read 0.1 as a small effect, 0.3 medium, 0.5 large.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from telltale.drift.tails import chi2_sf


@dataclass(frozen=True, slots=True)
class Chi2Result:
    statistic: float
    pvalue: float
    dof: int
    cramers_v: float


def chi2_homogeneity(reference_counts: ArrayLike, current_counts: ArrayLike) -> Chi2Result:
    """Chi-squared test that both count vectors come from one distribution.

    Bins empty on both sides are dropped (they carry no information); no continuity
    correction, matching ``scipy.stats.chi2_contingency(..., correction=False)``.
    """
    r = np.asarray(reference_counts, dtype=np.float64)
    c = np.asarray(current_counts, dtype=np.float64)
    if r.shape != c.shape:
        raise ValueError(f"reference has {r.size} bins and current {c.size}; count both over the same bins")
    keep = (r + c) > 0
    table = np.vstack([r[keep], c[keep]])
    n = table.sum()
    rows = table.sum(axis=1)
    if table.shape[1] < 2 or np.any(rows == 0):
        return Chi2Result(0.0, 1.0, 0, 0.0)
    expected = np.outer(rows, table.sum(axis=0)) / n
    stat = float(np.sum((table - expected) ** 2 / expected))
    dof = table.shape[1] - 1
    return Chi2Result(stat, chi2_sf(stat, dof), dof, float(np.sqrt(stat / n)))
