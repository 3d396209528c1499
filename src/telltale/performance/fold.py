"""Scoring and folding a batch of joined pairs at once, column by column.

The feedback join scores thousands of (prediction, label) pairs per batch. One
:class:`Pair` object and one :meth:`Summary.add_pair` call per pair cost several
microseconds each; here a batch is scored into columns (:func:`score`, the rules of
:func:`pairs.pair_of`) and folded into one delta :class:`Summary` per minute with NumPy
(:func:`fold`: ``np.unique`` groups by minute, ``bincount`` fills the bins and sums).
``bincount`` adds its weights in input order, and the per-pair terms are computed with the
same floating-point operations as ``add_pair`` (the log with :func:`math.log`), so folding a
batch gives exactly what folding its pairs one by one in that order gives.

>>> cols = score("classification", "1", ["1", "1"], [0.9, 0.6], [None, None], [0.0, 30.0], ["1", "0"], [60.0, 150.0])
>>> s = fold(cols)[0]
>>> s.n, s.confusion, s.delay_sum, s.n_scored
(2, {'1\\t1': 1, '0\\t1': 1}, 180.0, 2)
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from telltale.performance.pairs import class_key, number
from telltale.performance.summary import CONF_BINS, EPS, SCORE_BINS, Kind, Summary


@dataclass(frozen=True, slots=True)
class PairColumns:
    """The scorable pairs of a batch as columns; ``rows`` are their positions in the input."""

    kind: Kind
    rows: list[int]
    minute: np.ndarray  # int64: the minute of the prediction's ts
    actual: list[Any]  # class keys, or floats for a regressor
    predicted: list[Any]
    confidence: np.ndarray  # float64 top-label probability, NaN where there is none
    p_pos: np.ndarray  # float64 positive-class score, NaN where there is none
    y_pos: np.ndarray  # bool: the label is the positive class (read where p_pos is set)
    delay: np.ndarray  # float64 seconds from prediction to label

    def __len__(self) -> int:
        return len(self.rows)


def score(kind: Kind, positive: str | None, outputs: Sequence[Any], confidences: Sequence[Any], sources: Sequence[str | None],
          pred_ts: Sequence[float], labels: Sequence[Any], label_ts: Sequence[float]) -> PairColumns:
    """Score each (prediction, label) of the batch as :func:`pairs.pair_of` does; rows it
    would give None for (no output, no label, flags, a shadow record, a regressor's value
    that is not a number) are left out."""
    rows: list[int] = []
    actual: list[Any] = []
    predicted: list[Any] = []
    conf: list[float] = []
    pos_pred: list[bool] = []
    nan = math.nan
    a: Any
    p: Any
    for i, (out, lab, src) in enumerate(zip(outputs, labels, sources)):
        if out is None or lab is None or isinstance(lab, dict) or src == "shadow":
            continue
        if kind == "regression":
            y, yhat = number(lab), number(out)
            if y is None or yhat is None:
                continue
            a, p, c = y, yhat, nan
        else:
            a = lab if type(lab) is str else class_key(lab)
            p = out if type(out) is str else class_key(out)
            given = confidences[i]
            c = float(given) if isinstance(given, (int, float)) and math.isfinite(given) and 0.0 <= given <= 1.0 else nan
            pos_pred.append(p == positive)
        rows.append(i)
        actual.append(a)
        predicted.append(p)
        conf.append(c)
    idx = np.asarray(rows, dtype=np.int64)
    ts = np.asarray(pred_ts, dtype=np.float64)[idx] if rows else np.zeros(0)
    delay = np.maximum(0.0, np.asarray(label_ts, dtype=np.float64)[idx] - ts) if rows else np.zeros(0)
    minute = (np.floor(ts / 60.0) * 60).astype(np.int64)
    confidence = np.asarray(conf, dtype=np.float64)
    if kind == "classification" and positive is not None:
        p_pos = np.where(np.asarray(pos_pred, dtype=bool), confidence, 1.0 - confidence)
        y_pos = np.asarray([a == positive for a in actual], dtype=bool)
    else:
        p_pos, y_pos = np.full(len(rows), nan), np.zeros(len(rows), dtype=bool)
    return PairColumns(kind, rows, minute, actual, predicted, confidence, p_pos, y_pos, delay)


def fold(cols: PairColumns) -> dict[int, Summary]:
    """One delta summary per minute of ``cols``: what ``add_pair`` of each pair, in order, gives."""
    if not len(cols):
        return {}
    minutes, inv = np.unique(cols.minute, return_inverse=True)
    m = len(minutes)
    n = np.bincount(inv, minlength=m).tolist()
    delay_sum = np.bincount(inv, weights=cols.delay, minlength=m).tolist()
    dmax = np.zeros(m)
    np.maximum.at(dmax, inv, cols.delay)
    out = [Summary(n=n[j], delay_sum=delay_sum[j], delay_max=float(dmax[j])) for j in range(m)]
    if cols.kind == "regression":
        _fold_regression(cols, inv, m, out)
    else:
        _fold_classification(cols, inv, m, out)
    return dict(zip(minutes.tolist(), out))


def _sums(inv: np.ndarray, weights: np.ndarray, m: int) -> list[float]:
    return np.bincount(inv, weights=weights, minlength=m).tolist()  # type: ignore[no-any-return]


def _fold_regression(cols: PairColumns, inv: np.ndarray, m: int, out: list[Summary]) -> None:
    y, yhat = np.asarray(cols.actual, dtype=np.float64), np.asarray(cols.predicted, dtype=np.float64)
    e = np.abs(y - yhat)
    ape = e / np.maximum(np.abs(y), EPS)
    e2 = e * e
    e4 = np.asarray([x ** 4 for x in e.tolist()], dtype=np.float64)  # C pow, as add_pair (NumPy's power may round differently)
    columns = {"n_reg": np.bincount(inv, minlength=m).tolist(), "ae_sum": _sums(inv, e, m), "se_sum": _sums(inv, e2, m),
               "se_sq": _sums(inv, e4, m), "ape_sum": _sums(inv, ape, m), "ape_sq": _sums(inv, ape * ape, m)}
    for j, s in enumerate(out):
        for name, values in columns.items():
            setattr(s, name, values[j])


def _fold_classification(cols: PairColumns, inv: np.ndarray, m: int, out: list[Summary]) -> None:
    for (j, a, p), c in Counter(zip(inv.tolist(), cols.actual, cols.predicted)).items():
        out[j].confusion[f"{a}\t{p}"] = c
    has = ~np.isnan(cols.confidence)
    if has.any():
        conf = cols.confidence[has]
        flat = inv[has] * CONF_BINS + np.minimum((conf * CONF_BINS).astype(np.int64), CONF_BINS - 1)
        hit = np.asarray([a == p for a, p in zip(cols.actual, cols.predicted)], dtype=bool)[has]
        size = m * CONF_BINS
        conf_n: list[list[int]] = np.bincount(flat, minlength=size).reshape(m, CONF_BINS).tolist()
        conf_sum: list[list[float]] = np.bincount(flat, weights=conf, minlength=size).astype(np.float64).reshape(m, CONF_BINS).tolist()
        conf_hit: list[list[int]] = np.bincount(flat[hit], minlength=size).reshape(m, CONF_BINS).tolist()
        for j, s in enumerate(out):
            s.conf_n = conf_n[j]
            s.conf_sum = conf_sum[j]
            s.conf_hit = conf_hit[j]
    scored = ~np.isnan(cols.p_pos)
    if not scored.any():
        return
    pp, pos, jj = cols.p_pos[scored], cols.y_pos[scored], inv[scored]
    flat = jj * SCORE_BINS + np.minimum((pp * SCORE_BINS).astype(np.int64), SCORE_BINS - 1)
    size = m * SCORE_BINS
    pos_hist = np.bincount(flat[pos], minlength=size).reshape(m, SCORE_BINS)
    neg_hist = np.bincount(flat[~pos], minlength=size).reshape(m, SCORE_BINS)
    q = np.minimum(np.maximum(pp, EPS), 1 - EPS)
    ll = np.asarray([-math.log(x) for x in np.where(pos, q, 1 - q).tolist()], dtype=np.float64)
    br = (pp - pos.astype(np.float64)) ** 2
    columns = {"n_scored": np.bincount(jj, minlength=m).tolist(), "ll_sum": _sums(jj, ll, m), "ll_sq": _sums(jj, ll * ll, m),
               "brier_sum": _sums(jj, br, m), "brier_sq": _sums(jj, br * br, m)}
    for j, s in enumerate(out):
        s.pos_hist, s.neg_hist = pos_hist[j].copy(), neg_hist[j].copy()
        for name, values in columns.items():
            setattr(s, name, values[j])
