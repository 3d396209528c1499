"""A canary against the primary in the same window (DESIGN.md failures 6, 8, 10).

Minute profiles are kept per model version, so a window's canary (the version whose
decisions are mostly ``source: canary``) can be set beside the primary (the version the
model served most often otherwise). Three comparisons, each a finding whose feature is
``canary:<version>`` so it never merges with the service's own findings:

- ``errors``: the canary's share of calls lost to a model error or a timeout is above
  the primary's by at least 2 points with a two-proportion z of 4 (critical from 5
  points and 10 failed calls). A canary failing one call in fifty more than the primary
  is a rollout to stop;
- ``latency``: the canary's p95 is at least 1.5 times the primary's and at least 20 ms
  slower, both with 30 timed calls (a p95 from fewer is mostly noise); critical at twice;
- ``prediction_drift``: the canary's outputs against the primary's, by the same drift
  test and thresholds the service's prediction drift uses.
"""

from __future__ import annotations

from collections.abc import Mapping

from telltale.checks._common import fmt, pct, z_excess
from telltale.profile import PREDICTION, Profile
from telltale.profile.profile import LATENCY
from telltale.spec import ServiceSpec
from telltale.types import Finding, Severity, Window

ERROR_GUARDS = frozenset({"model_error", "deadline"})
ERROR_RISE, ERROR_CRITICAL_RISE, ERROR_CRITICAL_COUNT, MIN_Z = 0.02, 0.05, 10, 4.0
LATENCY_RATIO, LATENCY_CRITICAL_RATIO, LATENCY_MIN_MS, MIN_TIMED = 1.5, 2.0, 20.0, 30


def canary_findings(spec: ServiceSpec, versions: Mapping[str, Profile], window: Window | None) -> list[Finding]:
    """Findings of each canary version in ``versions`` (profiles of one window) against the primary."""
    canaries = sorted(v for v, p in versions.items() if p.n and p.sources.get("canary", 0) * 2 >= p.n)
    others = [v for v in sorted(versions) if v not in canaries and versions[v].sources.get("model", 0)]
    if not canaries or not others:
        return []
    primary_v = max(others, key=lambda v: versions[v].sources.get("model", 0))
    primary = versions[primary_v]
    out: list[Finding] = []
    for v in canaries:
        label = f"canary:{v}"
        for f in (_errors(label, v, primary_v, versions[v], primary, window), _latency(label, v, primary_v, versions[v], primary, window)):
            if f is not None:
                out.append(f)
        out.extend(_outputs(spec, label, v, primary_v, versions[v], primary, window))
    return out


def _errors(label: str, v: str, pv: str, canary: Profile, primary: Profile, window: Window | None) -> Finding | None:
    k = sum(canary.guards.get(g, 0) for g in ERROR_GUARDS)
    k0 = sum(primary.guards.get(g, 0) for g in ERROR_GUARDS)
    rate, base = k / canary.n, k0 / primary.n
    if rate - base < ERROR_RISE or z_excess(rate, canary.n, base, primary.n) < MIN_Z:
        return None
    severity: Severity = "critical" if rate - base >= ERROR_CRITICAL_RISE and k >= ERROR_CRITICAL_COUNT else "warning"
    return Finding("errors", label, severity, "canary_error_rate", rate, base + ERROR_RISE, window,
                   f"canary {v} lost {k} of {canary.n} calls ({pct(rate)}) to model errors or timeouts, against {pct(base)} "
                   f"of {primary.n} for the primary {pv} in the same window: stop the rollout and read the canary's errors")


def _latency(label: str, v: str, pv: str, canary: Profile, primary: Profile, window: Window | None) -> Finding | None:
    a, b = canary.fields.get(LATENCY), primary.fields.get(LATENCY)
    if a is None or b is None or a.numeric is None or b.numeric is None or min(a.numeric.count, b.numeric.count) < MIN_TIMED:
        return None
    p, p0 = a.numeric.quantile(0.95), b.numeric.quantile(0.95)
    if p < LATENCY_RATIO * p0 or p - p0 < LATENCY_MIN_MS:
        return None
    severity: Severity = "critical" if p >= LATENCY_CRITICAL_RATIO * p0 else "warning"
    return Finding("latency", label, severity, "canary_p95_ratio", p / p0 if p0 > 0 else None, LATENCY_RATIO, window,
                   f"canary {v} answers in {fmt(p)} ms at p95, against {fmt(p0)} ms for the primary {pv} in the same window "
                   f"({fmt(p / p0) if p0 > 0 else 'inf'}x): find the slow stage in the canary's records before widening the rollout")


def _outputs(spec: ServiceSpec, label: str, v: str, pv: str, canary: Profile, primary: Profile, window: Window | None) -> list[Finding]:
    from telltale.drift.feature import compare
    from telltale.drift.profiles import column_profile_dist

    a, b = canary.fields.get(PREDICTION), primary.fields.get(PREDICTION)
    if a is None or b is None:
        return []
    numeric = spec.output.type in ("float", "int") and a.kind == "numeric" and b.kind == "numeric"
    r = compare(label, column_profile_dist(b, numeric), column_profile_dist(a, numeric), kind="prediction_drift")
    f = r.to_finding(window)
    if f is None:
        return []
    return [Finding(f.kind, f.feature, f.severity, f.statistic, f.value, f.threshold, f.window,
                    f"canary {v} against the primary {pv}: {r.message}")]
