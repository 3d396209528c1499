"""``segment``: a rare category or value band whose share grew many times over
(DESIGN.md failure 16: edge cases becoming the majority).

Rare means under 5% of the reference. Categories of every category field (and the
records' ``segment`` label) are checked; numeric fields marked ``segment: true`` are cut
into bands at the reference's 5th and 95th percentiles, whose outer bands hold 5% each.

Defaults, and why: critical when a rare segment grew at least 5x and now holds 10% of
rows or more: the model then serves, at scale, a population it saw little of. Warning at
3x and 2%. Both need z >= 4, so small windows do not flap.
"""

from __future__ import annotations

from telltale.checks._common import fmt, input_column, pct, z_excess
from telltale.profile import SEGMENT, ColumnProfile, Profile
from telltale.spec.model import ServiceSpec
from telltale.types import Finding, Severity, Window

RARE = 0.05
CRITICAL_GROWTH, CRITICAL_SHARE = 5.0, 0.10
WARNING_GROWTH, WARNING_SHARE = 3.0, 0.02
MIN_Z = 4.0


def check(spec: ServiceSpec, current: Profile, reference: Profile | None, window: Window | None) -> list[Finding]:
    if reference is None or reference.n == 0 or current.n == 0:
        return []
    out: list[Finding] = []
    names = [n for n, f in spec.inputs.items() if f.type == "category" or (f.segment and f.type in ("category", "string", "bool"))]
    if SEGMENT in current.fields:
        names.append(SEGMENT)
    for name in names:
        col, ref = input_column(current, name), input_column(reference, name)
        if col is None or ref is None or col.categorical is None or ref.categorical is None:
            continue
        best = _worst_category(col, ref)
        if best is not None:
            out.append(_finding(name, *best, col.categorical.count, window))
    for name, f in spec.inputs.items():
        if f.segment and f.type in ("float", "int"):
            col, ref = input_column(current, name), input_column(reference, name)
            if col is not None and ref is not None and col.numeric is not None and ref.numeric is not None and col.numeric.count and ref.numeric.count:
                hit = _worst_band(col, ref)
                if hit is not None:
                    out.append(_finding(name, *hit, col.numeric.count, window))
    return out


def _worst_category(col: ColumnProfile, ref: ColumnProfile) -> tuple[str, float, float, Severity] | None:
    cur, base = col.categorical.shares(), ref.categorical.shares()  # type: ignore[union-attr]
    n, n_ref = col.categorical.count, ref.categorical.count  # type: ignore[union-attr]
    worst: tuple[str, float, float, Severity] | None = None
    for value, c in cur.items():
        r = base.get(value, 0.0)
        if not 0 < r < RARE:
            continue
        grade = _grade(c, r, n, n_ref)
        if grade and (worst is None or c / r > worst[2] / worst[1]):
            worst = (repr(value), r, c, grade)
    return worst


def _worst_band(col: ColumnProfile, ref: ColumnProfile) -> tuple[str, float, float, Severity] | None:
    lo_edge, hi_edge = ref.numeric.quantile(RARE), ref.numeric.quantile(1 - RARE)  # type: ignore[union-attr]
    if not lo_edge < hi_edge:
        return None
    c_lo, c_hi = col.numeric.cdf([lo_edge, hi_edge]).tolist()  # type: ignore[union-attr]
    r_lo, r_hi = ref.numeric.cdf([lo_edge, hi_edge]).tolist()  # type: ignore[union-attr]
    bands = [(f"values below {fmt(lo_edge)}", r_lo, c_lo), (f"values above {fmt(hi_edge)}", 1 - r_hi, 1 - c_hi)]
    n, n_ref = col.numeric.count, ref.numeric.count  # type: ignore[union-attr]
    hits = [(*b, g) for b in bands if 0 < b[1] < 2 * RARE and (g := _grade(b[2], b[1], n, n_ref))]
    return max(hits, key=lambda b: b[2] / b[1]) if hits else None


def _grade(c: float, r: float, n: int, n_ref: int) -> Severity | None:
    """The severity a rare segment's growth from share ``r`` to ``c`` earns, if any."""
    if z_excess(c, n, r, n_ref) < MIN_Z:
        return None
    if c / r >= CRITICAL_GROWTH and c >= CRITICAL_SHARE:
        return "critical"
    if c / r >= WARNING_GROWTH and c >= WARNING_SHARE:
        return "warning"
    return None


def _finding(name: str, segment: str, r: float, c: float, severity: Severity, n: int, window: Window | None) -> Finding:
    label = "segment" if name == SEGMENT else name
    return Finding(
        kind="segment", feature=name, severity=severity, statistic="segment_growth", value=c / r,
        threshold=CRITICAL_GROWTH if severity == "critical" else WARNING_GROWTH, window=window,
        message=f"{label} {segment} grew {c / r:.1f}x: {pct(c)} of {n} rows against {pct(r)} in the reference; "
                f"check that the model was validated on this segment, or route it to a fallback",
    )
