"""Realized metrics of a :class:`Summary`, each with a 95% confidence interval.

Proportions (accuracy, precision, recall) get the Wilson score interval, which stays
inside [0, 1] and keeps its coverage on small counts where the normal one does not.
ROC AUC gets the Hanley-McNeil (1982) standard error; means of per-pair terms (log loss,
Brier score, MAE, MAPE) the normal interval from their stored sums of squares, and RMSE
the delta method on the mean squared error. F1 and expected calibration error have no
closed-form interval: theirs is left empty rather than bootstrapped from rows the
summaries do not keep.

Precision, recall and F1 are for the positive class of a binary classifier and
macro-averaged over the classes seen otherwise, as scikit-learn's ``average="binary"``
and ``average="macro"`` compute them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from telltale.performance.summary import Summary
from telltale.spec.feedback import CLASSIFICATION, HIGHER_BETTER, METRICS, REGRESSION  # the vocabulary, declared with the spec

__all__ = ["CLASSIFICATION", "HIGHER_BETTER", "METRICS", "REGRESSION", "MetricValue", "compute", "roc_auc", "wilson"]

Z95 = 1.959963984540054



@dataclass(frozen=True, slots=True)
class MetricValue:
    """A metric's value, its 95% interval (None when it has no closed form), and how many pairs it rests on."""

    value: float
    low: float | None
    high: float | None
    n: int

    def to_dict(self) -> dict[str, float | int | None]:
        return {"value": self.value, "low": self.low, "high": self.high, "n": self.n}


def wilson(k: int, n: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval for ``k`` successes in ``n`` trials.

    >>> [round(x, 4) for x in wilson(8, 10)]
    [0.4902, 0.9433]
    """
    if n <= 0:
        return 0.0, 1.0
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def compute(s: Summary, positive: str | None = None) -> dict[str, MetricValue]:
    """Every metric the summary can give; metrics without the data they need are left out."""
    out: dict[str, MetricValue] = {}
    if s.n_reg > 0:
        out.update(_regression(s))
    counts = _confusion(s)
    n_cls = sum(counts.values())
    if n_cls > 0:
        out.update(_classification(s, counts, n_cls, positive))
    return out


def _confusion(s: Summary) -> dict[tuple[str, str], int]:
    out: dict[tuple[str, str], int] = {}
    for key, c in s.confusion.items():
        if c > 0:
            a, _, p = key.partition("\t")
            out[(a, p)] = c
    return out


def _classification(s: Summary, counts: dict[tuple[str, str], int], n: int, positive: str | None) -> dict[str, MetricValue]:
    out: dict[str, MetricValue] = {}
    hits = sum(c for (a, p), c in counts.items() if a == p)
    out["accuracy"] = MetricValue(hits / n, *wilson(hits, n), n)
    classes = sorted({a for a, _ in counts} | {p for _, p in counts})
    if positive is not None:
        tp = counts.get((positive, positive), 0)
        pred_pos = sum(c for (_, p), c in counts.items() if p == positive)
        real_pos = sum(c for (a, _), c in counts.items() if a == positive)
        prec = tp / pred_pos if pred_pos else 0.0
        rec = tp / real_pos if real_pos else 0.0
        out["precision"] = MetricValue(prec, *wilson(tp, pred_pos), pred_pos)
        out["recall"] = MetricValue(rec, *wilson(tp, real_pos), real_pos)
        out["f1"] = MetricValue(2 * tp / (pred_pos + real_pos) if pred_pos + real_pos else 0.0, None, None, n)
    else:
        precs, recs, f1s = [], [], []
        for c in classes:
            tp = counts.get((c, c), 0)
            pp = sum(v for (_, p), v in counts.items() if p == c)
            rp = sum(v for (a, _), v in counts.items() if a == c)
            precs.append(tp / pp if pp else 0.0)
            recs.append(tp / rp if rp else 0.0)
            f1s.append(2 * tp / (pp + rp) if pp + rp else 0.0)
        k = len(classes)
        out["precision"] = MetricValue(sum(precs) / k, None, None, n)
        out["recall"] = MetricValue(sum(recs) / k, None, None, n)
        out["f1"] = MetricValue(sum(f1s) / k, None, None, n)
    n_conf = sum(s.conf_n)
    if n_conf > 0:  # over ten equal bins: pairs of the summary's twenty
        ece = sum(abs(s.conf_hit[i] + s.conf_hit[i + 1] - s.conf_sum[i] - s.conf_sum[i + 1]) for i in range(0, len(s.conf_hit), 2)) / n_conf
        out["ece"] = MetricValue(ece, None, None, n_conf)
    if s.n_scored > 0:
        m = s.n_scored
        out["log_loss"] = _mean_ci(s.ll_sum, s.ll_sq, m)
        out["brier"] = _mean_ci(s.brier_sum, s.brier_sq, m)
        auc = roc_auc(s)
        if auc is not None:
            out["roc_auc"] = auc
    return out


def roc_auc(s: Summary) -> MetricValue | None:
    """ROC AUC from the score histograms (ties within a bin count one half)."""
    pos, neg = s.pos_hist.astype(np.float64), s.neg_hist.astype(np.float64)
    n_pos, n_neg = int(s.pos_hist.sum()), int(s.neg_hist.sum())
    if n_pos <= 0 or n_neg <= 0:
        return None
    below = np.cumsum(neg) - neg  # negatives in lower bins
    a = float((pos * (below + 0.5 * neg)).sum()) / (n_pos * n_neg)
    q1, q2 = a / (2 - a), 2 * a * a / (1 + a)
    var = (a * (1 - a) + (n_pos - 1) * (q1 - a * a) + (n_neg - 1) * (q2 - a * a)) / (n_pos * n_neg)
    se = math.sqrt(max(var, 0.0))
    return MetricValue(a, max(0.0, a - Z95 * se), min(1.0, a + Z95 * se), n_pos + n_neg)


def _regression(s: Summary) -> dict[str, MetricValue]:
    n = s.n_reg
    mse = s.se_sum / n
    mse_ci = _mean_ci(s.se_sum, s.se_sq, n)
    rmse = math.sqrt(max(mse, 0.0))
    lo = math.sqrt(max(mse_ci.low or 0.0, 0.0)) if mse_ci.low is not None else None
    hi = math.sqrt(max(mse_ci.high or 0.0, 0.0)) if mse_ci.high is not None else None
    return {
        "mae": _mean_ci(s.ae_sum, s.se_sum, n),
        "rmse": MetricValue(rmse, lo, hi, n),
        "mape": _mean_ci(s.ape_sum, s.ape_sq, n),
    }


def _mean_ci(total: float, sq: float, n: int) -> MetricValue:
    mean = total / n
    if n < 2:
        return MetricValue(mean, None, None, n)
    var = max(sq - n * mean * mean, 0.0) / (n - 1)
    half = Z95 * math.sqrt(var / n)
    return MetricValue(mean, max(0.0, mean - half), mean + half, n)
