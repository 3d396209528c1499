"""Mergeable performance summaries: what one minute of joined (prediction, label) pairs
leaves behind, so any window's realized performance is a sum of minute rows.

A summary holds counts and sums only, never rows: a confusion table (actual, predicted),
top-label confidence bins (for expected calibration error and for calibrating the
confidence-based estimate), for binary classifiers a histogram of the positive-class
score per label (ROC AUC) and the sums of log loss and Brier terms, and for regressors
the sums of absolute, squared and percentage errors (and their squares, for confidence
intervals). Adding two summaries is the summary of the union; adding one with
``sign=-1`` takes a pair back out, which is how a replaced label is un-folded.

>>> s = Summary()
>>> s.add_pair(Pair(kind="classification", actual="1", predicted="1", confidence=0.9, p_pos=0.9, y_pos=True, delay_s=60))
>>> s.add_pair(Pair(kind="classification", actual="0", predicted="1", confidence=0.6, p_pos=0.6, y_pos=False, delay_s=120))
>>> s.n, s.confusion, round(s.delay_sum)
(2, {'1\\t1': 1, '0\\t1': 1}, 180)
"""

from __future__ import annotations

import json
import math
import struct
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

#: Bins of the positive-class score for ROC AUC: 1000 equal bins keep the binned AUC
#: within about 0.001 of the exact one for any score distribution (ties inside a bin count
#: one half, as sklearn counts exact ties), at 16 kB per minute at most.
SCORE_BINS = 1000
#: Bins of top-label confidence: twenty equal-width bins. Expected calibration error is
#: reported over ten (pairs of these), the convention of Guo et al. (2017); the
#: confidence-based estimate calibrates on all twenty, which keeps its bias from the
#: confidence spread inside a bin under about 0.01.
CONF_BINS = 20
#: log loss clips probabilities to [eps, 1 - eps] with float64's eps, as scikit-learn does.
EPS = float(2.220446049250313e-16)

Kind = Literal["classification", "regression"]


@dataclass(slots=True, frozen=True)
class Pair:
    """One joined prediction and its label, reduced to what the summary needs."""

    kind: Kind
    actual: Any  # the label (class key for classification, a float for regression)
    predicted: Any
    confidence: float | None = None  # top-label probability
    p_pos: float | None = None  # binary classifiers: probability of the positive class
    y_pos: bool | None = None  # binary classifiers: the label is the positive class
    delay_s: float = 0.0


@dataclass(slots=True)
class Summary:
    """Counts and sums of joined pairs; ``merge`` / ``absorb`` add, ``add_pair(p, -1)`` removes.

    The score histograms are NumPy arrays, so a minute row decodes and merges in
    microseconds however many pairs it holds.
    """

    n: int = 0
    delay_sum: float = 0.0
    delay_max: float = 0.0
    confusion: dict[str, int] = field(default_factory=dict)  # "actual\tpredicted" -> count
    conf_n: list[int] = field(default_factory=lambda: [0] * CONF_BINS)
    conf_sum: list[float] = field(default_factory=lambda: [0.0] * CONF_BINS)
    conf_hit: list[int] = field(default_factory=lambda: [0] * CONF_BINS)
    pos_hist: np.ndarray = field(default_factory=lambda: np.zeros(SCORE_BINS, np.int64))  # labels that are positive, per score bin
    neg_hist: np.ndarray = field(default_factory=lambda: np.zeros(SCORE_BINS, np.int64))
    n_scored: int = 0
    ll_sum: float = 0.0
    ll_sq: float = 0.0
    brier_sum: float = 0.0
    brier_sq: float = 0.0
    n_reg: int = 0
    ae_sum: float = 0.0
    se_sum: float = 0.0
    se_sq: float = 0.0
    ape_sum: float = 0.0
    ape_sq: float = 0.0

    def add_pair(self, p: Pair, sign: int = 1) -> None:
        self.n += sign
        self.delay_sum += sign * p.delay_s
        if sign > 0 and p.delay_s > self.delay_max:
            self.delay_max = p.delay_s
        if p.kind == "regression":
            y, yhat = float(p.actual), float(p.predicted)
            e = abs(y - yhat)
            ape = e / max(abs(y), EPS)  # sklearn's mean_absolute_percentage_error
            self.n_reg += sign
            self.ae_sum += sign * e
            self.se_sum += sign * e * e
            self.se_sq += sign * e ** 4
            self.ape_sum += sign * ape
            self.ape_sq += sign * ape * ape
            return
        key = f"{p.actual}\t{p.predicted}"
        c = self.confusion.get(key, 0) + sign
        if c:
            self.confusion[key] = c
        else:
            self.confusion.pop(key, None)
        if p.confidence is not None and 0.0 <= p.confidence <= 1.0:
            b = min(int(p.confidence * CONF_BINS), CONF_BINS - 1)
            self.conf_n[b] += sign
            self.conf_sum[b] += sign * p.confidence
            self.conf_hit[b] += sign * (p.actual == p.predicted)
        if p.p_pos is not None and p.y_pos is not None and 0.0 <= p.p_pos <= 1.0:
            b = min(int(p.p_pos * SCORE_BINS), SCORE_BINS - 1)
            (self.pos_hist if p.y_pos else self.neg_hist)[b] += sign
            q = min(max(p.p_pos, EPS), 1 - EPS)
            ll = -math.log(q if p.y_pos else 1 - q)
            br = (p.p_pos - (1.0 if p.y_pos else 0.0)) ** 2
            self.n_scored += sign
            self.ll_sum += sign * ll
            self.ll_sq += sign * ll * ll
            self.brier_sum += sign * br
            self.brier_sq += sign * br * br

    def merge(self, other: Summary) -> Summary:
        """A new summary of both (neither is changed)."""
        out = self.copy()
        out.absorb(other)
        return out

    def copy(self) -> Summary:
        return Summary(
            self.n, self.delay_sum, self.delay_max, dict(self.confusion), list(self.conf_n), list(self.conf_sum),
            list(self.conf_hit), self.pos_hist.copy(), self.neg_hist.copy(),
            *(getattr(self, name) for name in _SCALARS),
        )

    def absorb(self, other: Summary) -> None:
        """Add ``other`` into this summary, in place."""
        self.n += other.n
        self.delay_sum += other.delay_sum
        self.delay_max = max(self.delay_max, other.delay_max)
        for k, v in other.confusion.items():
            t = self.confusion.get(k, 0) + v
            if t:
                self.confusion[k] = t
            else:
                self.confusion.pop(k, None)
        for i in range(CONF_BINS):
            self.conf_n[i] += other.conf_n[i]
            self.conf_sum[i] += other.conf_sum[i]
            self.conf_hit[i] += other.conf_hit[i]
        if other.n_scored or other.pos_hist.any() or other.neg_hist.any():
            self.pos_hist += other.pos_hist
            self.neg_hist += other.neg_hist
        for name in _SCALARS:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @classmethod
    def merge_all(cls, summaries: Any) -> Summary:
        out = cls()
        for s in summaries:
            out.absorb(s)
        return out

    def to_bytes(self) -> bytes:
        """A JSON header of the small parts, then the two histograms as little-endian int64 when any is set."""
        head = {"n": self.n, "delay_sum": self.delay_sum, "delay_max": self.delay_max, "confusion": self.confusion,
                "conf_n": self.conf_n, "conf_sum": self.conf_sum, "conf_hit": self.conf_hit}
        head.update((name, getattr(self, name)) for name in _SCALARS)
        hists = self.pos_hist.any() or self.neg_hist.any()
        head["hist"] = bool(hists)
        js = json.dumps(head, separators=(",", ":")).encode()
        out = struct.pack("<I", len(js)) + js
        if hists:
            out += self.pos_hist.astype("<i8").tobytes() + self.neg_hist.astype("<i8").tobytes()
        return out

    @classmethod
    def from_bytes(cls, data: bytes) -> Summary:
        (k,) = struct.unpack_from("<I", data)
        head = json.loads(data[4:4 + k])
        s = cls(**{name: head[name] for name in ("n", "delay_sum", "delay_max", "confusion", "conf_n", "conf_sum", "conf_hit", *_SCALARS)})
        if head.get("hist"):
            arr = np.frombuffer(data, dtype="<i8", offset=4 + k).astype(np.int64)
            s.pos_hist, s.neg_hist = arr[:SCORE_BINS].copy(), arr[SCORE_BINS:2 * SCORE_BINS].copy()
        return s


_SCALARS = ("n_scored", "ll_sum", "ll_sq", "brier_sum", "brier_sq", "n_reg", "ae_sum", "se_sum", "se_sq", "ape_sum", "ape_sq")
