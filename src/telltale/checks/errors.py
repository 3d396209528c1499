"""``errors``: model calls that raised or missed their deadline, against a limit and the hour before.

Each decision names the guard that took it from the model; ``model_error`` (the model
raised, after any retries) and ``deadline`` (it timed out, or the stages before it spent
the budget) are the errors counted here. The error rate is their share of the decisions
served (shadow calls excluded).

- **limit**: the SLO with ``metric: error_rate`` (and ``timeout_rate`` for deadlines
  alone), else ``DEFAULT_MAX`` (1%, an availability of 99%, the usual first objective
  for a dependency). Critical above it with at least ``MIN_CRITICAL`` errors, warning
  with at least ``MIN_ERRORS``; both need the rate to sit ``MIN_Z`` standard errors
  above the limit, so one error in a quiet window is not an incident.
- **baseline** (the hour before): warning when the rate rose by at least
  ``MIN_RISE`` (2 points), at least doubled, with ``MIN_Z`` against the old rate, while
  still under the limit (a rise the limit does not yet see).
"""

from __future__ import annotations

from telltale.checks._common import pct, z_excess
from telltale.profile import Profile
from telltale.spec.model import ServiceSpec
from telltale.types import Finding, Severity, Window

ERROR_GUARDS = ("model_error", "deadline")
DEFAULT_MAX = 0.01
MIN_ERRORS = 5
MIN_CRITICAL = 10
MIN_RISE = 0.02
MIN_Z = 3.0
NOT_SERVED = "shadow"


def check(spec: ServiceSpec, current: Profile, baseline: Profile | None, window: Window | None) -> list[Finding]:
    n = served(current)
    if n == 0:
        return []
    counts = {g: current.guards.get(g, 0) for g in ERROR_GUARDS}
    out: list[Finding] = []
    limit, source = _limit(spec, "error_rate", DEFAULT_MAX)
    total = sum(counts.values())
    f = _against_limit(None, "error_rate", total, n, limit, source, counts, window)
    if f is None and baseline is not None:
        f = _against_baseline(total, n, baseline, counts, window)
    if f is not None:
        out.append(f)
    timeout_limit = _slo(spec, "timeout_rate")
    if timeout_limit is not None:
        f = _against_limit("deadline", "timeout_rate", counts["deadline"], n, timeout_limit[0], timeout_limit[1],
                           {"deadline": counts["deadline"]}, window)
        if f is not None:
            out.append(f)
    return out


def served(p: Profile) -> int:
    """Decisions served to callers (shadow calls are recorded for comparison, never served)."""
    return p.n - p.sources.get(NOT_SERVED, 0)


def _slo(spec: ServiceSpec, metric: str) -> tuple[float, str] | None:
    for slo in spec.slos:
        if slo.metric == metric and slo.max is not None:
            return slo.max, f"the SLO {slo.name!r}"
    return None


def _limit(spec: ServiceSpec, metric: str, default: float) -> tuple[float, str]:
    return _slo(spec, metric) or (default, "the default limit")


def _causes(counts: dict[str, int]) -> str:
    names = {"model_error": "raised", "deadline": "timed out"}
    return ", ".join(f"{k} {names[g]}" for g, k in counts.items() if k)


def _against_limit(feature: str | None, statistic: str, k: int, n: int, limit: float, source: str,
                   counts: dict[str, int], window: Window | None) -> Finding | None:
    rate = k / n
    if rate <= limit or k < MIN_ERRORS or z_excess(rate, n, limit) < MIN_Z:
        return None
    severity: Severity = "critical" if k >= MIN_CRITICAL else "warning"
    return Finding(
        kind="errors", feature=feature, severity=severity, statistic=statistic, value=rate, threshold=limit, window=window,
        message=f"{k} of {n} model calls failed ({pct(rate)}: {_causes(counts)}), above {source} of {pct(limit)}: "
                "read the reasons on these records; a dependency of the model is failing or slow",
    )


def _against_baseline(k: int, n: int, baseline: Profile, counts: dict[str, int], window: Window | None) -> Finding | None:
    base_n = served(baseline)
    if base_n == 0:
        return None
    base_k = sum(baseline.guards.get(g, 0) for g in ERROR_GUARDS)
    rate, base = k / n, base_k / base_n
    if k < MIN_ERRORS or rate - base < MIN_RISE or rate < 2 * base or z_excess(rate, n, base, base_n) < MIN_Z:
        return None
    return Finding(
        kind="errors", feature=None, severity="warning", statistic="error_rate", value=rate, threshold=base + MIN_RISE,
        window=window,
        message=f"{k} of {n} model calls failed ({pct(rate)}: {_causes(counts)}), against {pct(base)} of {base_n} "
                "in the hour before: the model or what it depends on is starting to fail",
    )
