"""``unit``: a numeric field whose scale moved by a unit factor (DESIGN.md failure 2).

Two tests, both on profiles only:

1. **Whole-window rescale** (needs a reference): the ratios of current to reference
   quantiles (10th to 90th percentile) agree with each other within 10% (a pure
   rescale multiplies every quantile alike; a drift or a spread change does not) and
   their common value matches a unit factor.
2. **Rescaled share** (reference or spec range): at least 5% of values lie beyond the
   baseline (the reference's min/max, else the spec's range) and, divided by a unit
   factor, the values out there look like the baseline again. This catches a switch
   part-way through a window and works with no reference at all.

Candidate factors come from the field's unit (the spec's ``unit``, else its name suffix,
e.g. ``_s``): every conversion within that dimension (s -> ms is x1000, days -> months is
/30.44, km -> miles is /1.609). Fields with no known unit are checked against powers of
ten and the common time factors (60, 3600, 24, 7, 30.44, 12). Small factors (< 5) need
a known unit: unitless, a 1.5x change is drift, not a unit.

Why the tolerances: a unit change is an exact multiple, so a factor must match within
3% when it is small (1.5x must never pass for km/miles' 1.609) and within 12% when it
is large (a switch to milliseconds plus a little real drift still names milliseconds).
A unit finding is critical: the model is fed numbers off by orders of magnitude.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from telltale.checks._common import NUMERIC_TYPES, fmt, input_column, pct
from telltale.checks.unit_names import NAMES, conversions, describe_factor, generic_factors, unit_from_name
from telltale.profile import ColumnProfile, Profile
from telltale.spec.model import InputField, ServiceSpec
from telltale.types import Finding, Severity, Window

QUANTILES = (0.1, 0.25, 0.5, 0.75, 0.9)
TAIL_RANKS = (0.25, 0.5, 0.75)
CONSISTENCY = 0.10  # max spread of log quantile ratios for a "pure rescale"
SMALL_TOL = 0.03  # log tolerance for factors below 5
LARGE_TOL = 0.12  # log tolerance for factors of 5 and more
MIN_SHARE = 0.05  # share of values that must look rescaled
MIN_VALUES = 20  # fewer values than this: a warning at most
TAIL_MATCH = 0.25  # rescaled tail quantiles within 25% of the reference's 10-90 spread


@dataclass(frozen=True)
class _Candidate:
    factor: float
    unit: str | None  # the unit the values now look like, when the field's unit is known
    hint: str
    group: int  # preference when several fit: 0 the field's own unit, 1 powers of ten, 2 others


def check(spec: ServiceSpec, current: Profile, reference: Profile | None, window: Window | None) -> list[Finding]:
    out: list[Finding] = []
    for name, field in spec.inputs.items():
        if field.type not in (*NUMERIC_TYPES, "timestamp"):  # epoch seconds sent as milliseconds is a unit change too
            continue
        if field.identifier:  # a running id grows by design; its scale says nothing about units
            continue
        col = input_column(current, name)
        if col is None or col.numeric is None or col.numeric.count < 3:
            continue
        f = _check_field(name, field, col, input_column(reference, name), window)
        if f is not None:
            out.append(f)
    return out


def _candidates(name: str, field: InputField) -> tuple[list[_Candidate], str | None]:
    unit = field.unit or unit_from_name(name)
    out: list[_Candidate] = []
    if unit is not None:
        out += [_Candidate(k, v, NAMES.get(v, v), 0) for v, k in conversions(unit).items()]
    known = [c.factor for c in out]
    for k, hint in generic_factors().items():
        if abs(math.log(k)) >= math.log(5) and not any(abs(math.log(k / f)) < LARGE_TOL for f in known):
            power_of_ten = abs(math.log10(k) - round(math.log10(k))) < 1e-9
            out.append(_Candidate(k, None, hint, 1 if power_of_ten else 2))
    return out, unit


def _tol(k: float) -> float:
    return SMALL_TOL if abs(math.log(k)) < math.log(5) else LARGE_TOL


def _check_field(name: str, field: InputField, col: ColumnProfile, ref: ColumnProfile | None, window: Window | None) -> Finding | None:
    cands, unit = _candidates(name, field)
    num = col.numeric
    if num is None:
        return None
    has_ref = ref is not None and ref.numeric is not None and ref.numeric.count >= 3
    if has_ref:
        hit = _whole_rescale(col, ref, cands)  # type: ignore[arg-type]
        if hit is not None:
            return _finding(name, unit, col, ref, field, hit[0], hit[1], 1.0, window)
    for upward in (True, False):
        hit2 = _rescaled_share(col, ref if has_ref else None, field, cands, upward)
        if hit2 is not None:
            return _finding(name, unit, col, ref if has_ref else None, field, hit2[0], hit2[1], hit2[2], window)
    return None


def _whole_rescale(col: ColumnProfile, ref: ColumnProfile, cands: list[_Candidate]) -> tuple[_Candidate, float] | None:
    cq = col.numeric.quantiles(QUANTILES)  # type: ignore[union-attr]
    rq = ref.numeric.quantiles(QUANTILES)  # type: ignore[union-attr]
    scale = float(np.max(np.abs(rq)))
    if not math.isfinite(scale) or scale == 0:
        return None
    usable = (np.abs(rq) > 0.05 * scale) & (np.sign(rq) == np.sign(cq)) & (cq != 0)
    if usable.sum() < min(3, len(set(rq.tolist()))):
        return None
    logs = np.log(cq[usable] / rq[usable])
    k_log = float(np.median(logs))
    if float(np.max(np.abs(logs - k_log))) > CONSISTENCY:
        return None
    k = math.exp(k_log)
    return _match(k, cands)


def _match(k: float, cands: list[_Candidate]) -> tuple[_Candidate, float] | None:
    best: tuple[tuple[int, float], _Candidate] | None = None
    for c in cands:
        d = abs(math.log(k / c.factor))
        if d <= _tol(c.factor) and (best is None or (c.group, d) < best[0]):
            best = ((c.group, d), c)
    return (best[1], k) if best is not None else None


def _rescaled_share(col: ColumnProfile, ref: ColumnProfile | None, field: InputField, cands: list[_Candidate],
                    upward: bool) -> tuple[_Candidate, float, float] | None:
    num = col.numeric
    if num is None:
        return None
    lo: float | None
    hi: float | None
    if ref is not None and ref.numeric is not None:
        lo, hi = ref.numeric.min, ref.numeric.max
    elif field.range is not None:
        lo, hi = field.range.min, field.range.max
    else:
        return None
    edge = hi if upward else lo
    if edge is None:
        return None
    if ref is None and field.range is not None:
        beyond = col.above if upward else col.below
        share = beyond / num.count
    else:
        cdf = float(num.cdf([edge])[0])
        share = 1.0 - cdf if upward else float(num.cdf([np.nextafter(edge, -np.inf)])[0])
    if share < MIN_SHARE or share * num.count < 3:
        return None
    ranks = [1.0 - share * (1.0 - t) if upward else share * t for t in TAIL_RANKS]
    tail = num.quantiles(ranks)
    if ref is not None and ref.numeric is not None:
        rq = ref.numeric.quantiles(TAIL_RANKS)
        spread = ref.numeric.quantile(0.9) - ref.numeric.quantile(0.1)
        spread = spread if spread > 0 else max(abs(float(rq[1])), 1e-12)
    best: tuple[tuple[int, float], _Candidate] | None = None
    for c in cands:
        if (c.factor > 1) != upward:
            continue
        back = tail / c.factor
        if ref is not None and ref.numeric is not None:
            dev = float(np.max(np.abs(back - rq))) / spread
            ok = dev <= TAIL_MATCH
        else:
            inside = all((lo is None or b >= lo) and (hi is None or b <= hi) for b in back)
            dev = abs(math.log(c.factor))  # within a group, the smallest factor that explains the values
            ok = inside and _far_out(tail, lo, hi, upward)
        if ok and (best is None or (c.group, dev) < best[0]):
            best = ((c.group, dev), c)
    if best is None:
        return None
    if ref is not None and ref.numeric is not None and ref.numeric.count:
        ratio = float(tail[1]) / ref.numeric.quantile(0.5)
        if math.isfinite(ratio) and ratio > 0:
            return best[1], ratio, share
    return best[1], best[1].factor, share  # against a range there is no better estimate than the factor


def _far_out(tail: np.ndarray, lo: float | None, hi: float | None, upward: bool) -> bool:
    """Against a range alone, rescaled values sit far outside it: the lower tail quartile
    at least twice the maximum (or the upper one at most half the minimum). A 1.5x or
    1.9x stretch past the edge is then never taken for a unit."""
    if upward:
        return hi is not None and hi > 0 and float(tail[0]) >= 2 * hi
    return lo is not None and lo > 0 and float(tail[-1]) <= lo / 2


def _finding(name: str, unit: str | None, col: ColumnProfile, ref: ColumnProfile | None, field: InputField,
             cand: _Candidate, ratio: float, share: float, window: Window | None) -> Finding:
    num = col.numeric
    n = num.count if num is not None else 0
    affected = share * n
    severity: Severity = "critical" if affected >= MIN_VALUES and share >= MIN_SHARE else "warning"
    looks = f"looks like {cand.hint}" if cand.unit is not None else "looks like it changed unit"
    part = "" if share >= 0.95 else f" in {pct(share)} of values"
    assert num is not None  # both callers found a numeric summary
    cur_med = num.quantile(0.5) if share >= 0.95 or num is None else num.quantile(1.0 - share / 2 if cand.factor > 1 else share / 2)
    if ref is not None and ref.numeric is not None:
        base = f"the reference (median {fmt(cur_med)} vs {fmt(ref.numeric.quantile(0.5))})"
    else:
        rng = field.range
        lo = fmt(rng.min) if rng is not None and rng.min is not None else "-inf"
        hi = fmt(rng.max) if rng is not None and rng.max is not None else "inf"
        base = f"the spec's range (median {fmt(cur_med)} vs range {lo}-{hi})"
    was = f", not {NAMES.get(unit, unit)}," if cand.unit is not None and unit is not None else ""
    why = "" if cand.unit is not None else f": a factor of {describe_factor(cand.factor).rstrip('x')} ({cand.hint})"
    how = f"divide by {describe_factor(cand.factor).rstrip('x')}" if cand.factor > 1 else f"multiply by {describe_factor(1 / cand.factor).rstrip('x')}"
    fix = f"convert it back upstream ({how}) or version the field with its new unit"
    return Finding(
        kind="unit", feature=name, severity=severity, statistic="scale_ratio", value=ratio, threshold=cand.factor,
        window=window,
        message=f"{name} {looks}{was}{part}".rstrip(",") + f": values are ~{describe_factor(cand.factor)} {base}{why}; {fix}",
    )

