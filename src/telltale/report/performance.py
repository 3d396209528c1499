"""Performance in the batch report: ``telltale report --target y``, realized or estimated.

The reference carries the label (``--target``) and the model's output (``--prediction``,
or the spec's ``prediction``); for a classifier also ``--confidence``, the probability of
the predicted class (ROC AUC, log loss, Brier, ECE, and the estimate), or every class's
probability (``--probabilities``); a saved reference brings the summary ``telltale init``
wrote of it instead (``reference_performance``). Every row is folded into a
:class:`~telltale.performance.Summary` exactly as the server folds joined labels, and
the monitor's checks run on the result:

- **labels in the current data**: realized metrics, the spec's bounds and a drop clearly
  below the reference (critical here: a batch report compares exactly two sets);
- **no labels in the current data** (the column absent or entirely null) and a confidence:
  the monitor's confidence-based estimate (CBPE: isotonic calibration on the labelled
  reference) over every current prediction, and its check: an estimated metric below the
  spec's floor, or clearly below the reference's realized figure, is a critical
  ``estimated_performance`` finding (a warning on fewer than ``performance.min_labels``
  predictions). Partly labelled current data gets both, and the estimate-versus-realized
  gap the monitor checks.

A binary classifier (``output.classes`` of two, a ``bool`` output, or, without classes in
the spec, labels that are exactly 0 and 1 or false and true) is estimated on accuracy,
precision, recall, F1 and ROC AUC of the positive class; a multi-class one on accuracy
from its top-label confidence, and on macro precision, recall and F1 when
``--probabilities`` gives every class's probability (``estimate_multiclass``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from telltale.performance.confidence import ConfHist
from telltale.performance.estimate import Calibration, Estimate, check as estimate_check, estimate_window
from telltale.performance.estimate_metrics import ScoreCounts
from telltale.performance.estimate_multiclass import ClassCalibration, expected_macro
from telltale.performance.findings import check
from telltale.performance.pairs import class_key, positive_class
from telltale.performance.summary import CONF_BINS, Summary
from telltale.performance.windows import WindowPerformance, performance_of
from telltale.report.reference_performance import PerformanceUsageError, ReferencePerformance, confidences, fold, spec_for
from telltale.report.rows import CheckRow
from telltale.spec.model import ServiceSpec
from telltale.types import Finding, Window

_NO_WINDOW = Window.from_epoch(0, 0)


@dataclass(frozen=True, slots=True)
class Columns:
    """The columns ``--target``, ``--prediction``, ``--confidence`` and ``--probabilities`` name."""

    target: str
    prediction: str
    confidence: str | None = None
    probabilities: Mapping[str, str] | None = None  # class -> column of its probability

    @property
    def extra(self) -> list[str]:
        """Columns that are not model inputs: the label and the scores."""
        return [self.target, *([self.confidence] if self.confidence else []), *(self.probabilities or {}).values()]


@dataclass(frozen=True, slots=True)
class PerformanceResult:
    """Realized performance of the reference, and of the current data (its labelled rows) and/or its estimate."""

    columns: Columns
    reference: WindowPerformance
    current: WindowPerformance | None  # None when the current data has no label
    estimate: Estimate | None  # None without a confidence, or a reference too small to calibrate on
    findings: list[Finding]
    note: str = ""  # why there is no estimate, when there could have been one
    rows: int = 0

    @property
    def estimated(self) -> bool:
        """True when the current figures are an estimate only (no labels in the current data)."""
        return self.current is None

    def check_rows(self) -> list[CheckRow]:
        """A row per finding, then per metric not flagged: realized beside the reference, or estimated beside it."""
        rows = [CheckRow(f.kind, f.feature, f.severity, f.statistic, f.value, f.threshold, f.message) for f in self.findings]
        flagged = {(f.kind, f.feature) for f in self.findings}
        ref = self.reference.metrics
        if self.current is not None:
            for name, m in self.current.metrics.items():
                r = ref.get(name)
                if ("performance", name) not in flagged:
                    rows.append(CheckRow("performance", name, "passed", name, m.value, r.value if r else None,
                                         detail=f"{name} {m.value:.3g} on {self.current.labels} labelled rows"
                                                + (f" (reference {r.value:.3g})" if r else "")))
        est = self.estimate
        if est is not None:
            for name, v in est.metrics.items():
                r = ref.get(name)
                if ("estimated_performance", name) not in flagged:
                    band = f" ± {1.96 * est.se:.3f}" if name == "accuracy" and est.se is not None else ""
                    rows.append(CheckRow("estimated_performance", name, "passed", f"estimated_{name}", v, r.value if r else None,
                                         detail=f"estimated {name} {v:.3g}{band} over {est.predictions} predictions (an estimate "
                                                f"from confidences, not labels)" + (f"; reference realized {r.value:.3g}" if r else "")))
        elif self.note:
            rows.append(CheckRow("estimated_performance", None, "skipped", detail=self.note))
        return rows

    def to_dict(self) -> dict[str, Any]:
        ref, cur, est = self.reference.metrics, self.current.metrics if self.current else {}, self.estimate
        names = list(dict.fromkeys([*ref, *cur, *(est.metrics if est else {})]))
        metrics = {}
        for name in names:
            m: dict[str, Any] = {"reference": _value(ref.get(name)), "current": _value(cur.get(name))}
            if est is not None and name in est.metrics:
                m["estimated"] = est.metrics[name]
                if name == "accuracy" and est.se is not None:
                    m["estimated_se"] = est.se
            metrics[name] = m
        return {
            "target": self.columns.target, "prediction": self.columns.prediction, "confidence": self.columns.confidence,
            "basis": "estimated" if self.estimated else "realized and estimated" if est is not None else "realized",
            "labels": {"reference": self.reference.labels, "current": self.current.labels if self.current else 0},
            "current_rows": self.rows, "estimated_predictions": est.predictions if est else 0,
            "metrics": metrics, "note": self.note,
        }


def _value(m: Any) -> float | None:
    return None if m is None else float(m.value)


def performance_findings(reference: Any, current: Any, spec: ServiceSpec, cols: Columns) -> PerformanceResult:
    """Realized performance on both sets (estimated on the current one when it has no labels), and its findings.

    ``reference`` is the reference data, or a :class:`ReferencePerformance` saved by ``telltale init``."""
    scores = [("--confidence", cols.confidence)] if cols.confidence else []
    scores += [("--probabilities", c) for c in (cols.probabilities or {}).values()]
    saved = isinstance(reference, ReferencePerformance)
    if saved:
        _check_saved(reference, cols)
    else:
        _require(reference, "reference", [("--target", cols.target), ("--prediction", cols.prediction), *scores])
    _require(current, "current", [("--prediction", cols.prediction), *scores])
    cur_labels = current.column(cols.target).to_pylist() if cols.target in current.column_names else []
    labelled = sum(y is not None for y in cur_labels)
    scored = cols.confidence is not None or bool(cols.probabilities)
    if not labelled and not scored:
        why = "is not a column of the current data" if cols.target not in current.column_names else "holds no label in the current data"
        raise PerformanceUsageError(
            f"--target {cols.target!r} {why}: to estimate performance without labels pass --confidence COLUMN (the "
            f"probability of the predicted class) or --probabilities CLASS=COLUMN,...; or give current data with labels")
    probs = dict(cols.probabilities) if cols.probabilities else None
    ref_side: ReferencePerformance = reference if saved else ReferencePerformance.from_table(
        reference, spec, cols.target, cols.prediction, cols.confidence, probs)
    kind, positive = ref_side.kind, ref_side.positive
    spec = spec_for(spec, ref_side.labels, kind)
    if positive_class(spec) != positive:
        raise PerformanceUsageError(f"the saved reference performance was folded with positive class {positive!r} but the spec now "
                                    f"makes it {positive_class(spec)!r}: run `telltale init` again, or pass the reference data file")
    if kind == "regression" and not labelled:
        raise PerformanceUsageError(f"--target {cols.target!r} holds no label in the current data and the model is a regressor: "
                                    "performance can be estimated for classifiers only (from their confidence); give current data with labels, or "
                                    "set output.classes in the spec if the model is a classifier")
    cur_conf = confidences(current, cols.prediction, cols.confidence, probs, "current")
    cur_pred = current.column(cols.prediction).to_pylist()
    ref = performance_of(spec, _NO_WINDOW, ref_side.summary, ref_side.rows)
    cur_summary = fold(kind, positive, cur_labels, cur_pred, cur_conf) if labelled else Summary()
    cur = performance_of(spec, _NO_WINDOW, cur_summary, current.num_rows) if labelled else None
    found = check(spec, cur, ref, drop_severity="critical") if cur is not None else []
    est, note = None, ""
    if kind == "classification" and scored:
        cal = Calibration.from_reference(ref.summary, positive is not None)
        if cal.pairs < spec.performance.min_labels:
            note = (f"no estimate: the reference has {cal.pairs} labelled rows with a confidence, under performance.min_labels "
                    f"{spec.performance.min_labels}, too few to calibrate on")
        else:
            est = _estimate(cal, cur_pred, cur_conf, cur_summary, positive)
            if probs and positive is None and not saved:
                est = _with_macro(est, probs, reference, current, reference.column(cols.target).to_pylist(),
                                  reference.column(cols.prediction).to_pylist(), cur_pred)
            found += estimate_check(spec, est, cur_summary, cal, reference={k: v.value for k, v in ref.metrics.items()},
                                    severity="critical")
    return PerformanceResult(cols, ref, cur, est, [replace(f, window=None) for f in found], note, current.num_rows)


def _check_saved(saved: ReferencePerformance, cols: Columns) -> None:
    if cols.target != saved.target:
        raise PerformanceUsageError(f"--target {cols.target!r}: the saved reference performance is of target {saved.target!r}; "
                                    "pass that column, or the reference data file")
    if cols.probabilities:
        raise PerformanceUsageError("--probabilities needs the reference's rows (every class's probability, to calibrate each class "
                                    "on), which a saved profile does not keep: pass the reference data file (--reference train.parquet)")
    if cols.confidence is not None and saved.confidence is None:
        raise PerformanceUsageError("--confidence: the saved reference performance was written without a confidence, so there is no "
                                    "calibration to estimate with: run `telltale init --target ... --prediction ... --confidence COLUMN` "
                                    "again, or pass the reference data file")


def _require(table: Any, side: str, named: list[tuple[str, str]]) -> None:
    """PerformanceUsageError for the first (flag, column) that ``table`` lacks."""
    names = set(table.column_names)
    for flag, col in named:
        if col not in names:
            raise PerformanceUsageError(f"{flag} {col!r} is not a column of the {side} data; its columns are {', '.join(sorted(names))}")


def _estimate(cal: Calibration, pred: list[Any], conf: list[float | None], labelled: Summary, positive: str | None) -> Estimate:
    """The monitor's estimate over every current row with a prediction and a confidence."""
    keep = [(class_key(p), float(c)) for p, c in zip(pred, conf) if p is not None and c is not None]
    c = np.array([k[1] for k in keep], np.float64)
    b = np.minimum((c * CONF_BINS).astype(np.int64), CONF_BINS - 1)
    hist = ConfHist(np.bincount(b, minlength=CONF_BINS).tolist(), np.bincount(b, weights=c, minlength=CONF_BINS).tolist(), None)
    served = None
    if positive is not None:
        is_pos = np.array([k[0] == positive for k in keep], bool)
        served = ScoreCounts.from_scores(np.where(is_pos, c, 1.0 - c), is_pos)
    return estimate_window(cal, hist, labelled, _NO_WINDOW, positive, served)


def _with_macro(est: Estimate, probabilities: Mapping[str, str], reference: Any, current: Any, ref_labels: list[Any],
                ref_pred: list[Any], cur_pred: list[Any]) -> Estimate:
    """The estimate with macro precision, recall and F1 from every class's probability (rows with a label, a
    prediction and every probability; a null probability leaves its row out)."""
    classes = [class_key(k) for k in probabilities]
    ref_p, cur_p = _probabilities(reference, probabilities, "reference"), _probabilities(current, probabilities, "current")
    whole = ~np.isnan(ref_p).any(axis=1)
    ref_rows = [i for i, (y, p) in enumerate(zip(ref_labels, ref_pred)) if y is not None and p is not None and whole[i]]
    whole = ~np.isnan(cur_p).any(axis=1)
    cur_rows = [i for i, p in enumerate(cur_pred) if p is not None and whole[i]]
    cal = ClassCalibration.fit(classes, ref_p[ref_rows], [class_key(ref_labels[i]) for i in ref_rows])
    macro = expected_macro(cal, cur_p[cur_rows], [class_key(cur_pred[i]) for i in cur_rows])
    return est if macro is None else replace(est, metrics={**est.metrics, **macro.metrics()})


def _probabilities(table: Any, probabilities: Mapping[str, str], side: str) -> np.ndarray:
    """Rows by classes, nulls as NaN; PerformanceUsageError naming the row and column of a value outside [0, 1]."""
    out = np.column_stack([table.column(c).to_numpy(zero_copy_only=False).astype(np.float64) for c in probabilities.values()])
    bad = ~np.isnan(out) & ~((out >= 0.0) & (out <= 1.0))
    if bad.any():
        i, k = (int(v) for v in np.argwhere(bad)[0])
        col = list(probabilities.values())[k]
        raise PerformanceUsageError(f"--probabilities {col!r}: row {i} of the {side} data holds {float(out[i, k])!r}; a probability is a "
                                    "number within [0, 1]")
    return out
