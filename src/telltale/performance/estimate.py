"""Performance before labels, and what the labels then say about the estimate.

**Confidence-based estimation** (CBPE, as NannyML does it): calibrate the model's
top-label confidence on a labelled reference, then a window's expected accuracy is the
mean calibrated confidence of every prediction served in it, labelled or not. The
calibration here is per confidence bin (the summaries' twenty): the reference's mean
gap between hits and confidence in the bin is added to each prediction's confidence
(bins with fewer than ``MIN_BIN`` reference pairs keep the raw confidence). Under
covariate shift, where only the mix of inputs moves, this tracks realized accuracy.

**Where CBPE cannot go**: it assumes the relation between inputs and labels holds, so
under concept shift it keeps reporting the old accuracy. Once a window has
``performance.min_labels`` labels, the estimate on exactly the labelled predictions
(same confidence bins) is compared with their realized accuracy; a gap beyond three
standard errors (and ``performance.estimate_tolerance``) is an ``estimated_performance``
finding naming the shift. The same labels test the calibration itself, bin by bin
(a Hosmer-Lemeshow statistic against the reference's calibration): a ``calibration``
finding when the reference calibration stops holding (p below 0.001).

Accuracy is estimated for classifiers whose records carry a confidence; ROC AUC is not
estimated yet.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from scipy.stats import chi2

from telltale.performance.confidence import ConfHist
from telltale.performance.summary import CONF_BINS, Summary
from telltale.spec.model import ServiceSpec
from telltale.types import Finding, Window

if TYPE_CHECKING:
    from telltale.store import Store

MIN_BIN = 20  # reference pairs a bin needs before its calibration gap is trusted
Z_GAP = 3.0
P_CALIBRATION = 0.001


@dataclass(frozen=True, slots=True)
class Calibration:
    """Per-bin calibrated accuracy learnt from a labelled reference."""

    gap: list[float]  # mean (hit - confidence) per bin; 0 where the reference is thin
    n: list[int]

    @classmethod
    def from_reference(cls, ref: Summary) -> Calibration:
        gap = [(h - c) / k if k >= MIN_BIN else 0.0 for h, c, k in zip(ref.conf_hit, ref.conf_sum, ref.conf_n)]
        return cls(gap, list(ref.conf_n))

    @property
    def pairs(self) -> int:
        return sum(self.n)

    def expected(self, n: list[int], total: list[float]) -> tuple[float, float, int]:
        """(expected hits, their variance, predictions) for bins holding ``n`` predictions whose confidences sum to ``total``."""
        hits = var = 0.0
        for b in range(CONF_BINS):
            if n[b]:
                p = min(max(total[b] / n[b] + self.gap[b], 0.0), 1.0)
                hits += n[b] * p
                var += n[b] * p * (1 - p)
        return hits, var, sum(n)


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

    @property
    def error(self) -> float | None:
        """Realized minus estimated on the same labelled predictions: the estimator's own error."""
        if self.realized is None or self.estimate_on_labels is None:
            return None
        return self.realized - self.estimate_on_labels

    def to_dict(self) -> dict[str, Any]:
        return {"window": self.window.to_dict(), "predictions": self.predictions, "accuracy": self.accuracy, "se": self.se,
                "labels": self.labels, "estimate_on_labels": self.estimate_on_labels, "realized": self.realized,
                "error": self.error, "reference_pairs": self.reference_pairs}


def reference_calibration(store: Store, project: str, spec: ServiceSpec, window: Window) -> Calibration:
    w0 = window.start.timestamp()
    ref = Summary.merge_all(s for _, s in store.read_perf_minutes(project, spec.service, w0 - spec.performance.baseline_s, w0))
    return Calibration.from_reference(ref)


def estimate(store: Store, project: str, spec: ServiceSpec, window: Window, calibration: Calibration | None = None) -> tuple[Estimate, Summary, Calibration]:
    cal = calibration or reference_calibration(store, project, spec, window)
    t0, t1 = window.start.timestamp(), window.end.timestamp()
    conf = ConfHist()
    for _, h in store.read_conf_minutes(project, spec.service, t0, t1):
        conf.absorb(h)
    labelled = Summary.merge_all(s for _, s in store.read_perf_minutes(project, spec.service, t0, t1))
    acc = se = on_labels = realized = None
    if conf.count and cal.pairs:
        hits, var, n = cal.expected(conf.n, conf.total)
        acc, se = hits / n, math.sqrt(var) / n
    n_lab = sum(labelled.conf_n)
    if n_lab and cal.pairs:
        hits, _, _ = cal.expected(labelled.conf_n, labelled.conf_sum)
        on_labels, realized = hits / n_lab, sum(labelled.conf_hit) / n_lab
    est = Estimate(window, conf.count, acc, se, n_lab, on_labels, realized, cal.pairs)
    return est, labelled, cal


def estimate_findings(store: Store, project: str, spec: ServiceSpec, window: Window) -> list[Finding]:
    """``estimated_performance`` and ``calibration`` findings for ``window``."""
    est, labelled, cal = estimate(store, project, spec, window)
    return check(spec, est, labelled, cal)


def check(spec: ServiceSpec, est: Estimate, labelled: Summary, cal: Calibration) -> list[Finding]:
    s = spec.performance
    out: list[Finding] = []
    if cal.pairs < s.min_labels:
        return out  # no labelled reference to calibrate on: no estimate, and nothing to say about one
    floor = s.metrics["accuracy"].min if "accuracy" in s.metrics else None
    if est.accuracy is not None and floor is not None and est.accuracy < floor and est.labels < s.min_labels:
        out.append(Finding(
            kind="estimated_performance", feature="accuracy", severity="warning", statistic="estimated_accuracy",
            value=est.accuracy, threshold=floor, window=est.window,
            message=f"estimated accuracy {est.accuracy:.3f} (± {1.96 * (est.se or 0):.3f}) over {est.predictions} predictions "
                    f"is below the floor {floor:g}, before their labels arrive ({est.labels} so far); the confidence mix "
                    f"moved towards cases the model gets wrong more often",
        ))
    if est.labels >= s.min_labels and est.estimate_on_labels is not None and est.realized is not None:
        p, n = est.estimate_on_labels, est.labels
        se = math.sqrt(max(p * (1 - p), 1e-12) / n)
        gap = est.realized - p
        if abs(gap) > Z_GAP * se + s.estimate_tolerance:
            out.append(Finding(
                kind="estimated_performance", feature="estimate_gap", severity="critical" if gap < 0 else "warning",
                statistic="realized_minus_estimated_accuracy", value=gap, threshold=-(Z_GAP * se + s.estimate_tolerance),
                window=est.window,
                message=f"realized accuracy {est.realized:.3f} on {n} labels but the confidence-based estimate for the same "
                        f"predictions was {p:.3f} (gap {gap:+.3f}, {abs(gap) / se:.1f} standard errors): the relation between "
                        f"inputs and labels changed (concept shift), which estimation from confidence alone cannot see",
            ))
        stat, dof = _hosmer_lemeshow(labelled, cal)
        if dof > 0:
            pval = float(chi2.sf(stat, dof))
            if pval < P_CALIBRATION:
                out.append(Finding(
                    kind="calibration", feature=None, severity="warning", statistic="hosmer_lemeshow_p", value=pval,
                    threshold=P_CALIBRATION, window=est.window,
                    message=f"the reference calibration no longer holds: hits per confidence bin differ from what it predicts "
                            f"(chi-square {stat:.1f} on {dof} bins, p = {pval:.2g}, {n} labels); recalibrate on recent labels "
                            f"or retrain, and distrust confidence gates meanwhile",
                ))
    return out


def _hosmer_lemeshow(labelled: Summary, cal: Calibration) -> tuple[float, int]:
    stat, dof = 0.0, 0
    for b in range(CONF_BINS):
        k = labelled.conf_n[b]
        if k < 10:
            continue
        p = min(max(labelled.conf_sum[b] / k + cal.gap[b], 1e-6), 1 - 1e-6)
        expected = k * p
        stat += (labelled.conf_hit[b] - expected) ** 2 / (expected * (1 - p))
        dof += 1
    return stat, dof
