"""``freshness``: timestamp inputs older than the spec allows (DESIGN.md failure 4).

A field of type ``timestamp`` with ``max_staleness_s`` is stale when its value is older
than that at the time of the decision. A window's profile keeps the field's values, not
each record's decision time, so the check takes the window's start as the decision
time: a value older than ``max_staleness_s`` before the window began is stale for every
decision in it. That errs towards silence (a value may be stale by up to a window more
than reported), never towards a false alarm.

- critical when at least 5% of the window's values (and at least 10) are stale: a
  delayed join that hits one decision in twenty is already changing outcomes;
- warning from 1% (and at least 3).

Without a window (a batch report) there is no decision time, and nothing is checked.
"""

from __future__ import annotations

from telltale.checks._common import fmt, input_column, pct
from telltale.profile import Profile
from telltale.spec.model import ServiceSpec
from telltale.types import Finding, Window

CRITICAL_SHARE = 0.05
WARNING_SHARE = 0.01


def check(spec: ServiceSpec, current: Profile, reference: Profile | None, window: Window | None) -> list[Finding]:
    if window is None:
        return []
    out: list[Finding] = []
    for name, field in spec.inputs.items():
        if field.type != "timestamp" or field.max_staleness_s is None:
            continue
        col = input_column(current, name)
        num = col.numeric if col is not None else None
        if num is None or num.count == 0:
            continue
        cutoff = window.start.timestamp() - field.max_staleness_s
        share = float(num.cdf([cutoff])[0])  # share of values at or before the cutoff
        stale = round(share * num.count)
        if share >= CRITICAL_SHARE and stale >= 10:
            severity, threshold = "critical", CRITICAL_SHARE
        elif share >= WARNING_SHARE and stale >= 3:
            severity, threshold = "warning", WARNING_SHARE
        else:
            continue
        lag = window.start.timestamp() - num.quantile(0.5)
        out.append(Finding(
            kind="freshness", feature=name, severity=severity, statistic="stale_share", value=share, threshold=threshold,
            window=window,
            message=f"{name} is older than its {fmt(field.max_staleness_s)} s limit in {pct(share)} of {num.count} values "
                    f"(median age {fmt(lag)} s at the window's start): check the upstream feed or join that sets it",
        ))
    return out
