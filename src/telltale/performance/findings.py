"""``performance``: realized metrics below the spec's bounds, or clearly below the reference.

Severity: critical when a metric with enough labels (``performance.min_labels``) is past
its bound in ``performance.metrics``: the example spec's ``accuracy-drop`` rule acts on
it. A bound crossed on too few labels is a warning that says so, never a verdict. A
warning, too, when a metric's whole 95% interval is worse than the reference period (the
week before the window, ``performance.baseline_s``) by more than
``performance.reference_drop`` (absolute for scores, relative for errors), both with
enough labels.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from telltale.performance.metrics import HIGHER_BETTER, MetricValue
from telltale.performance.windows import WindowPerformance, window_performance
from telltale.spec.model import ServiceSpec
from telltale.types import Finding, Severity, Window

if TYPE_CHECKING:
    from telltale.store import Store

#: Metrics compared with the reference even without a bound: the headline one of each kind.
HEADLINE = ("accuracy", "roc_auc", "mae")


def performance_findings(store: Store, project: str, spec: ServiceSpec, window: Window) -> list[Finding]:
    """Findings on the realized performance of predictions made in ``window``."""
    current = window_performance(store, project, spec, window)
    if current.labels == 0:
        return []
    w0 = window.start.timestamp()
    ref_window = Window.from_epoch(w0 - spec.performance.baseline_s, w0)
    reference = window_performance(store, project, spec, ref_window)
    return check(spec, current, reference)


def check(spec: ServiceSpec, current: WindowPerformance, reference: WindowPerformance | None,
          *, drop_severity: Severity = "warning") -> list[Finding]:
    """``drop_severity`` is that of "clearly below the reference" (the batch report, which
    compares exactly a reference and a current set, makes it critical)."""
    settings = spec.performance
    out: list[Finding] = []
    flagged: set[str] = set()
    for name, bound in settings.metrics.items():
        m = current.metrics.get(name)
        if m is None:
            continue
        higher = name in HIGHER_BETTER
        limit = bound.min if higher else bound.max
        if limit is None:  # the spec's validator requires it; a hand-built spec may lack it
            continue
        if (m.value >= limit) if higher else (m.value <= limit):
            continue
        flagged.add(name)
        side = "below the floor" if higher else "above the ceiling"
        if current.enough_labels:
            out.append(Finding(
                kind="performance", feature=name, severity="critical", statistic=name, value=m.value, threshold=limit,
                window=current.window,
                message=f"realized {name} {_f(m.value)}{_ci(m)} on {_labels(current)} is {side} {_f(limit)} "
                        f"(performance.metrics.{name}): the model is getting it wrong; check for concept drift and roll back or retrain",
            ))
        else:
            out.append(Finding(
                kind="performance", feature=name, severity="warning", statistic=name, value=m.value, threshold=limit,
                window=current.window,
                message=f"realized {name} {_f(m.value)}{_ci(m)} is {side} {_f(limit)}, but on only {_labels(current)}: "
                        f"too few for a verdict (performance.min_labels is {settings.min_labels}); wait for more labels",
            ))
    if reference is None or not (current.enough_labels and reference.enough_labels):
        return out
    for name in dict.fromkeys([*settings.metrics, *HEADLINE]):
        m, r = current.metrics.get(name), reference.metrics.get(name)
        if m is None or r is None or name in flagged:
            continue
        if name in HIGHER_BETTER:
            worse = m.high is not None and m.high < r.value - settings.reference_drop
        else:
            worse = m.low is not None and m.low > r.value * (1 + settings.reference_drop)
        if worse:
            out.append(Finding(
                kind="performance", feature=name, severity=drop_severity, statistic=name, value=m.value, threshold=r.value,
                window=current.window,
                message=f"realized {name} {_f(m.value)}{_ci(m)} on {_labels(current)} is clearly worse than "
                        f"{_f(r.value)} over the {reference.labels} labelled predictions of the reference period before it",
            ))
    return out


def _labels(p: WindowPerformance) -> str:
    cov = f", coverage {p.coverage:.0%}" if p.coverage is not None else ""
    delay = f", mean label delay {_span(p.delay_mean_s)}" if p.delay_mean_s is not None else ""
    return f"{p.labels} labels{cov}{delay}"


def _ci(m: MetricValue) -> str:
    return f" (95% CI {_f(m.low)} to {_f(m.high)})" if m.low is not None and m.high is not None else ""


def _f(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.3g}"


def _span(s: float | None) -> str:
    if s is None:
        return "n/a"
    if s >= 86400:
        return f"{s / 86400:.1f} d"
    if s >= 3600:
        return f"{s / 3600:.1f} h"
    if s >= 60:
        return f"{s / 60:.0f} min"
    return f"{s:.0f} s"
