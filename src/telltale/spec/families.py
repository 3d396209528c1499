"""Which signal families a spec's rules and SLOs can raise alerts for.

``telltale check`` asks this to require an owner and a route for each of them
(DESIGN.md failure 20). It reads rules and SLOs by attribute, so it keeps working as
their models grow: a rule names a finding ``kind``, an ``indicator`` or an ``slo``; an
SLO's family is the family of its indicator.
"""

from __future__ import annotations

from typing import Any

from telltale.types import FAMILIES, family_of

#: Today's SLO metric names and the family of the part they measure (by prefix).
_METRIC_FAMILY: tuple[tuple[str, str], ...] = (
    ("latency", "platform"), ("error", "platform"), ("fallback", "platform"), ("abstain", "platform"),
    ("availability", "platform"), ("accuracy", "model"), ("performance", "model"), ("calibration", "model"),
    ("cost", "cost"), ("override", "trust"), ("trust", "trust"), ("review", "trust"),
)


def indicator_family(name: str, stage: str | None = None) -> str | None:
    """The signal family of an indicator (``latency_p99_ms`` is platform, ``accuracy`` model...).

    The policy's indicator table (``telltale.policy.indicators``) says when it is
    installed; else a finding kind maps through ``KIND_FAMILY`` and other names by their
    prefix. None when nothing matches.
    """
    try:
        from telltale.policy.indicators import resolve  # the table lives with the policy that computes it
    except ImportError:
        resolve = None  # type: ignore[assignment]  # without the policy package: the fallbacks below
    if resolve is not None:
        try:
            return resolve(name, stage).indicator.family
        except (ValueError, AttributeError):
            pass
    try:
        return family_of(name.split(":", 1)[0])
    except ValueError:
        pass
    for prefix, family in _METRIC_FAMILY:
        if name.startswith(prefix):
            return family
    return None


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
        try:
            return family_of(kind)
        except ValueError:
            return None
    indicator = getattr(when, "indicator", None)
    if indicator:
        return indicator_family(indicator, getattr(when, "stage", None))
    slo = slos.get(getattr(when, "slo", None))
    return slo_family(slo) if slo is not None else None
