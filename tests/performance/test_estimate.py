"""The estimate's findings: an estimated metric under its floor before labels, the
estimate-versus-realized gaps (accuracy and ROC AUC) beyond three standard errors, and
the Hosmer-Lemeshow test of the reference calibration, each against a hand-worked figure."""

from __future__ import annotations

import math

import pytest
from scipy.stats import chi2

from telltale.performance.estimate import Calibration, Estimate, check, hosmer_lemeshow
from telltale.performance.summary import Pair, Summary
from telltale.spec import parse_spec
from telltale.types import Window

SPEC = parse_spec("service: loans\nowner: me\ninputs:\n  x: {type: float}\noutput: {type: int, classes: [0, 1]}\n"
                  "performance: {metrics: {roc_auc: {min: 0.7}}, min_labels: 100}\n")
W = Window.from_epoch(1_767_225_600.0, 1_767_229_200.0)


def _summary(n: int, hits: int, conf: float) -> Summary:
    s = Summary()
    for i in range(n):
        s.add_pair(Pair(kind="classification", actual="1", predicted="1" if i < hits else "0", confidence=conf))
    return s


CAL = Calibration.from_reference(_summary(200, 180, 0.9), binary=False)  # confidence 0.9 is right 90% of the time


def _est(**kw: object) -> Estimate:
    base: dict[str, object] = {"window": W, "predictions": 1000, "accuracy": 0.9, "se": 0.01, "labels": 0,
                               "estimate_on_labels": None, "realized": None, "reference_pairs": 200}
    return Estimate(**{**base, **kw})  # type: ignore[arg-type]


def test_estimated_roc_auc_under_its_floor_before_labels() -> None:
    (f,) = check(SPEC, _est(metrics={"accuracy": 0.9, "roc_auc": 0.612}, labels=3), Summary(), CAL)
    assert (f.kind, f.feature, f.statistic, f.value, f.threshold) == ("estimated_performance", "roc_auc", "estimated_roc_auc", 0.612, 0.7)
    assert f.message == ("estimated roc_auc 0.612 over 1000 predictions is below the floor 0.7, before their labels arrive "
                         "(3 so far); the confidence mix moved towards cases the model gets wrong more often")
    assert check(SPEC, _est(metrics={"roc_auc": 0.612}, labels=100), Summary(), CAL) == []  # labels are in: realized speaks


def test_roc_auc_gap_beyond_three_standard_errors() -> None:
    labelled = _summary(500, 450, 0.9)  # accuracy as calibrated: no accuracy gap, no calibration finding
    est = _est(labels=500, estimate_on_labels=0.9, realized=0.9, roc_auc_on_labels=0.85, realized_roc_auc=0.75, realized_roc_auc_se=0.02)
    (f,) = check(SPEC, est, labelled, CAL)
    assert (f.feature, f.severity, f.value, f.threshold) == ("estimate_gap_roc_auc", "critical", pytest.approx(-0.1), pytest.approx(-0.06))
    assert "realized ROC AUC 0.750 on 500 labels but the confidence-based estimate for the same predictions was 0.850 (gap -0.100, 5.0 standard errors)" in f.message
    near = _est(labels=500, estimate_on_labels=0.9, realized=0.9, roc_auc_on_labels=0.85, realized_roc_auc=0.80, realized_roc_auc_se=0.02)
    assert check(SPEC, near, labelled, CAL) == []  # 2.5 standard errors: sampling error


def test_accuracy_gap_by_hand() -> None:
    labelled = _summary(400, 300, 0.9)
    (gap, calib) = check(SPEC, _est(labels=400, estimate_on_labels=0.9, realized=0.75), labelled, CAL)
    se = math.sqrt(0.9 * 0.1 / 400)  # 0.015
    assert (gap.feature, gap.value, gap.threshold) == ("estimate_gap", pytest.approx(-0.15), pytest.approx(-3 * se))
    assert "(gap -0.150, 10.0 standard errors)" in gap.message
    # Hosmer-Lemeshow on the one bin: (300 - 400 * 0.9)^2 / (400 * 0.9 * 0.1) = 100 on one degree of freedom
    assert hosmer_lemeshow(labelled, CAL.conf) == (pytest.approx(100.0), 1)
    assert (calib.kind, calib.value) == ("calibration", pytest.approx(float(chi2.sf(100.0, 1))))


def test_estimate_clearly_below_the_reference_in_the_batch_report() -> None:
    # accuracy 0.80 ± 1.96 * 0.01 stays under 0.90 - 0.05: clearly below; ROC AUC 0.86 is within 0.05 of 0.9
    est = _est(accuracy=0.8, se=0.01, metrics={"accuracy": 0.8, "roc_auc": 0.86, "precision": 0.5})
    (f,) = check(SPEC, est, Summary(), CAL, reference={"accuracy": 0.9, "roc_auc": 0.9, "precision": 0.9}, severity="critical")
    assert (f.feature, f.severity, f.statistic, f.value, f.threshold) == ("accuracy", "critical", "estimated_accuracy", 0.8, 0.9)
    assert f.message == ("estimated accuracy 0.800 (± 0.020) over 1000 predictions, before their labels arrive (0 so far), is "
                         "clearly below the reference's realized 0.900 (by more than performance.reference_drop 0.05); the "
                         "inputs moved towards cases the model gets wrong more often")
    # precision has no floor in the spec and is not a headline metric: not compared, as the realized check does not
    near = _est(accuracy=0.84, se=0.01, metrics={"accuracy": 0.84})  # 0.84 + 0.0196 > 0.85: within sampling error
    assert check(SPEC, near, Summary(), CAL, reference={"accuracy": 0.9}, severity="critical") == []
    assert check(SPEC, est, Summary(), CAL) == []  # the monitor passes no reference: only floors


def test_floor_on_too_few_predictions_is_a_warning_that_says_so() -> None:
    (f,) = check(SPEC, _est(predictions=40, metrics={"roc_auc": 0.6}), Summary(), CAL, severity="critical")
    assert f.severity == "warning"
    assert f.message.endswith("(only 40 predictions, under performance.min_labels 100: no verdict)")
    (g,) = check(SPEC, _est(metrics={"roc_auc": 0.6}), Summary(), CAL, severity="critical")
    assert g.severity == "critical"
