"""``type``: values of the wrong type for the spec (strings in a number field, numbers in
a category, non-integers in an int, infinities), and whole fields retyped upstream; the
prediction is held to ``output.type`` the same way.

Defaults, and why: critical from 5% of a field's values (at least 10, and twice the
reference's share): each such value sends its record to the fallback, and a share that
size means the producer changed, not a stray row; warning from 0.1% (at least 3).
"""

from __future__ import annotations

from telltale.checks._common import fmt, input_column, pct, z_excess
from telltale.profile import PREDICTION, ColumnProfile, Profile
from telltale.spec.model import ServiceSpec
from telltale.types import Finding, Severity, Window

CRITICAL_SHARE = 0.05
WARNING_SHARE = 0.001
RETYPED_SHARE = 0.5
MIN_Z = 4.0
_NUMERIC = ("float", "int", "timestamp")


def bad_values(col: ColumnProfile) -> int:
    """Values that do not fit the declared type (infinities count for numeric fields)."""
    return col.mismatches + (col.inf if col.declared in _NUMERIC else 0)


def check(spec: ServiceSpec, current: Profile, reference: Profile | None, window: Window | None) -> list[Finding]:
    out: list[Finding] = []
    targets = [(name, field.type) for name, field in spec.inputs.items()] + [(PREDICTION, spec.output.type)]
    for name, declared in targets:
        col = input_column(current, name)
        if col is None or col.count == 0:
            continue
        bad = bad_values(col)
        if bad == 0:
            continue
        share = bad / col.count
        ref = input_column(reference, name)
        base = bad_values(ref) / ref.count if ref is not None and ref.count else 0.0
        n_ref = ref.count if ref is not None and ref.count else None
        if z_excess(share, col.count, base, n_ref) < MIN_Z or share < 2 * base:
            continue
        severity: Severity
        if share >= CRITICAL_SHARE and bad >= 10:
            severity, threshold = "critical", max(CRITICAL_SHARE, 2 * base)
        elif share >= WARNING_SHARE and bad >= 3:
            severity, threshold = "warning", max(WARNING_SHARE, 2 * base)
        else:
            continue
        what = _describe(col)
        label = "the prediction" if name == PREDICTION else name
        lead = f"{label} looks retyped upstream: {pct(share)} of its values are {what}" if share >= RETYPED_SHARE \
            else f"{label} has {pct(share)} of values that are {what}"
        out.append(Finding(
            kind="type", feature=name, severity=severity, statistic="type_mismatch_share", value=share,
            threshold=threshold, window=window,
            message=f"{lead}, not {declared} as the contract says ({bad} of {col.count}): "
                    f"fix the producer, or change the field's type in the spec and the model",
        ))
    return out


def _describe(col: ColumnProfile) -> str:
    parts = []
    if col.declared in _NUMERIC or col.declared == "bool":
        if col.categorical is not None and col.categorical.count:
            sample = ", ".join(repr(k) for k in list(col.categorical.items())[:3])
            parts.append(f"strings (e.g. {sample})")
        if col.inf:
            parts.append("infinite")
        if col.declared == "int" and col.numeric is not None and not parts:
            parts.append("non-integer numbers")
    else:
        if col.numeric is not None and col.numeric.count:
            parts.append(f"numbers (from {fmt(col.numeric.min)} to {fmt(col.numeric.max)})")
        if col.categorical is not None and col.categorical.count and not parts:
            parts.append("booleans")
    if col.mismatches and not parts:
        parts.append("of another type")
    return " or ".join(parts) or "of another type"
