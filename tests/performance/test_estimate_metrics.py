"""The arithmetic of the confidence-based estimate, against hand-worked figures,
scikit-learn's isotonic regression and ROC curve, and labels drawn from the calibrated
probabilities themselves."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn.isotonic import IsotonicRegression
from sklearn.metrics import auc, roc_auc_score

from telltale.performance.confidence import ConfHist
from telltale.performance.estimate import served_counts
from telltale.performance.estimate_metrics import CENTRES, ConfCalibration, ScoreCalibration, ScoreCounts, expected, expected_roc_auc
from telltale.performance.summary import SCORE_BINS, Pair, Summary
from telltale.types import PredictionRecord


def _cal(values: dict[int, float]) -> ScoreCalibration:
    p = np.zeros(SCORE_BINS)
    for b, v in values.items():
        p[b] = v
    return ScoreCalibration(p, 100)


def test_expected_confusion_by_hand() -> None:
    # two served positive at calibrated 0.9, one served negative at calibrated 0.2:
    # TP = 1.8, FP = 0.2, FN = 0.2, TN = 0.8
    counts = ScoreCounts(np.bincount([900, 900], minlength=SCORE_BINS), np.bincount([200], minlength=SCORE_BINS))
    e = expected(counts, _cal({900: 0.9, 200: 0.2}))
    assert e is not None and e.accuracy == pytest.approx(2.6 / 3)
    assert e.precision == pytest.approx(0.9)
    assert e.recall == pytest.approx(1.8 / 2.0)
    assert e.f1 == pytest.approx(2 * 1.8 / (2 * 1.8 + 0.2 + 0.2))
    assert e.accuracy_se == pytest.approx(np.sqrt(2 * 0.9 * 0.1 + 0.2 * 0.8) / 3)
    # ROC AUC: expected positives 1.8 (score 0.9) and 0.2 (score 0.2), negatives 0.2 and 0.8;
    # pairs ranked right: 1.8 * 0.8, tied: (1.8 * 0.2 + 0.2 * 0.8) / 2, over 2.0 * 1.0
    assert e.roc_auc == pytest.approx((1.8 * 0.8 + 0.5 * (1.8 * 0.2 + 0.2 * 0.8)) / 2.0)


def _cbpe_curve_auc(q: np.ndarray) -> float:
    """NannyML's construction, written out: expected TP and FP above each distinct calibrated score, trapezoid area."""
    t = np.unique(q)[::-1]
    tpr = [0.0] + [q[q >= s].sum() / q.sum() for s in t]
    fpr = [0.0] + [(1 - q[q >= s]).sum() / (1 - q).sum() for s in t]
    return float(auc(fpr, tpr))


def test_roc_auc_estimate_is_the_area_under_the_expected_curve() -> None:
    rng = np.random.default_rng(5)
    q_levels = np.round(rng.random(40), 2)  # repeated calibrated scores, as isotonic plateaus give
    bins = rng.integers(0, 40, 3000)
    q = q_levels[bins]
    count = np.bincount(bins, minlength=40)
    assert expected_roc_auc(count, q_levels) == pytest.approx(_cbpe_curve_auc(q), abs=1e-12)


def test_roc_auc_estimate_matches_labels_drawn_from_the_probabilities() -> None:
    rng = np.random.default_rng(6)
    q = rng.beta(2, 2, 200_000)
    y = rng.random(q.size) < q  # labels exactly as calibrated as the estimate assumes
    bins = np.minimum((q * SCORE_BINS).astype(int), SCORE_BINS - 1)
    est = expected_roc_auc(np.bincount(bins, minlength=SCORE_BINS), CENTRES)
    assert est == pytest.approx(roc_auc_score(y, q), abs=0.005)
    e = expected(ScoreCounts.from_scores(q, q >= 0.5), ScoreCalibration(CENTRES.copy(), q.size))
    assert e is not None and e.accuracy == pytest.approx(float(((q >= 0.5) == y).mean()), abs=0.005)


def test_score_calibration_is_sklearns_isotonic_fit_on_the_binned_reference() -> None:
    rng = np.random.default_rng(7)
    s = rng.random(20_000)
    y = rng.random(s.size) < s ** 2  # overconfident scores: calibration pulls them down
    bins = np.minimum((s * SCORE_BINS).astype(int), SCORE_BINS - 1)
    cal = ScoreCalibration.fit(np.bincount(bins[y], minlength=SCORE_BINS), np.bincount(bins[~y], minlength=SCORE_BINS))
    assert cal is not None and cal.pairs == 20_000
    rows = IsotonicRegression(y_min=0, y_max=1, out_of_bounds="clip").fit(CENTRES[bins], y.astype(float))
    np.testing.assert_allclose(cal.p, rows.predict(CENTRES), atol=1e-9)
    assert cal.p[750] == pytest.approx(0.75 ** 2, abs=0.05)
    assert ScoreCalibration.fit(np.bincount(bins, minlength=SCORE_BINS), np.zeros(SCORE_BINS)) is None  # no negatives


def test_conf_calibration_by_hand() -> None:
    ref = Summary()
    for i in range(100):  # bin 0.9: 100 pairs at confidence 0.9, 70 right; bin 0.6: 100 at 0.6, 60 right
        ref.add_pair(Pair(kind="classification", actual="a", predicted="a" if i < 70 else "b", confidence=0.9))
        ref.add_pair(Pair(kind="classification", actual="a", predicted="a" if i < 60 else "b", confidence=0.6))
    cal = ConfCalibration.fit(ref)
    np.testing.assert_allclose(cal.at(np.array([0.6, 0.9, 0.75, 0.99])), [0.6, 0.7, 0.65, 0.7])
    hits, var, n = cal.expected_hits([0] * 12 + [10] + [0] * 5 + [30, 0], [0.0] * 12 + [6.0] + [0.0] * 5 + [27.0, 0.0])
    assert (hits, n) == (pytest.approx(10 * 0.6 + 30 * 0.7), 40)
    assert var == pytest.approx(10 * 0.6 * 0.4 + 30 * 0.7 * 0.3)


def _rec(i: int, out: object, conf: float) -> PredictionRecord:
    return PredictionRecord(id=str(i), service="s", ts=0.0, inputs={}, output=out, confidence=conf)


def test_served_scores_follow_from_the_fine_bins() -> None:
    rng = np.random.default_rng(8)
    p_pos = rng.random(500)
    h = ConfHist()
    for i, p in enumerate(p_pos):
        h.add(_rec(i, 1 if p >= 0.5 else 0, float(max(p, 1 - p))))
    h = ConfHist.from_json(h.to_json())
    got = served_counts(h, "1")
    want = ScoreCounts.from_scores(p_pos, p_pos >= 0.5)
    assert got is not None and got.n == 500
    np.testing.assert_array_equal(got.pred_pos, want.pred_pos)
    assert np.abs(np.flatnonzero(got.pred_neg) - np.flatnonzero(want.pred_neg)).max() <= 1  # 1 - c may round across a bin edge
    assert served_counts(h, "yes") is None  # two classes, neither the positive one


def test_fine_bins_are_dropped_past_two_classes_and_absent_from_old_rows() -> None:
    h = ConfHist()
    h.add(_rec(1, "a", 0.7))
    h.add(_rec(2, "b", 0.8))
    assert h.fine == {"a": {700: 1}, "b": {800: 1}}
    h.add(_rec(3, "c", 0.9))
    assert h.fine is None and h.count == 3
    old = ConfHist.from_json(json.dumps({"n": [1] + [0] * 19, "total": [0.01] + [0.0] * 19}))
    assert old.fine is None and served_counts(old, "a") is None
    merged = ConfHist()
    merged.absorb(old)
    assert merged.fine is None  # a merge with a row that does not cover its predictions does not either
    huge = ConfHist()
    huge.add(_rec(4, 10 ** 5000, 0.9))  # an output too long to spell as a class: counted, not placed
    assert huge.fine is None and huge.count == 1


def test_bad_scores_are_refused_naming_the_limit() -> None:
    with pytest.raises(ValueError, match=r"p_pos: scores must be finite and within \[0, 1\]"):
        ScoreCounts.from_scores(np.array([0.2, 1.5]), np.array([False, True]))
