"""Drift of a ``vector`` field (embeddings the user computes) between reference and current.

Three statistics, all on the vectors as given (telltale downloads no model):

- **mean-embedding distance**: how far the mean vector moved, in units of the
  reference's spread (the root of the covariance's trace, the RMS distance of a vector
  from its mean), with the sampling noise taken out: ``d**2 = (|mu_c - mu_r|**2 -
  tr(S) (1/n_r + 1/n_c)) / tr(S_r)``, 0 when the excess is negative. Its significance
  comes from a permutation test on rows (the report) or, from profiles, from a
  chi-squared bound on ``|mu_c - mu_r|**2 / (tr(S) (1/n_r + 1/n_c))`` with one degree of
  freedom, which holds whatever the covariance's shape (conservative: fewer alarms).
  Warning at 0.1, critical at 0.25 (a shift a quarter of the typical spread).
- **norm distribution**: each vector's length, tested as a numeric field (the
  ``__vector__:<field>:norm`` column of a profile), which catches rescaled or
  zero-filled embeddings.
- **domain classifier** (the report, which has rows): a logistic regression telling
  current vectors from reference ones, its cross-validated ROC AUC with the thresholds
  and Mann-Whitney gate of :mod:`telltale.drift.multivariate`; it sees changes in the
  covariance that the mean does not.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from telltale.drift.distribution import NumericDist
from telltale.drift.feature import DriftResult, compare
from telltale.drift.methods import ALPHA, severity
from telltale.drift.multivariate import AUC_CRITICAL, AUC_WARNING
from telltale.profile.vectors import VectorSummary, split_vectors

MEAN_WARNING = 0.1
MEAN_CRITICAL = 0.25
#: Rows a side for the classifier and the permutation test.
MAX_VECTORS = 5000
PERMUTATIONS = 200


@dataclass(frozen=True, slots=True)
class VectorDrift:
    """A vector field's drift: classifier (None from profiles), mean distance, norms."""

    mean: DriftResult
    norm: DriftResult
    classifier: DriftResult | None = None

    @property
    def results(self) -> list[DriftResult]:
        return [r for r in (self.classifier, self.mean, self.norm) if r is not None]


def mean_distance(ref: VectorSummary, cur: VectorSummary) -> tuple[float, float]:
    """The noise-corrected mean-embedding distance and the ratio of the squared mean
    difference to its expectation under no drift (about 1 when nothing moved)."""
    if ref.count < 2 or cur.count < 2:
        return math.nan, math.nan
    delta = cur.mean - ref.mean
    sq = float(delta @ delta)
    pooled = ((ref.count - 1) * ref.total_variance + (cur.count - 1) * cur.total_variance) / (ref.count + cur.count - 2)
    noise = pooled * (1.0 / ref.count + 1.0 / cur.count)
    scale = ref.total_variance
    if scale <= 0 or noise <= 0:
        return (0.0 if sq == 0 else math.inf), (1.0 if sq == 0 else math.inf)
    return math.sqrt(max(sq - noise, 0.0) / scale), sq / noise


def mean_shift(name: str, ref: VectorSummary, cur: VectorSummary, *, alpha: float = ALPHA,
               p_value: float | None = None) -> DriftResult:
    """The mean-embedding verdict from two summaries; ``p_value`` (a permutation test's)
    replaces the chi-squared bound when the caller has rows."""
    d, ratio = mean_distance(ref, cur)
    base: dict[str, Any] = dict(feature=f"{name}:mean", kind="drift", method="mean_embedding", statistic="mean_embedding_distance",
                warning=MEAN_WARNING, threshold=MEAN_CRITICAL, missing_reference=0.0, missing_current=0.0,
                n_reference=ref.count, n_current=cur.count)
    if d != d:
        return DriftResult(value=d, p_value=None, severity=None,
                           message=f"{name}: too few vectors ({ref.count} reference, {cur.count} current) to compare means", **base)
    if p_value is None:
        from scipy.special import chdtrc

        p_value = float(chdtrc(1, ratio)) if math.isfinite(ratio) else 0.0
    sev = severity(d, MEAN_WARNING, MEAN_CRITICAL) if p_value < alpha else None
    msg = (f"{name}: the mean embedding moved {d:.3g} of the reference's spread (noise removed; p={p_value:.2g}; "
           f"warning at {MEAN_WARNING:g}, critical at {MEAN_CRITICAL:g})")
    if sev is not None:
        msg += "; the inputs' meaning moved: check what changed upstream (a new source, a new embedding model)"
    return DriftResult(value=d, p_value=p_value, severity=sev, message=msg, **base)


def vector_drift(name: str, reference: Any, current: Any, dim: int, *, threshold: float | None = None,
                 max_vectors: int = MAX_VECTORS, permutations: int = PERMUTATIONS, folds: int = 3, seed: int = 0,
                 alpha: float = ALPHA) -> VectorDrift:
    """Drift of vector field ``name`` between two columns of vectors (lists, an Arrow
    list column or an n-by-dim array); values that are not finite ``dim``-vectors are
    left out (the type check counts them). ``threshold`` is the classifier's critical AUC."""
    xr, xc = split_vectors(reference, dim)[2], split_vectors(current, dim)[2]
    rng = np.random.default_rng(seed)
    if xr.shape[0] > max_vectors:
        xr = xr[np.sort(rng.choice(xr.shape[0], max_vectors, replace=False))]
    if xc.shape[0] > max_vectors:
        xc = xc[np.sort(rng.choice(xc.shape[0], max_vectors, replace=False))]
    sr, sc = VectorSummary(dim), VectorSummary(dim)
    sr.update(xr)
    sc.update(xc)
    p = _permutation_p(xr, xc, permutations, seed) if min(xr.shape[0], xc.shape[0]) >= 2 else None
    mean = mean_shift(name, sr, sc, alpha=alpha, p_value=p)
    norm = compare(f"{name}:norm", NumericDist.from_array(np.linalg.norm(xr, axis=1)),
                   NumericDist.from_array(np.linalg.norm(xc, axis=1)), alpha=alpha)
    return VectorDrift(mean, norm, _classifier(name, xr, xc, threshold=threshold, folds=folds, seed=seed))


def _permutation_p(xr: np.ndarray, xc: np.ndarray, permutations: int, seed: int) -> float:
    """Share of row permutations whose squared mean difference reaches the observed one
    (with the usual +1, so never 0)."""
    x = np.vstack([xr, xc])
    n, nr = x.shape[0], xr.shape[0]
    centred = x - x.mean(axis=0)
    rng = np.random.default_rng(seed)
    labels = np.zeros((permutations + 1, n))
    labels[0, nr:] = 1.0
    for k in range(1, permutations + 1):
        labels[k, rng.permutation(n)[nr:]] = 1.0
    # mean of current minus mean of reference for every labelling at once: one matrix product
    w = labels / (n - nr) - (1.0 - labels) / nr
    diffs = w @ centred
    sq = np.einsum("ij,ij->i", diffs, diffs)
    return float((1 + np.count_nonzero(sq[1:] >= sq[0])) / (permutations + 1))


def _classifier(name: str, xr: np.ndarray, xc: np.ndarray, *, threshold: float | None, folds: int,
                seed: int) -> DriftResult:
    crit = threshold if threshold is not None else AUC_CRITICAL
    warn = min(AUC_WARNING, crit)
    nr, nc = xr.shape[0], xc.shape[0]
    base: dict[str, Any] = dict(feature=name, kind="drift", method="domain_classifier", statistic="domain_classifier_auc", warning=warn,
                threshold=crit, missing_reference=0.0, missing_current=0.0, n_reference=nr, n_current=nc)
    if min(nr, nc) < 2 * folds:
        return DriftResult(value=math.nan, p_value=None, severity=None,
                           message=f"{name}: too few vectors ({nr} reference, {nc} current) for a domain classifier", **base)
    from scipy.special import ndtr
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedKFold, cross_val_predict
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    x = np.vstack([xr, xc])
    y = np.concatenate([np.zeros(nr), np.ones(nc)])
    model = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=500))
    cv = StratifiedKFold(folds, shuffle=True, random_state=seed)
    proba = cross_val_predict(model, x, y, cv=cv, method="predict_proba")[:, 1]
    auc = float(roc_auc_score(y, proba))
    p = float(ndtr(-(auc - 0.5) / math.sqrt((nr + nc + 1) / (12.0 * nr * nc))))
    sev = severity(auc, warn, crit) if p < ALPHA else None
    msg = (f"{name}: a linear classifier tells current vectors from reference ones with cross-validated ROC AUC {auc:.3f}, "
           f"p={p:.2g} (0.5 = indistinguishable; warning at {warn:g}, critical at {crit:g})")
    if sev is not None:
        msg += "; check what changed upstream (a new source, a new embedding model), and refresh the reference only if intended"
    return DriftResult(value=auc, p_value=p, severity=sev, message=msg, **base)
