"""``category``: values outside a category field's known set, and their share.

The known set is the spec's ``categories``; a category field without one is compared
with the values its reference profile saw. Defaults, and why:

- against the spec: critical at 1% of values unseen (at least 10 rows, z >= 4 over the
  reference's unseen share): a new value at that rate is an upstream change (a new
  city launched, a renamed enum) that the model has never seen. Warning from 3 rows:
  a category that did not exist before is always worth knowing about.
- against the reference only (no spec set): critical at 5%, warning at 1%, since the
  reference's value set is a sample, not a contract, and rare values may simply not
  have been drawn.
"""

from __future__ import annotations

from telltale.checks._common import input_column, pct, z_excess
from telltale.profile import ColumnProfile, Profile
from telltale.spec.model import ServiceSpec
from telltale.types import Finding, Severity, Window

SPEC_CRITICAL = 0.01
REFERENCE_CRITICAL = 0.05
REFERENCE_WARNING = 0.01
MIN_Z = 4.0
_SHOWN = 3


def check(spec: ServiceSpec, current: Profile, reference: Profile | None, window: Window | None) -> list[Finding]:
    out: list[Finding] = []
    for name, field in spec.inputs.items():
        if field.type != "category":
            continue
        col = input_column(current, name)
        if col is None or col.categorical is None or col.categorical.count == 0:
            continue
        ref = input_column(reference, name)
        if field.categories is not None:
            f = _against_spec(name, field.categories, col, ref, window)
        elif ref is not None and ref.categorical is not None and ref.categorical.count and ref.categorical.exact:
            f = _against_reference(name, col, ref, window)  # only a fully counted reference knows every value
        else:
            f = None
        if f is not None:
            out.append(f)
    return out


def _against_spec(name: str, known: list[str], col: ColumnProfile, ref: ColumnProfile | None, window: Window | None) -> Finding | None:
    cat = col.categorical
    if cat is None or col.unseen == 0:
        return None
    share = col.unseen / cat.count
    ref_n = ref.categorical.count if ref is not None and ref.categorical is not None else 0
    base = ref.unseen / ref_n if ref is not None and ref_n else 0.0
    if z_excess(share, cat.count, base, ref_n or None) < MIN_Z:
        return None
    severity: Severity
    if share >= SPEC_CRITICAL and col.unseen >= 10 and share >= 2 * base:
        severity, threshold = "critical", max(SPEC_CRITICAL, 2 * base)
    elif col.unseen >= 3:
        severity, threshold = "warning", 3 / cat.count
    else:
        return None
    new = {k: v for k, v in cat.items().items() if k not in set(known)}
    return Finding(
        kind="category", feature=name, severity=severity, statistic="unseen_share", value=share, threshold=threshold,
        window=window,
        message=f"{name} has values outside its {len(known)} known categories in {pct(share)} of {cat.count} rows "
                f"({_top(new, cat.count)}): add them to the spec's categories if they are real, or map them upstream",
    )


def _against_reference(name: str, col: ColumnProfile, ref: ColumnProfile, window: Window | None) -> Finding | None:
    cat, rcat = col.categorical, ref.categorical
    if cat is None or rcat is None:
        return None
    seen = set(rcat.items())
    new = {k: v for k, v in cat.items().items() if k not in seen}
    if not new:
        return None
    share = sum(new.values()) / cat.count
    if z_excess(share, cat.count, 0.0, rcat.count) < MIN_Z:
        return None
    severity: Severity
    if share >= REFERENCE_CRITICAL:
        severity, threshold = "critical", REFERENCE_CRITICAL
    elif share >= REFERENCE_WARNING:
        severity, threshold = "warning", REFERENCE_WARNING
    else:
        return None
    return Finding(
        kind="category", feature=name, severity=severity, statistic="unseen_share", value=share, threshold=threshold,
        window=window,
        message=f"{name} has values the reference never saw in {pct(share)} of {cat.count} rows ({_top(new, cat.count)}): "
                f"list the field's categories in the spec, or check the upstream mapping",
    )


def _top(counts: dict[str, int], total: int) -> str:
    items = sorted(counts.items(), key=lambda kv: -kv[1])
    shown = ", ".join(f"{k!r} {pct(v / total)}" for k, v in items[:_SHOWN])
    more = f" and {len(items) - _SHOWN} more" if len(items) > _SHOWN else ""
    return shown + more
