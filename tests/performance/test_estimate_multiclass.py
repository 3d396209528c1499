"""Estimated macro precision, recall and F1 of a multi-class model, against hand-worked figures."""

from __future__ import annotations

import numpy as np
import pytest

from telltale.performance.estimate_multiclass import ClassCalibration, check_probabilities, expected_macro

RAW = ClassCalibration(("a", "b", "c"), (None, None, None))  # no calibration: the probabilities as given


def test_expected_macro_by_hand() -> None:
    probs = np.array([[0.6, 0.3, 0.1], [0.2, 0.7, 0.1], [0.5, 0.1, 0.4]])
    e = expected_macro(RAW, probs, ["a", "b", "c"])
    assert e is not None and e.n == 3  # three rows, each served as its top class
    # class a: TP 0.6, FP 0.4, FN 0.2 + 0.5; b: TP 0.7, FP 0.3, FN 0.3 + 0.1; c: TP 0.4, FP 0.6, FN 0.1 + 0.1
    assert e.precision == pytest.approx((0.6 + 0.7 + 0.4) / 3)
    assert e.recall == pytest.approx((0.6 / 1.3 + 0.7 / 1.1 + 0.4 / 0.6) / 3)
    assert e.f1 == pytest.approx((1.2 / 2.3 + 1.4 / 2.1 + 0.8 / 1.6) / 3)
    assert e.accuracy == pytest.approx((0.6 + 0.7 + 0.4) / 3)
    assert expected_macro(RAW, np.zeros((0, 3)), []) is None  # no rows: no estimate


def test_each_class_is_calibrated_on_the_reference_then_rows_sum_to_one() -> None:
    # the model says 0.9 for class a on every row, but a is right 600 times in 1,000 (b and c 200 each)
    probs = np.tile([0.9, 0.05, 0.05], (1000, 1))
    cal = ClassCalibration.fit(("a", "b", "c"), probs, ["a"] * 600 + ["b"] * 200 + ["c"] * 200)
    np.testing.assert_allclose(cal.calibrated(probs[:2]), [[0.6, 0.2, 0.2]] * 2)
    e = expected_macro(cal, probs, ["a"] * 1000)
    assert e is not None and e.accuracy == pytest.approx(0.6)
    # a: precision 0.6, recall 1 (no row served as another class); b and c are never served: 0, as sklearn counts them
    assert (e.precision, e.recall, e.f1) == pytest.approx((0.6 / 3, 1 / 3, (1.2 / 1.6) / 3))


def test_a_class_the_reference_never_shows_keeps_its_raw_probability() -> None:
    probs = np.array([[0.7, 0.2, 0.1]] * 10)
    cal = ClassCalibration.fit(("a", "b", "c"), probs, ["a"] * 10)  # a always right: nothing to fit for any class
    assert cal.maps == (None, None, None)
    np.testing.assert_allclose(cal.calibrated(probs[:1]), [[0.7, 0.2, 0.1]])


def test_bad_probabilities_name_the_row() -> None:
    with pytest.raises(ValueError) as e:
        check_probabilities(np.array([[0.2, 0.8], [1.2, -0.2]]), 2)
    assert str(e.value) == "row 1: probabilities [1.2, -0.2] are not all finite and within [0, 1]"
