"""Compare one field's reference and current distributions: one verdict per field.

The verdict combines the field's drift method (see :mod:`telltale.drift.methods`) with
its missing-value share, so a column going from 0% to 20% nulls drifts even when the
values that remain are unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

import numpy as np

from telltale.drift.chi2 import chi2_homogeneity
from telltale.drift.distribution import QUANTILE_GRID, CategoricalDist, Dist, NumericDist
from telltale.drift.divergence import jensen_shannon
from telltale.drift.ecdf import ks_and_wasserstein
from telltale.drift.ks import EXACT_MAX_PRODUCT, ks_2samp, ks_from_cdfs, ks_pvalue
from telltale.drift.methods import (
    ALPHA,
    NULL_SHARE_CRITICAL,
    NULL_SHARE_WARNING,
    Method,
    choose_method,
    severity,
    thresholds,
)
from telltale.drift.psi import psi
from telltale.drift.wasserstein import reference_scale, wasserstein_from_quantiles
from telltale.types import Finding, Severity, Window

#: Equal-frequency bins over the reference for PSI, JS and chi2 on numeric fields. Twenty
#: resolve a 0.2 sd shift while keeping each bin at 5% of the reference.
NUMERIC_BINS = 20


@dataclass(frozen=True, slots=True)
class DriftResult:
    """One field's drift check, whether or not it fired (the report lists every one)."""

    feature: str
    kind: str  # "drift" or "prediction_drift"
    method: str
    statistic: str
    value: float
    warning: float
    threshold: float
    p_value: float | None
    missing_reference: float
    missing_current: float
    n_reference: int
    n_current: int
    severity: Severity | None
    message: str

    def to_finding(self, window: Window | None = None) -> Finding | None:
        if self.severity is None:
            return None
        return Finding(self.kind, self.feature, self.severity, self.statistic, self.value, self.threshold, window, self.message)


def compare(feature: str, reference: Dist, current: Dist, *, method: str = "auto", threshold: float | None = None, kind: str = "drift",
            alpha: float = ALPHA) -> DriftResult:
    """Drift of one field from ``reference`` to ``current``.

    ``alpha`` is the significance level of the statistical gate; a caller testing k
    fields at once passes ``family_alpha(k)`` so a window of many fields is not a
    lottery of false alarms.
    """
    numeric = isinstance(reference, NumericDist)
    if numeric != isinstance(current, NumericDist):
        raise TypeError(f"{feature}: reference and current must both be numeric or both categorical")
    m = choose_method(numeric, reference.n, current.n, method)
    warn, crit = thresholds(m, threshold)
    mr, mc = reference.missing_share, current.missing_share
    base: dict[str, Any] = dict(feature=feature, kind=kind, method=m.name, warning=warn, threshold=crit, missing_reference=mr,
                missing_current=mc, n_reference=reference.n, n_current=current.n)
    if reference.total == 0 or current.total == 0:
        side = "reference" if reference.total == 0 else "current"
        return DriftResult(statistic=m.statistic, value=float("nan"), p_value=None, severity=None,
                           message=f"{feature}: no {side} data, drift not measured", **base)

    value, p = _effect(m, reference, current)
    sev = severity(value, warn, crit) if (p is None or p < alpha) else None
    null_delta, null_p = _missing_shift(reference, current)
    null_sev = severity(null_delta, NULL_SHARE_WARNING, NULL_SHARE_CRITICAL) if null_p < alpha else None
    if null_sev is not None and _rank(null_sev) >= _rank(sev):
        msg = (f"{feature}: missing values went from {mr:.1%} to {mc:.1%} of rows (critical at a change of "
               f"{NULL_SHARE_CRITICAL:.0%}); find which upstream source stopped filling it")
        return DriftResult(statistic="null_share_delta", value=null_delta, p_value=null_p, severity=null_sev,
                           message=msg, **{**base, "warning": NULL_SHARE_WARNING, "threshold": NULL_SHARE_CRITICAL})
    return DriftResult(statistic=m.statistic, value=value, p_value=p, severity=sev,
                       message=_message(feature, m, value, p, warn, crit, sev, reference, current), **base)


def _effect(m: Method, ref: Dist, cur: Dist) -> tuple[float, float | None]:
    if m.name == "wasserstein" or m.name == "ks":
        ref, cur = cast(NumericDist, ref), cast(NumericDist, cur)
        if ref.n == 0 or cur.n == 0:
            return float("nan"), None
        d, err, w = _ks_w(ref, cur)
        if ref.sorted_values is not None and cur.sorted_values is not None and ref.n * cur.n <= EXACT_MAX_PRODUCT:
            p = ks_2samp(ref.sorted_values, cur.sorted_values)[1]
        else:
            sketched = ref.sorted_values is None or cur.sorted_values is None
            p = ks_pvalue(max(d - err, 0.0), ref.n, cur.n, limit=sketched)
        if m.name == "ks":
            return d, p
        return w / reference_scale(ref.std, ref.mean), p
    r, c = bin_counts(ref, cur)
    test = chi2_homogeneity(r, c)
    if m.name == "psi":
        return psi(r, c), test.pvalue
    if m.name == "js":
        return jensen_shannon(r, c), test.pvalue
    return test.cramers_v, test.pvalue


def _ks_w(ref: NumericDist, cur: NumericDist) -> tuple[float, float, float]:
    """KS D, the error a sketch may add to D (so the p-value stays honest), and W1."""
    if ref.sorted_values is not None and cur.sorted_values is not None:
        d, w = ks_and_wasserstein(ref.sorted_values, cur.sorted_values)
        return d, 0.0, w
    grid = np.asarray(QUANTILE_GRID)
    rq, cq = ref.quantiles(grid), cur.quantiles(grid)
    pts = np.unique(np.concatenate([rq, cq]))
    d = ks_from_cdfs(ref.cdf(pts), cur.cdf(pts))
    return d, ref.rank_error + cur.rank_error, wasserstein_from_quantiles(rq, cq)


def bin_counts(ref: Dist, cur: Dist) -> tuple[np.ndarray, np.ndarray]:
    """Counts of both sides over the same bins, the last bin being the missing values.

    Numeric: equal-frequency bins of the reference. Categorical: every value either side
    has, plus what a sketch no longer tracks ("other").
    """
    if isinstance(ref, NumericDist) and isinstance(cur, NumericDist):
        if ref.n == 0:
            edges = np.asarray([], dtype=np.float64)
        else:
            edges = np.unique(ref.quantiles(np.arange(1, NUMERIC_BINS) / NUMERIC_BINS))
        return _numeric_counts(ref, edges), _numeric_counts(cur, edges)
    ref, cur = cast(CategoricalDist, ref), cast(CategoricalDist, cur)
    keys = sorted(set(ref.counts) | set(cur.counts))
    r = [ref.counts.get(k, 0) for k in keys] + [ref.other, ref.missing]
    c = [cur.counts.get(k, 0) for k in keys] + [cur.other, cur.missing]
    return np.asarray(r, dtype=np.float64), np.asarray(c, dtype=np.float64)


def _numeric_counts(d: NumericDist, edges: np.ndarray) -> np.ndarray:
    if d.n == 0:
        inner = np.zeros(edges.size + 1)
    else:
        cum = np.concatenate([[0.0], d.cdf(edges), [1.0]])
        inner = np.diff(cum) * d.n
    return np.append(np.clip(inner, 0, None), d.missing)


def _missing_shift(ref: Dist, cur: Dist) -> tuple[float, float]:
    delta = abs(cur.missing_share - ref.missing_share)
    if delta == 0:
        return 0.0, 1.0
    test = chi2_homogeneity([ref.missing, ref.n], [cur.missing, cur.n])
    return float(delta), test.pvalue


def _rank(s: Severity | None) -> int:
    return {None: 0, "warning": 1, "critical": 2}[s]


def _message(feature: str, m: Method, value: float, p: float | None, warn: float, crit: float, sev: Severity | None,
             ref: Dist, cur: Dist) -> str:
    if value != value:  # nan: no non-missing values on one side
        return (f"{feature}: no non-missing values to compare ({ref.n} in the reference, {cur.n} current); "
                f"only the missing share was checked")
    ptxt = f", p={p:.2g}" if p is not None else ""
    head = f"{feature}: {m.description} {value:.3g}{ptxt} (warning at {warn:g}, critical at {crit:g})"
    if isinstance(ref, NumericDist) and isinstance(cur, NumericDist) and ref.n and cur.n:
        q = np.asarray([0.5])
        head += (f"; mean {ref.mean:.4g} -> {cur.mean:.4g}, sd {ref.std:.4g} -> {cur.std:.4g}, "
                 f"median {ref.quantiles(q)[0]:.4g} -> {cur.quantiles(q)[0]:.4g}")
    elif isinstance(ref, CategoricalDist) and isinstance(cur, CategoricalDist):
        head += _top_moves(ref, cur)
    if sev is None:
        return head
    return head + "; check what changed upstream, and refresh the reference only if the change is intended"


def _top_moves(ref: CategoricalDist, cur: CategoricalDist) -> str:
    if not ref.n or not cur.n:
        return ""
    keys = set(ref.counts) | set(cur.counts)
    moves = sorted(((cur.counts.get(k, 0) / cur.n - ref.counts.get(k, 0) / ref.n, k) for k in keys), key=lambda t: -abs(t[0]))[:3]
    parts = [f"{k!s} {ref.counts.get(k, 0) / ref.n:.1%} -> {cur.counts.get(k, 0) / cur.n:.1%}" for _, k in moves]
    return "; largest moves: " + ", ".join(parts) if parts else ""
