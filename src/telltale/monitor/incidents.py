"""Stored findings as incidents: a cause with its consequences, open ones first.

An incident is a finding with no cause (or whose cause is outside the list asked for)
and the findings that name it as their cause. It is open while any of its findings is;
its severity is the worst of them. Open incidents come first (critical first, then the
most recently seen), then resolved ones (most recently resolved first), so nothing that
ended is ever listed as if it were still going on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from telltale.types import StoredFinding

_RANK = {"critical": 0, "warning": 1}


@dataclass(frozen=True, slots=True)
class Incident:
    cause: StoredFinding
    consequences: tuple[StoredFinding, ...]

    @property
    def findings(self) -> tuple[StoredFinding, ...]:
        return (self.cause, *self.consequences)

    @property
    def is_open(self) -> bool:
        return any(f.is_open for f in self.findings)

    @property
    def severity(self) -> str:
        return min((f.severity for f in self.findings), key=_RANK.__getitem__)

    @property
    def opened(self) -> float:
        return min(f.opened for f in self.findings)

    @property
    def last_seen(self) -> float:
        return max(f.last_seen for f in self.findings)

    @property
    def resolved(self) -> float | None:
        return None if self.is_open else max(f.resolved or 0.0 for f in self.findings)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.cause.id, "state": "open" if self.is_open else "resolved", "severity": self.severity,
            "opened": self.opened, "last_seen": self.last_seen, "resolved": self.resolved,
            "cause": finding_dict(self.cause), "consequences": [finding_dict(f) for f in self.consequences],
        }


def incidents(found: Sequence[StoredFinding]) -> list[Incident]:
    """Group ``found`` into incidents, open ones first (see the module docstring for the order)."""
    ids = {f.id for f in found}
    roots = [f for f in found if f.cause is None or f.cause not in ids]
    under: dict[str, list[StoredFinding]] = {}
    for f in found:
        if f.cause is not None and f.cause in ids:
            under.setdefault(_root(f, {g.id: g for g in found}), []).append(f)
    out = [Incident(r, tuple(sorted(under.get(r.id, []), key=lambda f: (_RANK[f.severity], f.opened, f.kind, f.feature or ""))))
           for r in roots]
    opened = sorted((i for i in out if i.is_open), key=lambda i: (_RANK[i.severity], -i.last_seen, i.cause.id))
    closed = sorted((i for i in out if not i.is_open), key=lambda i: (-(i.resolved or 0.0), i.cause.id))
    return opened + closed


def finding_dict(f: StoredFinding) -> dict[str, Any]:
    """A stored finding as JSON: its lifecycle, and its newest window's verdict under ``latest``."""
    return {
        "id": f.id, "fingerprint": f.fingerprint, "service": f.service, "kind": f.kind, "family": f.family,
        "feature": f.feature, "severity": f.severity, "state": "open" if f.is_open else "resolved",
        "opened": f.opened, "last_seen": f.last_seen, "resolved": f.resolved,
        "opened_at": iso(f.opened), "last_seen_at": iso(f.last_seen), "resolved_at": iso(f.resolved) if f.resolved is not None else None,
        "cause": f.cause, "change": f.change, "message": f.latest.message, "latest": f.latest.to_dict(),
    }


def iso(t: float) -> str:
    return datetime.fromtimestamp(t, timezone.utc).isoformat().replace("+00:00", "Z")


def _root(f: StoredFinding, by_id: dict[str, StoredFinding]) -> str:
    """The cause at the top of ``f``'s chain (a consequence of a consequence sits under the root)."""
    seen = {f.id}
    while f.cause is not None and f.cause in by_id and f.cause not in seen:
        seen.add(f.cause)
        f = by_id[f.cause]
    return f.id
