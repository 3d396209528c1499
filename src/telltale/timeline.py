"""A service's incident timeline: findings, alerts, deliveries, mode and version changes in one order.

Each kind of event comes from one small source function ``(store, project, service,
since, until) -> list[Event]`` listed in ``SOURCES``; adding a kind is one function and
one line there. Events at the same instant are ordered cause first: a version change,
then a mode change, then a finding, the alert it raised, and its delivery.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from telltale.store import Store

EventKind = Literal["version", "mode", "finding", "alert", "delivery"]

#: Ties at one instant are shown in this order: causes before their effects.
KIND_ORDER: dict[str, int] = {"version": 0, "mode": 1, "finding": 2, "alert": 3, "delivery": 4}

#: The most events one request returns (the newest ones, oldest first).
MAX_EVENTS = 5000


@dataclass(frozen=True, slots=True)
class Event:
    """One line of the timeline: when, what kind, how bad, what happened, and what it names."""

    at: float
    kind: EventKind
    summary: str
    severity: str | None = None
    ref: str | None = None  # the fingerprint, finding id or outbox id it is about

    def to_dict(self) -> dict[str, Any]:
        return {"at": self.at, "time": datetime.fromtimestamp(self.at, timezone.utc).isoformat().replace("+00:00", "Z"),
                "kind": self.kind, "severity": self.severity, "summary": self.summary, "ref": self.ref}


Source = Callable[["Store", str, str, float, float], list[Event]]


def alert_events(store: Store, project: str, service: str, since: float, until: float) -> list[Event]:
    """Each alert firing, changing severity, or resolving."""
    return [Event(at, "alert", f"{title} ({state})", severity, fp)
            for at, fp, state, severity, title in store.alert_history(project, service, since, until)]


def delivery_events(store: Store, project: str, service: str, since: float, until: float) -> list[Event]:
    """Each delivery attempt to a receiver, with its outcome."""
    out = []
    for d in store.alert_deliveries(project, service, since, until, MAX_EVENTS):
        how = f"HTTP {d.http_status}" if d.http_status else (d.error or "")
        detail = f": {how}" if how and d.status != "ok" else ""
        out.append(Event(d.at, "delivery", f"to {d.receiver} about {d.group_key}: {d.status} (attempt {d.attempt}){detail}",
                         None, str(d.outbox_id)))
    return out


def mode_events(store: Store, project: str, service: str, since: float, until: float) -> list[Event]:
    """Each change of the control mode, from the append-only audit log: who and why."""
    out = []
    for e in store.control_audit(project, service, since=since, limit=MAX_EVENTS):
        if e.at < until:
            why = f": {e.reason}" if e.reason else ""
            out.append(Event(e.at, "mode", f"mode {e.mode_from} -> {e.mode_to} by {e.actor}{why}"))
    return out


def finding_events(store: Store, project: str, service: str, since: float, until: float) -> list[Event]:
    """Each stored finding opening and, once it ended, resolving."""
    out = []
    for f in store.findings(project, service, state="all", since=since, until=until):
        what = f"{f.kind}" + (f" {f.feature}" if f.feature else "")
        cause = f" (a consequence of {f.cause})" if f.cause else ""
        if since <= f.opened < until:
            change = f"; {f.change}" if f.change else ""
            out.append(Event(f.opened, "finding", f"{what} opened{cause}: {f.latest.message}{change}", f.severity, f.id))
        if f.resolved is not None and since <= f.resolved < until:
            out.append(Event(f.resolved, "finding", f"{what} resolved{cause}", f.severity, f.id))
    return out


def version_events(store: Store, project: str, service: str, since: float, until: float) -> list[Event]:
    """Each model or component version change the change log holds."""
    return [Event(c.first_seen, "version", c.describe(), None, c.component) for c in store.changes(project, service, since, until)]


#: Where each kind of event comes from.
SOURCES: dict[str, Source] = {
    "version": version_events,
    "finding": finding_events,
    "mode": mode_events,
    "alert": alert_events,
    "delivery": delivery_events,
}


def timeline(store: Store, project: str, service: str, since: float, until: float, *,
             kinds: Iterable[str] | None = None, limit: int = 1000) -> list[Event]:
    """The newest ``limit`` events of [since, until), oldest first; only ``kinds`` when given."""
    wanted = list(SOURCES) if kinds is None else list(kinds)
    unknown = [k for k in wanted if k not in SOURCES]
    if unknown:
        raise ValueError(f"kind {unknown[0]!r} is not a timeline source; use one of {', '.join(SOURCES)}")
    if not 0 < limit <= MAX_EVENTS:
        raise ValueError(f"limit must be between 1 and {MAX_EVENTS}, got {limit}")
    events = [e for k in wanted for e in SOURCES[k](store, project, service, since, until)]
    events.sort(key=lambda e: (e.at, KIND_ORDER[e.kind]))
    return events[-limit:]
