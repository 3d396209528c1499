"""``nulls``: a field's null share against the reference (or against the contract).

Defaults, and why:

- critical at 5 percentage points more nulls than the reference (and at least 10 null
  rows): one prediction in twenty is then made without that input, which moves
  outcomes; fewer is noise in most feature pipelines.
- warning at 1 point more (at least 3 null rows): worth a look, not a page.
- both also need a z score of 4 over the reference share, so a window of 40 rows
  with 3 nulls is not called an incident.
- a non-nullable field with no reference is held to 0 nulls: each null is already a
  contract violation, so the same thresholds apply against a baseline of zero.
- a nullable field with no reference is skipped: the contract allows nulls and there
  is nothing to compare with.
"""

from __future__ import annotations

from telltale.checks._common import input_column, pct, z_excess
from telltale.profile import Profile
from telltale.spec.model import ServiceSpec
from telltale.types import Finding, Severity, Window

CRITICAL_EXCESS = 0.05
WARNING_EXCESS = 0.01
MIN_Z = 4.0


def check(spec: ServiceSpec, current: Profile, reference: Profile | None, window: Window | None) -> list[Finding]:
    out: list[Finding] = []
    for name, field in spec.inputs.items():
        col = input_column(current, name)
        if col is None or col.rows == 0 or col.present == 0:
            continue  # absent everywhere: a schema finding, not a null one
        share = col.null_share
        ref = input_column(reference, name)
        if ref is not None and ref.rows > 0:
            base, n_ref, against = ref.null_share, ref.rows, f"the reference's {pct(ref.null_share)}"
        elif not field.nullable:
            base, n_ref, against = 0.0, None, "0% (the contract says it is not nullable)"
        else:
            continue
        excess = share - base
        n_null = col.nulls + col.missing
        z = z_excess(share, col.rows, base, n_ref)
        if z < MIN_Z:
            continue
        severity: Severity
        if excess >= CRITICAL_EXCESS and n_null >= 10:
            severity, threshold = "critical", base + CRITICAL_EXCESS
        elif excess >= WARNING_EXCESS and n_null >= 3:
            severity, threshold = "warning", base + WARNING_EXCESS
        else:
            continue
        fix = "the guard serves the fallback for these records" if field.required and not field.nullable else "check the upstream join or feature pipeline"
        out.append(Finding(
            kind="nulls", feature=name, severity=severity, statistic="null_share", value=share, threshold=threshold,
            window=window,
            message=f"{name} is null in {pct(share)} of {col.rows} rows, against {against}: {fix}",
        ))
    return out
