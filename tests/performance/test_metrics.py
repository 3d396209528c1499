"""Realized metrics from folded summaries against scikit-learn and SciPy on the same data."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import binomtest
from sklearn import metrics as skm

from telltale.performance.metrics import compute, wilson
from telltale.performance.summary import SCORE_BINS, Pair, Summary


def _binary(n: int = 2000, seed: int = 7) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    p = np.clip(rng.beta(2, 2, n) * 0.6 + y * 0.3, 0.001, 0.999)  # informative, imperfect scores
    return y, p


def _fold_binary(y: np.ndarray, p: np.ndarray) -> Summary:
    s = Summary()
    for yi, pi in zip(y, p):
        pred = "1" if pi >= 0.5 else "0"
        conf = pi if pred == "1" else 1 - pi
        s.add_pair(Pair(kind="classification", actual=str(yi), predicted=pred, confidence=float(conf), p_pos=float(pi), y_pos=bool(yi)))
    return s


def test_binary_metrics_match_sklearn() -> None:
    y, p = _binary()
    m = compute(_fold_binary(y, p), positive="1")
    yhat = (p >= 0.5).astype(int)
    assert m["accuracy"].value == pytest.approx(skm.accuracy_score(y, yhat), abs=1e-12)
    assert m["precision"].value == pytest.approx(skm.precision_score(y, yhat), abs=1e-12)
    assert m["recall"].value == pytest.approx(skm.recall_score(y, yhat), abs=1e-12)
    assert m["f1"].value == pytest.approx(skm.f1_score(y, yhat), abs=1e-12)
    assert m["log_loss"].value == pytest.approx(skm.log_loss(y, p), abs=1e-9)
    assert m["brier"].value == pytest.approx(skm.brier_score_loss(y, p), abs=1e-12)
    # ROC AUC from 1000-bin histograms: exact on scores on the bin grid, within 1e-3 on raw ones
    assert m["roc_auc"].value == pytest.approx(skm.roc_auc_score(y, np.floor(p * SCORE_BINS)), abs=1e-12)
    assert m["roc_auc"].value == pytest.approx(skm.roc_auc_score(y, p), abs=1e-3)
    assert m["accuracy"].n == 2000


def test_ece_is_the_ten_bin_top_label_gap_worked_by_hand() -> None:
    y, p = _binary(500, seed=3)
    m = compute(_fold_binary(y, p), positive="1")
    yhat = (p >= 0.5).astype(int)
    conf = np.where(yhat == 1, p, 1 - p)
    bins = np.minimum((conf * 10).astype(int), 9)
    ece = sum(abs((yhat[bins == b] == y[bins == b]).sum() - conf[bins == b].sum()) for b in range(10)) / len(y)
    assert m["ece"].value == pytest.approx(ece, abs=1e-12)


def test_multiclass_is_macro_averaged_as_sklearn() -> None:
    rng = np.random.default_rng(11)
    y = rng.choice(["a", "b", "c"], 900, p=[0.5, 0.3, 0.2])
    yhat = np.where(rng.random(900) < 0.7, y, rng.choice(["a", "b", "c"], 900))
    s = Summary()
    for a, b in zip(y, yhat):
        s.add_pair(Pair(kind="classification", actual=str(a), predicted=str(b), confidence=0.7))
    m = compute(s)
    assert m["accuracy"].value == pytest.approx(skm.accuracy_score(y, yhat), abs=1e-12)
    for name, fn in (("precision", skm.precision_score), ("recall", skm.recall_score), ("f1", skm.f1_score)):
        assert m[name].value == pytest.approx(fn(y, yhat, average="macro"), abs=1e-12)
    assert "roc_auc" not in m and "log_loss" not in m  # no positive-class score for three classes


def test_regression_metrics_match_sklearn() -> None:
    rng = np.random.default_rng(5)
    y = rng.gamma(4, 8, 1500)
    yhat = y + rng.normal(0, 4, 1500)
    s = Summary()
    for a, b in zip(y, yhat):
        s.add_pair(Pair(kind="regression", actual=float(a), predicted=float(b)))
    m = compute(s)
    assert m["mae"].value == pytest.approx(skm.mean_absolute_error(y, yhat), rel=1e-12)
    assert m["rmse"].value == pytest.approx(skm.root_mean_squared_error(y, yhat), rel=1e-12)
    assert m["mape"].value == pytest.approx(skm.mean_absolute_percentage_error(y, yhat), rel=1e-12)
    err = np.abs(y - yhat)
    half = 1.959963984540054 * err.std(ddof=1) / np.sqrt(len(err))
    assert (m["mae"].low, m["mae"].high) == pytest.approx((err.mean() - half, err.mean() + half), rel=1e-9)


@pytest.mark.parametrize(("k", "n"), [(0, 10), (8, 10), (412, 500), (3, 3)])
def test_wilson_interval_matches_scipy(k: int, n: int) -> None:
    ci = binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
    assert wilson(k, n) == pytest.approx((ci.low, ci.high), abs=1e-12)


def test_auc_interval_is_hanley_mcneil_worked_by_hand() -> None:
    y, p = _binary(400, seed=9)
    auc = compute(_fold_binary(y, p), positive="1")["roc_auc"]
    a, n1, n0 = auc.value, int(y.sum()), int(len(y) - y.sum())
    q1, q2 = a / (2 - a), 2 * a * a / (1 + a)
    se = np.sqrt((a * (1 - a) + (n1 - 1) * (q1 - a * a) + (n0 - 1) * (q2 - a * a)) / (n1 * n0))
    assert (auc.low, auc.high) == pytest.approx((a - 1.959963984540054 * se, a + 1.959963984540054 * se), abs=1e-12)


def test_unfolding_a_pair_restores_the_summary_exactly() -> None:
    y, p = _binary(300, seed=1)
    s = _fold_binary(y, p)
    before = s.to_bytes()
    extra = Pair(kind="classification", actual="0", predicted="1", confidence=0.93, p_pos=0.93, y_pos=False, delay_s=5.0)
    s.add_pair(extra)
    s.add_pair(extra, -1)
    after = Summary.from_bytes(s.to_bytes())
    assert compute(after, "1") == compute(Summary.from_bytes(before), "1")
    assert after.confusion == Summary.from_bytes(before).confusion
