"""``latency``: the whole call or one stage past its budget, its SLO, or the hour before.

Profiles keep a KLL sketch of the total latency (``__latency_ms__``) and one per stage
(``__stage_ms__:<stage>``; the guard times the model call as stage ``model``). For the
whole call and each stage, in this order, the first that holds gives the finding:

- **SLO**: an SLO with ``metric: latency_p99_ms`` (or ``latency_p95_ms:retrieval`` for a
  stage; names in :mod:`telltale.indicators`) and a ``max``: critical when the window's
  percentile is above it;
- **budget** (``guard.budget_ms`` for the whole call, ``guard.stages.<stage>`` for a
  stage): critical when the p95 is above it (one call in twenty overruns: the deadline
  or the stage budget is cutting real traffic), warning when only the p99 is;
- **baseline** (the hour before, when the monitor passes its profile): warning when the
  p95 at least doubled, rose by at least ``MIN_RISE_MS``, and the share of calls above
  the old p95 sits ``MIN_Z`` standard errors above the 5% it was.

"The q-th percentile is above T" is read as "more than 1-q of the calls took longer than
T", counted from the sketch's CDF at T minus its stated rank error, so a sketch's error
never makes a finding on its own. Small windows do not page: a finding needs at least
``MIN_CALLS`` timed calls and ``MIN_SLOW`` of them over the line (three slow requests are
never a finding).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from telltale.checks._common import fmt, pct, z_excess
from telltale.indicators import parse_metric
from telltale.profile import LATENCY, Profile, stage_column
from telltale.profile.numeric import NumericSummary
from telltale.spec.model import ServiceSpec
from telltale.types import Finding, Severity, Window

MIN_CALLS = 20
MIN_SLOW = 5
BUDGET_QUANTILES: tuple[tuple[float, Severity], ...] = ((0.95, "critical"), (0.99, "warning"))
BASELINE_QUANTILE = 0.95
BASELINE_RATIO = 2.0
MIN_RISE_MS = 10.0
MIN_Z = 4.0


@dataclass(frozen=True, slots=True)
class _Series:
    """One latency series: the whole call (stage None) or one stage, and its column."""

    stage: str | None
    column: str

    @property
    def label(self) -> str:
        return "the whole call" if self.stage is None else f"stage {self.stage!r}"


def check(spec: ServiceSpec, current: Profile, baseline: Profile | None, window: Window | None) -> list[Finding]:
    out: list[Finding] = []
    for series in _series(spec, current):
        s = _summary(current, series.column)
        if s is None or s.count < MIN_CALLS:
            continue
        f = (_against_slo(spec, series, s, window) or _against_budget(spec, series, s, window)
             or _against_baseline(series, s, _summary(baseline, series.column), window))
        if f is not None:
            out.append(f)
    return out


def _series(spec: ServiceSpec, current: Profile) -> list[_Series]:
    stages = sorted(set(current.stages) | set(spec.guard.stages))
    return [_Series(None, LATENCY)] + [_Series(name, stage_column(name)) for name in stages]


def _summary(profile: Profile | None, column: str) -> NumericSummary | None:
    col = profile.fields.get(column) if profile is not None else None
    return col.numeric if col is not None and col.numeric is not None and col.numeric.count else None


def over_share(s: NumericSummary, limit: float) -> tuple[float, int]:
    """(share, count) of values above ``limit``, less the sketch's stated rank error."""
    above = (1.0 - float(s.cdf([limit])[0])) * s.count
    if s.rank_error == 0.0:  # every value held: an exact count
        slow = round(above)
        return slow / s.count, slow
    share = max(0.0, above / s.count - s.rank_error)
    return share, int(math.floor(share * s.count + 1e-9))


def _passes(s: NumericSummary, q: float, limit: float) -> tuple[bool, float, int]:
    """Whether the q-th percentile is above ``limit`` beyond the sketch's error, with enough slow calls."""
    share, slow = over_share(s, limit)
    return share > 1.0 - q + 1e-12 and slow >= MIN_SLOW, share, slow


def _finding(series: _Series, severity: Severity, q: float, s: NumericSummary, limit: float, against: str,
             share: float, slow: int, window: Window | None, advice: str) -> Finding:
    p = round(q * 100)
    value = s.quantile(q)
    return Finding(
        kind="latency", feature=series.stage, severity=severity, statistic=f"latency_p{p}_ms", value=value,
        threshold=limit, window=window,
        message=f"p{p} latency of {series.label} is {fmt(value)} ms, above {against} of {fmt(limit)} ms: "
                f"{slow} of {s.count} calls ({pct(share)}) took longer; {advice}",
    )


def _against_slo(spec: ServiceSpec, series: _Series, s: NumericSummary, window: Window | None) -> Finding | None:
    for slo in spec.slos:
        ref = parse_metric(slo.indicator, slo.stage)
        if ref is None or ref.indicator.shape != "latency" or ref.stage != series.stage or slo.max is None:
            continue
        q = ref.percentile or 0.99
        ok, share, slow = _passes(s, q, slo.max)
        if ok:
            return _finding(series, "critical", q, s, slo.max, f"the SLO {slo.name!r}", share, slow, window,
                            "the error budget is burning")
    return None


def _against_budget(spec: ServiceSpec, series: _Series, s: NumericSummary, window: Window | None) -> Finding | None:
    budget = spec.guard.budget_ms if series.stage is None else spec.guard.stages.get(series.stage)
    if budget is None:
        return None
    for q, severity in BUDGET_QUANTILES:
        ok, share, slow = _passes(s, q, budget)
        if ok:
            what = "guard.budget_ms" if series.stage is None else f"guard.stages.{series.stage}"
            return _finding(series, severity, q, s, budget, f"its budget ({what})", share, slow, window,
                            "these calls are served late or by the fallback: look at what this stage waits on")
    return None


def _against_baseline(series: _Series, s: NumericSummary, base: NumericSummary | None, window: Window | None) -> Finding | None:
    if base is None or base.count < MIN_CALLS:
        return None
    q = BASELINE_QUANTILE
    old = base.quantile(q)
    new = s.quantile(q)
    if not (new >= BASELINE_RATIO * old and new - old >= MIN_RISE_MS):
        return None
    share, slow = over_share(s, old)
    share = max(0.0, share - base.rank_error)
    if slow < MIN_SLOW or z_excess(share, s.count, 1.0 - q, base.count) < MIN_Z:
        return None
    p = round(q * 100)
    return Finding(
        kind="latency", feature=series.stage, severity="warning", statistic=f"latency_p{p}_ms", value=new,
        threshold=old * BASELINE_RATIO, window=window,
        message=f"p{p} latency of {series.label} rose to {fmt(new)} ms from {fmt(old)} ms in the hour before: "
                f"{pct(share)} of {s.count} calls took longer than the old p{p}; look for what changed",
    )
