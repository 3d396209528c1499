"""Drift: has the data moved away from the reference, by how much, and does it matter?

Per-field statistics (PSI, Jensen-Shannon, normalised Wasserstein, KS, chi-squared), a
default method per type and sample size with the spec's per-field override, null share
as part of drift, prediction drift, and multivariate drift from a domain classifier.
Two entry points share one implementation: :func:`drift_findings` on profiles (the
server, per window) and :func:`drift_columns` on in-memory columns (the batch report).
"""

from telltale.drift.arrays import DriftReport, column_dist, drift_columns
from telltale.drift.distribution import CategoricalDist, NumericDist
from telltale.drift.feature import DriftResult, compare
from telltale.drift.methods import METHODS, choose_method
from telltale.drift.multivariate import MultivariateResult, multivariate_drift
from telltale.drift.profiles import drift_findings, drift_results

__all__ = [
    "METHODS", "CategoricalDist", "DriftReport", "DriftResult", "MultivariateResult", "NumericDist",
    "choose_method", "column_dist", "compare", "drift_columns", "drift_findings", "drift_results",
    "multivariate_drift",
]
