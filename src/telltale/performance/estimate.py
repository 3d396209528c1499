"""Performance before labels, and what the labels then say about the estimate.

**Confidence-based estimation** (CBPE, as NannyML does it): calibrate the model's scores
on a labelled reference (the ``performance.baseline_s`` before the window) by isotonic
regression, then a window's expected metrics follow from the calibrated score of every
prediction served in it, labelled or not (``estimate_metrics`` holds the arithmetic). A
binary classifier gets accuracy, precision, recall, F1 and ROC AUC from its positive-class
score; a multi-class one accuracy from its top-label confidence (the monitor sees no other
class's probability; the batch report, given every class's, adds macro precision, recall
and F1 from ``estimate_multiclass``). Under covariate shift, where only the mix of inputs
moves, this tracks realized performance. Before labels, an estimated metric under its
floor is a finding, and, where a labelled reference's realized figures are passed (the
batch report), so is one clearly below them.

**Where CBPE cannot go**: it assumes the relation between inputs and labels holds, so
under concept shift it keeps reporting the old accuracy. Once a window has
``performance.min_labels`` labels, the estimate on exactly the labelled predictions is
compared with their realized accuracy (and ROC AUC); a gap beyond three standard errors
(and ``performance.estimate_tolerance``) is an ``estimated_performance`` finding naming
the shift. The same labels test the calibration itself, bin by bin (a Hosmer-Lemeshow
statistic against the reference's calibration): a ``calibration`` finding when the
reference calibration stops holding (p below 0.001).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy.stats import chi2

from telltale.performance.confidence import ConfHist
from telltale.performance.estimate_metrics import ConfCalibration, Expected, ScoreCalibration, ScoreCounts, expected
from telltale.performance.findings import HEADLINE
from telltale.performance.metrics import roc_auc
from telltale.performance.pairs import positive_class
from telltale.performance.summary import CONF_BINS, SCORE_BINS, Summary
from telltale.spec.model import ServiceSpec
from telltale.types import Finding, Severity, Window

if TYPE_CHECKING:
    from telltale.store import Store

Z_GAP = 3.0
P_CALIBRATION = 0.001
ESTIMATED = ("accuracy", "precision", "recall", "f1", "roc_auc")


@dataclass(frozen=True, slots=True)
class Calibration:
    """What a labelled reference says the scores mean: top-label accuracy by confidence, and P(positive) by score for a binary classifier."""

    conf: ConfCalibration
    score: ScoreCalibration | None

    @classmethod
    def from_reference(cls, ref: Summary, binary: bool = True) -> Calibration:
        return cls(ConfCalibration.fit(ref), ScoreCalibration.fit(ref.pos_hist, ref.neg_hist) if binary else None)

    @property
    def pairs(self) -> int:
        return self.conf.pairs


@dataclass(frozen=True, slots=True)
class Estimate:
    """A window's estimated accuracy (all served predictions), and against its labels when it has some."""

    window: Window
    predictions: int
    accuracy: float | None
    se: float | None
    labels: int
    estimate_on_labels: float | None  # the estimate for exactly the labelled predictions
    realized: float | None
    reference_pairs: int
    metrics: dict[str, float] = field(default_factory=dict)  # every estimated metric over the served predictions
    roc_auc_on_labels: float | None = None
    realized_roc_auc: float | None = None
    realized_roc_auc_se: float | None = None

    @property
    def error(self) -> float | None:
        """Realized minus estimated on the same labelled predictions: the estimator's own error."""
        if self.realized is None or self.estimate_on_labels is None:
            return None
        return self.realized - self.estimate_on_labels

    @property
    def roc_auc_error(self) -> float | None:
        if self.realized_roc_auc is None or self.roc_auc_on_labels is None:
            return None
        return self.realized_roc_auc - self.roc_auc_on_labels

    def to_dict(self) -> dict[str, Any]:
        return {"window": self.window.to_dict(), "predictions": self.predictions, "accuracy": self.accuracy, "se": self.se,
                "labels": self.labels, "estimate_on_labels": self.estimate_on_labels, "realized": self.realized,
                "error": self.error, "reference_pairs": self.reference_pairs, "metrics": self.metrics,
                "roc_auc_on_labels": self.roc_auc_on_labels, "realized_roc_auc": self.realized_roc_auc,
                "roc_auc_error": self.roc_auc_error}


def served_counts(h: ConfHist, positive: str) -> ScoreCounts | None:
    """The positive-class score distribution of the served predictions in ``h``; None when its fine bins do not cover them all."""
    if h.fine is None or len([c for c in h.fine if c != positive]) > 1:
        return None
    pos, neg = np.zeros(SCORE_BINS, np.int64), np.zeros(SCORE_BINS, np.int64)
    for cls, bins in h.fine.items():
        for b, k in bins.items():
            if cls == positive:
                pos[b] += k
            else:
                neg[SCORE_BINS - 1 - b] += k  # served negative with confidence c: positive-class score 1 - c
    counts = ScoreCounts(pos, neg)
    return counts if counts.n == h.count else None


def reference_calibration(store: Store, project: str, spec: ServiceSpec, window: Window) -> Calibration:
    w0 = window.start.timestamp()
    ref = Summary.merge_all(s for _, s in store.read_perf_minutes(project, spec.service, w0 - spec.performance.baseline_s, w0))
    return Calibration.from_reference(ref, positive_class(spec) is not None)


def estimate_window(cal: Calibration, conf: ConfHist, labelled: Summary, window: Window, positive: str | None,
                    served: ScoreCounts | None = None) -> Estimate:
    """The estimate for a window whose served confidences are ``conf`` (or, for a binary classifier, whose served
    positive-class scores are ``served``, as from arrays) and whose joined pairs are ``labelled``."""
    acc = se = on_labels = realized = auc_on_labels = auc = auc_se = None
    metrics: dict[str, float] = {}
    counts = served
    if counts is None and positive is not None and cal.score is not None:
        counts = served_counts(conf, positive)
    if counts is not None and cal.score is not None and counts.n:
        e: Expected | None = expected(counts, cal.score)
        if e is not None:
            acc, se, metrics = e.accuracy, e.accuracy_se, e.metrics()
    elif conf.count and cal.pairs:
        hits, var, n = cal.conf.expected_hits(conf.n, conf.total)
        acc, se, metrics = hits / n, math.sqrt(var) / n, {"accuracy": hits / n}
    n_lab = sum(labelled.conf_n)
    if n_lab and cal.pairs:
        realized = sum(labelled.conf_hit) / n_lab
        on = expected(ScoreCounts.from_labelled(labelled), cal.score) if cal.score is not None and positive is not None else None
        if on is not None and on.n == n_lab:
            on_labels, auc_on_labels = on.accuracy, on.roc_auc
            real_auc = roc_auc(labelled)
            if real_auc is not None and real_auc.low is not None and real_auc.high is not None:
                auc, auc_se = real_auc.value, (real_auc.high - real_auc.low) / (2 * 1.959963984540054)
        else:
            on_labels = cal.conf.expected_hits(labelled.conf_n, labelled.conf_sum)[0] / n_lab
    return Estimate(window, served.n if served is not None else conf.count, acc, se, n_lab, on_labels, realized, cal.pairs, metrics, auc_on_labels, auc, auc_se)


def estimate(store: Store, project: str, spec: ServiceSpec, window: Window, calibration: Calibration | None = None) -> tuple[Estimate, Summary, Calibration]:
    cal = calibration or reference_calibration(store, project, spec, window)
    t0, t1 = window.start.timestamp(), window.end.timestamp()
    conf = ConfHist()
    for _, h in store.read_conf_minutes(project, spec.service, t0, t1):
        conf.absorb(h)
    labelled = Summary.merge_all(s for _, s in store.read_perf_minutes(project, spec.service, t0, t1))
    return estimate_window(cal, conf, labelled, window, positive_class(spec)), labelled, cal


def estimate_findings(store: Store, project: str, spec: ServiceSpec, window: Window) -> list[Finding]:
    """``estimated_performance`` and ``calibration`` findings for ``window``."""
    est, labelled, cal = estimate(store, project, spec, window)
    return check(spec, est, labelled, cal)


def check(spec: ServiceSpec, est: Estimate, labelled: Summary, cal: Calibration, *,
          reference: Mapping[str, float] | None = None, severity: Severity = "warning") -> list[Finding]:
    """The estimate's findings. Before ``min_labels`` labels: an estimated metric under its
    floor, and with ``reference`` (realized metrics of a labelled reference) one clearly below
    it, of ``severity`` (the monitor warns, as labels will follow; the batch report, whose
    estimate may be all it gets, passes critical; on fewer than ``min_labels`` predictions
    it is a warning that says so). From ``min_labels`` labels: the estimate-versus-realized
    gaps and the calibration test."""
    s = spec.performance
    out: list[Finding] = []
    if cal.pairs < s.min_labels:
        return out  # no labelled reference to calibrate on: no estimate, and nothing to say about one
    if est.labels < s.min_labels:
        out += _before_labels(spec, est, reference or {}, severity if est.predictions >= s.min_labels else "warning")
    if est.labels >= s.min_labels and est.estimate_on_labels is not None and est.realized is not None:
        out += _gap_findings(spec, est)
        out += _calibration_findings(est, labelled, cal)
    return out


def _before_labels(spec: ServiceSpec, est: Estimate, reference: Mapping[str, float], severity: Severity) -> list[Finding]:
    s = spec.performance
    out: list[Finding] = []
    few = "" if est.predictions >= s.min_labels else f" (only {est.predictions} predictions, under performance.min_labels {s.min_labels}: no verdict)"
    for name in ESTIMATED:
        value, bound = est.metrics.get(name), s.metrics.get(name)
        ref = reference.get(name) if name in s.metrics or name in HEADLINE else None  # as the realized check compares
        if value is None:
            continue
        band = f" (± {1.96 * (est.se or 0):.3f})" if name == "accuracy" else ""
        if bound is not None and bound.min is not None and value < bound.min:
            out.append(Finding(
                kind="estimated_performance", feature=name, severity=severity, statistic=f"estimated_{name}",
                value=value, threshold=bound.min, window=est.window,
                message=f"estimated {name} {value:.3f}{band} over {est.predictions} predictions is below the floor "
                        f"{bound.min:g}, before their labels arrive ({est.labels} so far); the confidence mix moved "
                        f"towards cases the model gets wrong more often{few}",
            ))
            continue
        high = value + (1.96 * (est.se or 0) if name == "accuracy" else 0.0)
        if ref is not None and high < ref - s.reference_drop:
            out.append(Finding(
                kind="estimated_performance", feature=name, severity=severity, statistic=f"estimated_{name}",
                value=value, threshold=ref, window=est.window,
                message=f"estimated {name} {value:.3f}{band} over {est.predictions} predictions, before their labels "
                        f"arrive ({est.labels} so far), is clearly below the reference's realized {ref:.3f} (by more than "
                        f"performance.reference_drop {s.reference_drop:g}); the inputs moved towards cases the model gets "
                        f"wrong more often{few}",
            ))
    return out


def _gap_findings(spec: ServiceSpec, est: Estimate) -> list[Finding]:
    out: list[Finding] = []
    tol = spec.performance.estimate_tolerance
    assert est.estimate_on_labels is not None and est.realized is not None
    p, n = est.estimate_on_labels, est.labels
    se = math.sqrt(max(p * (1 - p), 1e-12) / n)
    gap = est.realized - p
    if abs(gap) > Z_GAP * se + tol:
        out.append(Finding(
            kind="estimated_performance", feature="estimate_gap", severity="critical" if gap < 0 else "warning",
            statistic="realized_minus_estimated_accuracy", value=gap, threshold=-(Z_GAP * se + tol), window=est.window,
            message=f"realized accuracy {est.realized:.3f} on {n} labels but the confidence-based estimate for the same "
                    f"predictions was {p:.3f} (gap {gap:+.3f}, {abs(gap) / se:.1f} standard errors): the relation between "
                    f"inputs and labels changed (concept shift), which estimation from confidence alone cannot see",
        ))
    auc_gap, auc_se = est.roc_auc_error, est.realized_roc_auc_se
    if auc_gap is not None and auc_se is not None and auc_se > 0 and abs(auc_gap) > Z_GAP * auc_se + tol:
        out.append(Finding(
            kind="estimated_performance", feature="estimate_gap_roc_auc", severity="critical" if auc_gap < 0 else "warning",
            statistic="realized_minus_estimated_roc_auc", value=auc_gap, threshold=-(Z_GAP * auc_se + tol), window=est.window,
            message=f"realized ROC AUC {est.realized_roc_auc:.3f} on {n} labels but the confidence-based estimate for the "
                    f"same predictions was {est.roc_auc_on_labels:.3f} (gap {auc_gap:+.3f}, {abs(auc_gap) / auc_se:.1f} "
                    f"standard errors): the scores no longer rank cases as they did on the reference (concept shift)",
        ))
    return out


def _calibration_findings(est: Estimate, labelled: Summary, cal: Calibration) -> list[Finding]:
    stat, dof = hosmer_lemeshow(labelled, cal.conf)
    if dof <= 0:
        return []
    pval = float(chi2.sf(stat, dof))
    if pval >= P_CALIBRATION:
        return []
    return [Finding(
        kind="calibration", feature=None, severity="warning", statistic="hosmer_lemeshow_p", value=pval,
        threshold=P_CALIBRATION, window=est.window,
        message=f"the reference calibration no longer holds: hits per confidence bin differ from what it predicts "
                f"(chi-square {stat:.1f} on {dof} bins, p = {pval:.2g}, {est.labels} labels); recalibrate on recent labels "
                f"or retrain, and distrust confidence gates meanwhile",
    )]


def hosmer_lemeshow(labelled: Summary, cal: ConfCalibration) -> tuple[float, int]:
    """Chi-square of hits per confidence bin (bins of ten labels or more) against the calibrated expectation, and its bins."""
    stat, dof = 0.0, 0
    for b in range(CONF_BINS):
        k = labelled.conf_n[b]
        if k < 10:
            continue
        p = min(max(float(cal.at(np.array([labelled.conf_sum[b] / k]))[0]), 1e-6), 1 - 1e-6)
        expected_hits = k * p
        stat += (labelled.conf_hit[b] - expected_hits) ** 2 / (expected_hits * (1 - p))
        dof += 1
    return stat, dof
