"""Checks over profiles (data quality, the guard's fallback rate, latency, errors, cost): one module per finding kind, one entry point.

``run_checks(spec, current, reference, window, baseline=...)`` runs every check on a
window's profile: the data-quality ones against the reference profile (training data)
when there is one, the ones about what happens after the model answers (guard triggers,
latency, errors, cost) against the ``baseline`` (recent traffic), and, with a
reference, the drift detectors of :mod:`telltale.drift`. Checks read profiles only,
never raw rows, so the server can run them per window at a cost independent of traffic.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from telltale.checks import (
    categories,
    cost,
    duplicates,
    errors,
    fallback,
    freshness,
    guards,
    latency,
    nulls,
    ranges,
    schema,
    segments,
    types,
    units,
)
from telltale.profile import Profile
from telltale.spec.model import ServiceSpec
from telltale.types import Finding, Window

log = logging.getLogger(__name__)

Check = Callable[[ServiceSpec, Profile, "Profile | None", "Window | None"], list[Finding]]

#: Every data-quality check, in the order findings are listed.
CHECKS: dict[str, Check] = {
    "schema": schema.check,
    "type": types.check,
    "unit": units.check,
    "nulls": nulls.check,
    "range": ranges.check,
    "category": categories.check,
    "duplicates": duplicates.check,
    "segment": segments.check,
    "freshness": freshness.check,
    "fallback": fallback.check,
}

#: Checks of traffic against traffic: (spec, current, baseline, window), the baseline
#: being the hour before the window (None or empty when there is none).
BASELINE_CHECKS: dict[str, Check] = {
    "guard": guards.check,
    "latency": latency.check,
    "errors": errors.check,
    "cost": cost.check,
}

_SEVERITY = {"critical": 0, "warning": 1}


def run_checks(spec: ServiceSpec, current: Profile, reference: Profile | None = None, window: Window | None = None,
               *, baseline: Profile | None = None) -> list[Finding]:
    """Every finding for ``current``, critical ones first, in check order within a severity.

    ``baseline`` is recent traffic (the monitor passes the hour before the window): what
    guard trigger rates, latency, error rates and cost are compared with. The reference
    is training data and has no decisions.
    """
    findings: list[Finding] = []
    for check in CHECKS.values():
        findings.extend(check(spec, current, reference, window))
    for check in BASELINE_CHECKS.values():
        findings.extend(check(spec, current, baseline, window))
    if reference is not None and reference.n > 0 and current.n > 0:
        findings.extend(_drift(spec, current, reference, window))
    return sorted(findings, key=lambda f: _SEVERITY[f.severity])


def _drift(spec: ServiceSpec, current: Profile, reference: Profile, window: Window | None) -> list[Finding]:
    try:
        from telltale.drift import drift_findings
    except ImportError as e:  # the drift package is optional until it lands
        log.warning("drift checks unavailable: %s", e)
        return []
    return list(drift_findings(spec, current, reference, window))


__all__ = ["BASELINE_CHECKS", "CHECKS", "run_checks"]
