"""``guard``: a guard that suddenly takes many more calls from the model, or stops taking any.

Each decision names the guard that took it from the model, if one did (the contract, the
breaker, the bulkhead, a deadline, an output gate...). A guard's trigger rate in a
window is compared with its rate in the hour before (DESIGN.md failure 13: guardrails
too rigid, or bypassed):

- critical when the rate rose by at least 5 points, at least doubled, and at least 10
  calls were taken: one call in twenty newly lost to one guard is an incident;
- warning when it rose by at least 1 point with at least 3 calls;
- both need a z score of 4 against the baseline, so small windows do not page;
- warning when a guard that took at least 5% of at least 20 calls in the hour before took
  none of a window's calls, where the old rate makes that all but impossible by chance
  (under 0.1%): a guard that went silent may have been loosened or bypassed.
"""

from __future__ import annotations

from telltale.checks._common import pct, z_excess
from telltale.profile import Profile
from telltale.spec.model import ServiceSpec
from telltale.types import Finding, Severity, Window

CRITICAL_RISE = 0.05
WARNING_RISE = 0.01
MIN_Z = 4.0
SILENT_BASE_RATE = 0.05
SILENT_BASE_COUNT = 20
SILENT_CHANCE = 0.001


def check(spec: ServiceSpec, current: Profile, baseline: Profile | None, window: Window | None) -> list[Finding]:
    if current.n == 0 or baseline is None or baseline.n == 0:
        return []  # a change needs a before; the fallback check covers absolute rates
    base_n, base_guards = baseline.n, baseline.guards
    out: list[Finding] = []
    for name in sorted(set(current.guards) | set(base_guards)):
        k = current.guards.get(name, 0)
        rate = k / current.n
        base_k = base_guards.get(name, 0)
        base = base_k / base_n
        against = f"{pct(base)} of {base_n} in the hour before"
        rise = rate - base
        if z_excess(rate, current.n, base, base_n) >= MIN_Z:
            severity: Severity
            if rise >= CRITICAL_RISE and rate >= 2 * base and k >= 10:
                severity, threshold = "critical", base + CRITICAL_RISE
            elif rise >= WARNING_RISE and k >= 3:
                severity, threshold = "warning", base + WARNING_RISE
            else:
                continue
            out.append(Finding(
                kind="guard", feature=name, severity=severity, statistic="trigger_rate", value=rate, threshold=threshold,
                window=window,
                message=f"guard {name!r} took {k} of {current.n} calls ({pct(rate)}) from the model, against {against}: "
                        "read the reasons on these records; if the guard is right, the cause is upstream or in the model",
            ))
        elif k == 0 and base >= SILENT_BASE_RATE and base_k >= SILENT_BASE_COUNT and (1 - base) ** current.n < SILENT_CHANCE:
            out.append(Finding(
                kind="guard", feature=name, severity="warning", statistic="trigger_rate", value=0.0, threshold=base,
                window=window,
                message=f"guard {name!r} took none of {current.n} calls, against {against}: "
                        "check that it was not loosened or bypassed",
            ))
    return out
