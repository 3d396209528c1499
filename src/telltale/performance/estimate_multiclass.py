"""Estimated macro precision, recall and F1 of a multi-class model from its per-class probabilities.

The monitor sees only the top-label confidence of each served prediction, so for a
multi-class model it estimates accuracy alone (``estimate_metrics.ConfCalibration``).
Where every class's probability is at hand (the batch report's ``--probabilities``),
CBPE's one-vs-rest construction goes further, as NannyML's multi-class CBPE does: each
class's probability is calibrated on the labelled reference by isotonic regression of
"the label is this class" on it (the binary classifier's :class:`ScoreCalibration`, on
the same thousand bins), a row's calibrated probabilities are scaled to sum to one, and
class ``k``'s expected confusion counts follow: TP = sum of ``q_k`` over rows predicted
``k``, FP = sum of ``1 - q_k`` over them, FN = sum of ``q_k`` over the other rows.
Precision, recall and F1 per class (0 where undefined, as the realized metrics count
them), then their unweighted mean over the classes given: ``average="macro"``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from telltale.performance.estimate_metrics import ScoreCalibration
from telltale.performance.summary import SCORE_BINS


def _bins(p: np.ndarray) -> np.ndarray:
    return np.minimum((np.asarray(p, np.float64) * SCORE_BINS).astype(np.int64), SCORE_BINS - 1)


@dataclass(frozen=True, slots=True)
class ClassCalibration:
    """Per class, P(label is the class) against its predicted probability; None for a class the reference never shows (or always shows), whose raw probability is kept."""

    classes: tuple[str, ...]
    maps: tuple[ScoreCalibration | None, ...]

    @classmethod
    def fit(cls, classes: Sequence[str], probs: np.ndarray, labels: Sequence[str]) -> ClassCalibration:
        """``probs`` is rows by classes (in the order of ``classes``), ``labels`` each row's class."""
        p = check_probabilities(probs, len(classes))
        y = np.asarray(labels, dtype=object)
        maps = []
        for k, name in enumerate(classes):
            b = _bins(p[:, k])
            is_k = y == name
            maps.append(ScoreCalibration.fit(np.bincount(b[is_k], minlength=SCORE_BINS), np.bincount(b[~is_k], minlength=SCORE_BINS)))
        return cls(tuple(classes), tuple(maps))

    def calibrated(self, probs: np.ndarray) -> np.ndarray:
        """Calibrated probabilities, each row scaled to sum to one (left as calibrated where all are zero)."""
        p = check_probabilities(probs, len(self.classes))
        q = np.column_stack([p[:, k] if m is None else m.p[_bins(p[:, k])] for k, m in enumerate(self.maps)]) if p.size else p
        total = q.sum(axis=1, keepdims=True)
        return np.asarray(np.divide(q, total, out=q.copy(), where=total > 0), np.float64)


@dataclass(frozen=True, slots=True)
class MacroEstimate:
    n: int
    accuracy: float
    precision: float
    recall: float
    f1: float

    def metrics(self) -> dict[str, float]:
        return {"precision": self.precision, "recall": self.recall, "f1": self.f1}


def expected_macro(cal: ClassCalibration, probs: np.ndarray, predicted: Sequence[str]) -> MacroEstimate | None:
    """Expected macro metrics of rows with probabilities ``probs`` that the model served as ``predicted``; None without rows."""
    q = cal.calibrated(probs)
    n = q.shape[0]
    if n == 0:
        return None
    pred = np.asarray(predicted, dtype=object)
    precs, recs, f1s = [], [], []
    hits = 0.0
    for k, name in enumerate(cal.classes):
        served = pred == name
        tp = float(q[served, k].sum())
        fp = float(served.sum()) - tp
        fn = float(q[~served, k].sum())
        hits += tp
        precs.append(tp / (tp + fp) if tp + fp > 0 else 0.0)
        recs.append(tp / (tp + fn) if tp + fn > 0 else 0.0)
        f1s.append(2 * tp / (2 * tp + fp + fn) if tp + fp + fn > 0 else 0.0)
    k = len(cal.classes)
    return MacroEstimate(n, hits / n, sum(precs) / k, sum(recs) / k, sum(f1s) / k)


def check_probabilities(probs: np.ndarray, k: int) -> np.ndarray:
    """``probs`` as a float array of ``k`` columns, or ValueError naming the first bad row."""
    p = np.asarray(probs, np.float64).reshape(-1, k) if k else np.zeros((0, 0))
    bad = ~(np.isfinite(p) & (p >= 0.0) & (p <= 1.0)).all(axis=1)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"row {i}: probabilities {p[i].tolist()} are not all finite and within [0, 1]")
    return p
