"""``range``: values outside the spec's range, with sentinel values named as such.

The out-of-range counts are exact: profiles count values under and over the spec's
bounds as they are built. Defaults, and why:

- critical at 1% of values out of range (at least 10 of them), and clearly more than
  the reference had (twice its share, z >= 4): below 1 in 100 an out-of-range input is
  an edge case the guard already contains record by record (it serves the fallback);
  at 1% and above it is an upstream change.
- warning from 3 values: each is a contract violation, so a handful of odd values at
  20,000 clean rows is a warning to fix the data or widen the range, never a page.
- a minimum sitting on a classic sentinel (-1, -99, -999, 9999...) is called out in the
  message: "missing" encoded as a number is the usual cause.

Also checks the prediction against ``output.range`` (DESIGN.md failure 12).
"""

from __future__ import annotations

from telltale.checks._common import fmt, input_column, pct, z_excess
from telltale.profile import PREDICTION, ColumnProfile, Profile
from telltale.spec.model import Range, ServiceSpec
from telltale.types import Finding, Severity, Window

CRITICAL_SHARE = 0.01
WARNING_COUNT = 3
MIN_Z = 4.0
SENTINELS = frozenset({-1.0, -9.0, -99.0, -999.0, -9999.0, -99999.0, 999.0, 9999.0, 99999.0, 999999.0})


def check(spec: ServiceSpec, current: Profile, reference: Profile | None, window: Window | None) -> list[Finding]:
    out: list[Finding] = []
    targets: list[tuple[str, Range]] = [(n, f.range) for n, f in spec.inputs.items() if f.range is not None]
    if spec.output.range is not None:
        targets.append((PREDICTION, spec.output.range))
    for name, rng in targets:
        col = input_column(current, name)
        if col is None or col.numeric is None or col.numeric.count == 0:
            continue
        f = one(name, rng, col, input_column(reference, name), window)
        if f is not None:
            out.append(f)
    from telltale.checks.text import length_findings  # text fields' length limits (a cycle if imported above)

    return out + length_findings(spec, current, reference, window)


def one(name: str, rng: Range, col: ColumnProfile, ref: ColumnProfile | None, window: Window | None) -> Finding | None:
    """The range finding of one column against ``rng``, or None."""
    num = col.numeric
    if num is None:
        return None
    n = num.count
    bad = col.below + col.above
    if bad == 0:
        return None
    share = bad / n
    base = (ref.below + ref.above) / ref.numeric.count if ref is not None and ref.numeric is not None and ref.numeric.count else 0.0
    n_ref = ref.numeric.count if ref is not None and ref.numeric is not None and ref.numeric.count else None
    if z_excess(share, n, base, n_ref) < MIN_Z or share < 2 * base:
        return None
    severity: Severity
    if share >= CRITICAL_SHARE and bad >= 10:
        severity, threshold = "critical", max(CRITICAL_SHARE, 2 * base)
    elif bad >= WARNING_COUNT:
        severity, threshold = "warning", max(WARNING_COUNT / n, 2 * base)
    else:
        return None
    label = "the prediction" if name == PREDICTION else name
    where = []
    if col.below:
        where.append(f"{col.below} below the minimum {fmt(rng.min)} (lowest {fmt(num.min)})")
    if col.above:
        where.append(f"{col.above} above the maximum {fmt(rng.max)} (highest {fmt(num.max)})")
    hint = ""
    if col.below and num.min in SENTINELS:
        hint = f"; {fmt(num.min)} looks like a sentinel for a missing value: send null instead, or mark the field nullable"
    elif col.above and num.max in SENTINELS:
        hint = f"; {fmt(num.max)} looks like a sentinel for a missing value: send null instead"
    else:
        hint = "; fix the upstream values, or widen the range in the spec if they are legitimate"
    return Finding(
        kind="range", feature=name, severity=severity, statistic="out_of_range_share", value=share, threshold=threshold,
        window=window,
        message=f"{label} is out of range in {pct(share)} of {n} values: {', '.join(where)}{hint}",
    )
