"""Consequences grouped under their cause, window by window (DESIGN.md, "Findings").

A unit change on a field is one problem with several faces in the same window: the
values are out of range, their distribution drifted, and, when the field is required,
the guard refused those records and served the fallback. Paging four times for it is
noise; one incident whose cause is the ``unit`` finding is the truth. The rules:

- ``range`` and ``drift`` on the unit finding's field are its consequences;
- ``fallback`` has no feature, so it is attributed by the records themselves: it is a
  consequence of the unit finding on a *required* field whose contract violations in the
  window account for at least half of the decisions that fell back (those records were
  refused at the door because of that field). With several such fields, the one with
  the most violations; with none, the fallback stands as its own incident;
- the ``contract`` guard's ``guard`` finding (the contract took those calls from the
  model) follows the same rule against the calls the contract took;
- ``prediction_drift`` follows the fallback: when the fallback is the unit's
  consequence, the served predictions moved because the fallback served them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from telltale.profile import Profile
from telltale.spec import ServiceSpec
from telltale.store._findings import fingerprint
from telltale.types import Finding

#: Share of the fallen-back (or contract-refused) decisions a field's violations must explain.
EXPLAINS = 0.5
#: The fallback steps: decisions not served by the model (shadows are never served).
_SERVED = frozenset({"model", "canary", "shadow"})


def group(service: str, spec: ServiceSpec, profile: Profile, found: Sequence[Finding]) -> dict[str, str]:
    """fingerprint -> the fingerprint of its cause, for the consequences in one window's findings."""
    units = {f.feature: fingerprint(service, f) for f in found if f.kind == "unit" and f.feature}
    if not units:
        return {}
    out: dict[str, str] = {}
    for f in found:
        if f.kind in ("range", "drift") and f.feature in units:
            out[fingerprint(service, f)] = units[f.feature]
    fell_back = sum(n for s, n in profile.sources.items() if s not in _SERVED)
    culprit = _culprit(spec, profile.violations, units, fell_back)
    refused = _culprit(spec, profile.violations, units, profile.guards.get("contract", 0))
    for f in found:
        if f.kind == "fallback" and culprit is not None:
            out[fingerprint(service, f)] = culprit
        elif f.kind == "guard" and f.feature == "contract" and refused is not None:
            out[fingerprint(service, f)] = refused
        elif f.kind == "prediction_drift" and culprit is not None and any(g.kind == "fallback" for g in found):
            out[fingerprint(service, f)] = culprit
    return out


def _culprit(spec: ServiceSpec, violations: Mapping[tuple[str, str], int], units: Mapping[str, str], decisions: int) -> str | None:
    if decisions <= 0:
        return None
    by_field = {name: sum(n for (fld, _), n in violations.items() if fld == name)
                for name in units if name in spec.inputs and spec.inputs[name].required}
    if not by_field:
        return None
    name = max(sorted(by_field), key=by_field.__getitem__)
    return units[name] if by_field[name] >= EXPLAINS * decisions else None
