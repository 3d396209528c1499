"""Realized performance per window of prediction time, from the per-minute summaries.

A window's performance is the merge of the summaries of the minutes its predictions were
made in, whatever time their labels arrived; its label coverage is labels over
predictions stored for those minutes, and its label delay the mean and longest time
from prediction to label. Reading a window costs one row per minute, whatever the
traffic.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from telltale.performance.metrics import MetricValue, compute
from telltale.performance.pairs import positive_class
from telltale.performance.summary import Summary
from telltale.spec.model import ServiceSpec
from telltale.types import Window, window_grid

if TYPE_CHECKING:
    from telltale.store import Store



@dataclass(frozen=True, slots=True)
class WindowPerformance:
    """Realized metrics of one window, with how much of it is labelled and how late."""

    window: Window
    predictions: int
    labels: int
    delay_mean_s: float | None
    delay_max_s: float | None
    metrics: dict[str, MetricValue]
    enough_labels: bool
    summary: Summary

    @property
    def coverage(self) -> float | None:
        return min(1.0, self.labels / self.predictions) if self.predictions else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "window": self.window.to_dict(), "predictions": self.predictions, "labels": self.labels,
            "coverage": self.coverage, "delay_mean_s": self.delay_mean_s, "delay_max_s": self.delay_max_s,
            "enough_labels": self.enough_labels, "metrics": {k: v.to_dict() for k, v in self.metrics.items()},
        }


def performance_of(spec: ServiceSpec, window: Window, summary: Summary, predictions: int) -> WindowPerformance:
    n = summary.n
    return WindowPerformance(
        window=window, predictions=predictions, labels=n,
        delay_mean_s=summary.delay_sum / n if n > 0 else None, delay_max_s=summary.delay_max if n > 0 else None,
        metrics=compute(summary, positive_class(spec)), enough_labels=n >= spec.performance.min_labels, summary=summary,
    )


def window_performance(store: Store, project: str, spec: ServiceSpec, window: Window) -> WindowPerformance:
    """Realized performance of predictions made in ``window``."""
    t0, t1 = window.start.timestamp(), window.end.timestamp()
    summary = Summary.merge_all(s for _, s in store.read_perf_minutes(project, spec.service, t0, t1))
    preds = sum(n for _, n in store.prediction_counts(project, spec.service, t0, t1))
    return performance_of(spec, window, summary, preds)


def performance_windows(store: Store, project: str, spec: ServiceSpec, since: float, until: float, window_s: float) -> list[WindowPerformance]:
    """Each window of [since, until) (starting on a minute, stepping ``window_s``) with labels or predictions."""
    start, n = window_grid(since, until, window_s, per="summaries")
    minutes = store.read_perf_minutes(project, spec.service, start, until)
    counts = store.prediction_counts(project, spec.service, start, until)
    out = []
    for i in range(n):
        w0, w1 = start + i * window_s, min(start + (i + 1) * window_s, until)
        summary = Summary.merge_all(s for m, s in minutes if w0 <= m < w1)
        preds = sum(c for m, c in counts if w0 <= m < w1)
        if summary.n or preds:
            out.append(performance_of(spec, Window.from_epoch(w0, w1), summary, preds))
    return out
