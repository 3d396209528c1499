"""Realized performance in the batch report: ``telltale report --target y``.

Both files carry the label (``--target``) and the model's output (``--prediction``, or
the spec's ``prediction``; for a classifier also ``--confidence``, the probability of
the predicted class, for ROC AUC, log loss, Brier and ECE). Every row is folded into a
:class:`~telltale.performance.Summary` exactly as the server folds joined labels, and
the same check runs: the spec's bounds, and a drop clearly below the reference (critical
here: a batch report compares exactly two sets).
"""

from __future__ import annotations

from typing import Any

from telltale.performance.findings import check
from telltale.performance.pairs import kind_of, pair_for, positive_class
from telltale.performance.summary import Kind, Summary
from telltale.performance.windows import WindowPerformance, performance_of
from telltale.spec.model import ServiceSpec
from telltale.types import Finding, PredictionRecord, Window

_NO_WINDOW = Window.from_epoch(0, 0)


class PerformanceUsageError(ValueError):
    """A column the performance check needs is missing."""


def realized(table: Any, spec: ServiceSpec, target: str, prediction: str, confidence: str | None) -> WindowPerformance:
    names = set(table.column_names)
    for what, col in (("--target", target), ("--prediction", prediction), ("--confidence", confidence)):
        if col is not None and col not in names:
            raise PerformanceUsageError(f"{what} {col!r} is not a column of the data; columns are {', '.join(sorted(names))}")
    kind = kind_of(spec) if (spec.output.classes is not None or spec.output.type != "float") else _kind_of_column(table.column(target))
    positive = positive_class(spec)
    ys, yhat = table.column(target).to_pylist(), table.column(prediction).to_pylist()
    confs = table.column(confidence).to_pylist() if confidence else [None] * len(ys)
    s = Summary()
    for y, p, c in zip(ys, yhat, confs):
        pair = pair_for(PredictionRecord(id="", service=spec.service, ts=0.0, inputs={}, output=p, confidence=c), y, 0.0, kind, positive)
        if pair is not None:
            s.add_pair(pair)
    return performance_of(spec, _NO_WINDOW, s, len(ys))


def performance_findings(reference: Any, current: Any, spec: ServiceSpec, target: str, prediction: str,
                         confidence: str | None = None) -> tuple[list[Finding], WindowPerformance, WindowPerformance]:
    ref = realized(reference, spec, target, prediction, confidence)
    cur = realized(current, spec, target, prediction, confidence)
    found = [_no_window(f) for f in check(spec, cur, ref, drop_severity="critical")]
    return found, ref, cur


def _no_window(f: Finding) -> Finding:
    from dataclasses import replace

    return replace(f, window=None)


def _kind_of_column(col: Any) -> Kind:
    import pyarrow as pa

    return "regression" if pa.types.is_floating(col.type) else "classification"
