"""Expected metrics from calibrated scores: the arithmetic of confidence-based performance
estimation (CBPE, as NannyML computes it), on score histograms rather than rows.

A binary classifier's positive-class score is calibrated on a labelled reference by
isotonic regression (scikit-learn's, as CBPE does), fitted on the reference's thousand
score bins (each bin's share of positives, weighted by its pairs). A served prediction in
bin ``b`` is then positive with probability ``p[b]``, so a window's expected confusion
table is a sum over bins: TP = sum of ``p`` over predictions served as positive, FP =
sum of ``1 - p`` over them, FN and TN likewise over those served as negative. Accuracy,
precision, recall and F1 follow from it, and ROC AUC from the expected true and false
positive counts above each threshold of calibrated score (the area under that curve,
by the trapezoid rule, is the Mann-Whitney form below, a tie counting one half).

A multi-class model (or a minute row without the fine bins) is estimated from top-label
confidence in twenty bins, calibrated the same way against the reference's hit rate.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from telltale.performance.summary import CONF_BINS, SCORE_BINS, Summary

#: Score-bin centres: where the calibration map is read for a bin's predictions.
CENTRES = (np.arange(SCORE_BINS) + 0.5) / SCORE_BINS
#: The first bin whose scores are served as positive, when only the score is known (a labelled pair).
POSITIVE_FROM = SCORE_BINS // 2


@dataclass(frozen=True, slots=True)
class ScoreCounts:
    """Served predictions per bin of the positive-class score, split by the class the model served."""

    pred_pos: np.ndarray  # int64 counts, SCORE_BINS long
    pred_neg: np.ndarray

    @property
    def n(self) -> int:
        return int(self.pred_pos.sum() + self.pred_neg.sum())

    @classmethod
    def from_scores(cls, p_pos: np.ndarray, served_positive: np.ndarray) -> ScoreCounts:
        """Counts of rows with positive-class scores ``p_pos`` (in [0, 1]) and served classes (True = positive), binned as the summaries bin them."""
        p = np.asarray(p_pos, dtype=np.float64)
        if p.size and not (np.isfinite(p).all() and p.min() >= 0.0 and p.max() <= 1.0):
            raise ValueError("p_pos: scores must be finite and within [0, 1]")
        bins = np.minimum((p * SCORE_BINS).astype(np.int64), SCORE_BINS - 1)
        served = np.asarray(served_positive, dtype=bool)
        return cls(np.bincount(bins[served], minlength=SCORE_BINS), np.bincount(bins[~served], minlength=SCORE_BINS))

    @classmethod
    def from_labelled(cls, s: Summary) -> ScoreCounts:
        """The labelled pairs of ``s`` by score bin; served positive from score 0.5 up (a summary keeps no served class per bin)."""
        total = s.pos_hist + s.neg_hist
        pos = np.where(np.arange(SCORE_BINS) >= POSITIVE_FROM, total, 0)
        return cls(pos.astype(np.int64), (total - pos).astype(np.int64))


def isotonic(x: np.ndarray, y: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's increasing isotonic fit of ``y`` on ``x`` (weights ``w``; zero-weight points left out) as its
    thresholds: reading them with ``np.interp`` is exactly ``IsotonicRegression.predict`` with ``out_of_bounds="clip"``."""
    from sklearn.isotonic import IsotonicRegression  # the monitor's import, not the guard's

    keep = w > 0
    fit = IsotonicRegression(y_min=0.0, y_max=1.0, increasing=True, out_of_bounds="clip")
    fit.fit(x[keep], y[keep], sample_weight=w[keep])
    return np.asarray(fit.X_thresholds_, np.float64), np.asarray(fit.y_thresholds_, np.float64)


@dataclass(frozen=True, slots=True)
class ScoreCalibration:
    """P(positive) per score bin, fitted by isotonic regression on a labelled reference."""

    p: np.ndarray
    pairs: int

    @classmethod
    def fit(cls, pos_hist: np.ndarray, neg_hist: np.ndarray) -> ScoreCalibration | None:
        """None when the reference holds no labelled positive or no negative."""
        pos, neg = np.asarray(pos_hist, np.float64), np.asarray(neg_hist, np.float64)
        n = pos + neg
        if pos.sum() <= 0 or neg.sum() <= 0:
            return None
        share = np.divide(pos, n, out=np.zeros_like(n), where=n > 0)
        xt, yt = isotonic(CENTRES, share, n)
        return cls(np.interp(CENTRES, xt, yt), int(n.sum()))


@dataclass(frozen=True, slots=True)
class ConfCalibration:
    """P(top label right) against confidence, fitted by isotonic regression on the reference's hit rate per confidence bin."""

    xt: np.ndarray  # the fit's thresholds (empty while the reference is)
    yt: np.ndarray
    pairs: int

    @classmethod
    def fit(cls, ref: Summary) -> ConfCalibration:
        n = np.asarray(ref.conf_n, np.float64)
        if n.sum() <= 0:
            return cls(np.zeros(0), np.zeros(0), 0)
        x = np.divide(np.asarray(ref.conf_sum, np.float64), n, out=np.zeros(CONF_BINS), where=n > 0)
        y = np.divide(np.asarray(ref.conf_hit, np.float64), n, out=np.zeros(CONF_BINS), where=n > 0)
        return cls(*isotonic(x, y, n), int(n.sum()))

    def at(self, confidence: np.ndarray) -> np.ndarray:
        """Calibrated accuracy at each confidence (the raw confidence while the reference is empty)."""
        c = np.asarray(confidence, np.float64)
        return c if self.pairs <= 0 else np.interp(c, self.xt, self.yt)

    def expected_hits(self, n: list[int], total: list[float]) -> tuple[float, float, int]:
        """(expected hits, their variance, predictions) for bins holding ``n`` predictions whose confidences sum to ``total``."""
        k = np.asarray(n, np.float64)
        p = self.at(np.divide(np.asarray(total, np.float64), k, out=np.zeros(len(k)), where=k > 0))
        return float((k * p).sum()), float((k * p * (1 - p)).sum()), int(k.sum())


@dataclass(frozen=True, slots=True)
class Expected:
    """A window's expected metrics; precision, recall and F1 of the positive class, None where undefined."""

    n: int
    accuracy: float
    accuracy_se: float
    precision: float | None = None
    recall: float | None = None
    f1: float | None = None
    roc_auc: float | None = None

    def metrics(self) -> dict[str, float]:
        out = {"accuracy": self.accuracy, "precision": self.precision, "recall": self.recall, "f1": self.f1, "roc_auc": self.roc_auc}
        return {k: v for k, v in out.items() if v is not None}


def expected(counts: ScoreCounts, cal: ScoreCalibration) -> Expected | None:
    """Expected metrics of the served predictions in ``counts``; None when there are none."""
    n = counts.n
    if n == 0:
        return None
    p = cal.p
    sp, sn = counts.pred_pos.astype(np.float64), counts.pred_neg.astype(np.float64)
    tp, fp = float((sp * p).sum()), float((sp * (1 - p)).sum())
    fn, tn = float((sn * p).sum()), float((sn * (1 - p)).sum())
    hit_p = np.concatenate([p[sp > 0], 1 - p[sn > 0]])
    weights = np.concatenate([sp[sp > 0], sn[sn > 0]])
    se = math.sqrt(float((weights * hit_p * (1 - hit_p)).sum())) / n
    precision = tp / (tp + fp) if tp + fp > 0 else None
    recall = tp / (tp + fn) if tp + fn > 0 else None
    f1 = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn > 0 else None
    return Expected(n, (tp + tn) / n, se, precision, recall, f1, expected_roc_auc(sp + sn, p))


def expected_roc_auc(count: np.ndarray, p: np.ndarray) -> float | None:
    """Area under the expected ROC curve of ``count[b]`` predictions each positive with probability ``p[b]``.

    Bins are ranked by calibrated score (isotonic maps are non-decreasing, so bin order is
    score order); bins sharing a calibrated score are one threshold, their pairs a tie.
    """
    c = np.asarray(count, np.float64)
    keep = c > 0
    c, q = c[keep], np.asarray(p, np.float64)[keep]
    if c.size == 0:
        return None
    order = np.argsort(q, kind="stable")
    c, q = c[order], q[order]
    groups = np.concatenate([[0], np.flatnonzero(np.diff(q) > 0) + 1])  # one group per distinct calibrated score
    pos = np.add.reduceat(c * q, groups)
    neg = np.add.reduceat(c * (1 - q), groups)
    total_pos, total_neg = float(pos.sum()), float(neg.sum())
    if total_pos <= 0 or total_neg <= 0:
        return None
    below = np.cumsum(neg) - neg
    return float((pos * (below + 0.5 * neg)).sum()) / (total_pos * total_neg)
