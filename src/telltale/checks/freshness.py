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

Records that carry ``event_ts`` (when their input was produced upstream) are checked
too, exactly: the profile keeps each record's age at decision time (``ts - event_ts``,
column ``__event_lag_s__``), and a share of ages over the spec's
``guard.max_staleness_s`` raises a ``freshness`` finding on feature ``event_ts`` with the
same thresholds. (The guard already served the fallback for each of those calls; the
finding says the feed is late.) That check needs no window.

Without a window (a batch report) there is no decision time for timestamp inputs, and
only ``event_ts`` is checked.
"""

from __future__ import annotations

from telltale.checks._common import fmt, input_column, pct
from telltale.profile import Profile
from telltale.profile.profile import EVENT_LAG
from telltale.spec.model import ServiceSpec
from telltale.types import Finding, Severity, Window

CRITICAL_SHARE = 0.05
WARNING_SHARE = 0.01


def check(spec: ServiceSpec, current: Profile, reference: Profile | None, window: Window | None) -> list[Finding]:
    out = _event_lag(spec, current, window)
    if window is None:
        return out
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
        severity: Severity
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


def _severity(share: float, stale: int) -> tuple[Severity, float] | None:
    if share >= CRITICAL_SHARE and stale >= 10:
        return "critical", CRITICAL_SHARE
    if share >= WARNING_SHARE and stale >= 3:
        return "warning", WARNING_SHARE
    return None


def _event_lag(spec: ServiceSpec, current: Profile, window: Window | None) -> list[Finding]:
    """``event_ts`` older than ``guard.max_staleness_s`` at decision time, from each record's own age."""
    limit = spec.guard.max_staleness_s
    col = current.fields.get(EVENT_LAG)
    num = col.numeric if col is not None else None
    if limit is None or num is None or num.count == 0:
        return []
    share = 1.0 - float(num.cdf([limit])[0])  # share of ages strictly over the limit
    stale = round(share * num.count)
    verdict = _severity(share, stale)
    if verdict is None:
        return []
    severity, threshold = verdict
    return [Finding(
        kind="freshness", feature="event_ts", severity=severity, statistic="stale_share",
        value=share, threshold=threshold, window=window,
        message=f"event_ts is older than its {fmt(limit)} s limit (guard.max_staleness_s) in {pct(share)} of {num.count} "
                f"records (median age {fmt(num.quantile(0.5))} s at decision time): the upstream feed or join is late, "
                "and the guard served the fallback for each of them",
    )]
