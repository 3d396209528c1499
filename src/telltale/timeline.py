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
    """The last change of the control mode (only the current one is kept until an audit log exists)."""
    s = store.get_control(project, service)
    if s.updated_at and since <= s.updated_at < until:
        return [Event(s.updated_at, "mode", f"mode {s.mode}" + (f": {s.reason}" if s.reason else ""))]
    return []


#: Where each kind of event comes from. The findings (Store.findings), the version change
#: log (tt_changes) and the mode audit log join here as one line each when they exist.
SOURCES: dict[str, Source] = {
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
