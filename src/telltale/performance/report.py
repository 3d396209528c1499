"""Per-window realized performance, the confidence-based estimate beside it, and their findings, as the API and the CLI show them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from telltale.performance.estimate import check as estimate_check, estimate
from telltale.performance.findings import check
from telltale.performance.pairs import kind_of
from telltale.performance.windows import performance_windows, window_performance
from telltale.spec.model import ServiceSpec
from telltale.types import Window

if TYPE_CHECKING:
    from telltale.store import Store


def performance_report(store: Store, project: str, spec: ServiceSpec, since: float, until: float, window_s: float) -> dict[str, Any]:
    """Each window of prediction time with its metrics, coverage, delay and findings; ValueError on a bad span."""
    out = []
    classifier = kind_of(spec) == "classification"
    for w in performance_windows(store, project, spec, since, until, window_s):
        findings = []
        s = w.window.start.timestamp()
        if w.labels:
            ref = window_performance(store, project, spec, Window.from_epoch(s - spec.performance.baseline_s, s))
            findings = check(spec, w, ref)
        est = None
        if classifier:
            e, labelled, cal = estimate(store, project, spec, w.window)
            est = e.to_dict()
            findings += estimate_check(spec, e, labelled, cal)
        out.append({**w.to_dict(), "estimate": est, "findings": [f.to_dict() for f in findings]})
    return {"windows": out, "since": since, "until": until, "window": window_s, "min_labels": spec.performance.min_labels}
