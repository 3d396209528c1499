"""``fallback``: the share of decisions the model did not serve, against the service's SLO.

A fallback rate is the guard's containment showing: each fallback is a decision that a
breaker, a deadline, a contract or an output gate took away from the model. The SLO
with ``metric: fallback_rate`` sets the limit; without one, 5%, the rate at which most
teams would rather know than not.

- critical above the limit once at least 10 decisions fell back, so one slow call in a
  quiet minute is not an incident;
- warning above the limit with fewer.
"""

from __future__ import annotations

from telltale.checks._common import pct
from telltale.profile import Profile
from telltale.spec.model import ServiceSpec
from telltale.types import Finding, Severity, Window

DEFAULT_MAX = 0.05
MIN_CRITICAL = 10
SERVED_BY_MODEL = frozenset({"model", "canary"})
NOT_SERVED = frozenset({"shadow"})  # recorded for comparison, never served


def check(spec: ServiceSpec, current: Profile, reference: Profile | None, window: Window | None) -> list[Finding]:
    served = {s: n for s, n in current.sources.items() if s not in NOT_SERVED and n > 0}
    total = sum(served.values())
    fell_back = {s: n for s, n in served.items() if s not in SERVED_BY_MODEL}
    n_back = sum(fell_back.values())
    if total == 0 or n_back == 0:
        return []
    limit, source = _limit(spec)
    share = n_back / total
    if share <= limit:
        return []
    severity: Severity = "critical" if n_back >= MIN_CRITICAL else "warning"
    steps = ", ".join(f"{s} {n}" for s, n in sorted(fell_back.items(), key=lambda kv: -kv[1]))
    return [Finding(
        kind="fallback", feature=None, severity=severity, statistic="fallback_rate", value=share, threshold=limit,
        window=window,
        message=f"{pct(share)} of {total} decisions were served by a fallback ({steps}), above {source} of {pct(limit)}: "
                "read the reasons on these records to see which guard took them from the model",
    )]


def _limit(spec: ServiceSpec) -> tuple[float, str]:
    for slo in spec.slos:
        if slo.metric == "fallback_rate" and slo.max is not None:
            return slo.max, f"the SLO {slo.name!r}"
    return DEFAULT_MAX, "the default limit"
