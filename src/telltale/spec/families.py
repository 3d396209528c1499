"""Which signal families a spec's rules and SLOs can raise alerts for.

``telltale check`` asks this to require an owner and a route for each of them
(DESIGN.md failure 20). A rule names a finding ``kind`` (its family is
``types.KIND_FAMILY``'s), an ``indicator`` or an ``slo``; an SLO's family is its
indicator's, from the indicator table (``telltale.indicators``). Rules and SLOs are read
by attribute, so this keeps working as their models grow.
"""

from __future__ import annotations

from typing import Any

from telltale.types import FAMILIES, KIND_FAMILY


def indicator_family(name: str, stage: str | None = None) -> str | None:
    """The signal family of an indicator (``latency_p99_ms`` is platform, ``accuracy`` model,
    ``finding:drift:x`` drift); a bare finding kind maps through ``KIND_FAMILY``. None when
    nothing matches (the readiness gate refuses such a name anyway)."""
    from telltale.indicators import SEP, parse_metric  # the table's sources load numpy: only when asked

    ref = parse_metric(name, stage)
    if ref is not None:
        return ref.family
    return KIND_FAMILY.get(name.split(SEP, 1)[0])


def slo_family(slo: Any) -> str | None:
    """The signal family an SLO's alerts belong to: the family of its indicator.

    An SLO model that knows its family says so (a ``family`` attribute or property);
    otherwise :func:`indicator_family` of its ``indicator`` (or ``metric``) decides.
    """
    fam = getattr(slo, "family", None)
    if callable(fam):
        fam = fam()
    if isinstance(fam, str) and fam in FAMILIES:
        return fam
    name = str(getattr(slo, "indicator", None) or getattr(slo, "metric", "") or "")
    return indicator_family(name, getattr(slo, "stage", None)) if name else None


def families_raised(spec: Any) -> dict[str, list[tuple[Any, ...]]]:
    """Each family the spec's rules and SLOs can raise alerts for, with the spec paths raising it."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    slos = {getattr(s, "name", None): s for s in getattr(spec, "slos", ())}
    for i, rule in enumerate(getattr(spec, "rules", ())):
        family = _rule_family(getattr(rule, "when", None), slos)
        if family:
            out.setdefault(family, []).append(("rules", i))
    for i, slo in enumerate(getattr(spec, "slos", ())):
        family = slo_family(slo)
        if family:
            out.setdefault(family, []).append(("slos", i))
    return out


def _rule_family(when: Any, slos: dict[Any, Any]) -> str | None:
    """A rule's family: its finding kind's, its indicator's, or its SLO's (whichever it names)."""
    kind = getattr(when, "kind", None)
    if kind:
        return KIND_FAMILY.get(kind)
    indicator = getattr(when, "indicator", None)
    if indicator:
        return indicator_family(indicator, getattr(when, "stage", None))
    slo = slos.get(getattr(when, "slo", None))
    return slo_family(slo) if slo is not None else None
