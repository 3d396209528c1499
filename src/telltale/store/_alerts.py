"""Alerts in the store: their state and history, groups, the outbox, deliveries, breakers, silences.

The outbox is what makes alerting durable: a notification is a row before it is a
request, and it stays ``pending`` until a receiver took it (``sent``), refused it for
good (``rejected``, a 4xx) or it grew too old (``expired``). A sender claims a row by
moving its ``next_at`` forward in a conditional update, so two server replicas never
send the same row at once. Every attempt is a row in ``tt_alert_deliveries``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from telltale.store import _json
from telltale.store._sql import upsert
from telltale.store.schema import alert_deliveries, alert_events, alert_groups, alert_outbox, alert_receivers, alerts, silences
from telltale.types import Alert

if TYPE_CHECKING:
    from telltale.alerts.silences import Silence

#: How long a claimed outbox row is hidden from other senders (longer than any request).
CLAIM_S = 120.0


@dataclass(frozen=True, slots=True)
class LiveAlert:
    """An alert still to be notified: firing, or resolved but not yet told to every receiver."""

    project: str
    alert: Alert
    group_key: str
    fired_at: float
    updated_at: float


@dataclass(frozen=True, slots=True)
class GroupState:
    """What a receiver was last told about a group: when, and a digest of the firing alerts."""

    notified_at: float
    digest: str


GroupId = tuple[str, str, str, str]  # project, service, receiver, group key


@dataclass(frozen=True, slots=True)
class OutboxRow:
    id: int
    project: str
    service: str
    receiver: str
    group_key: str
    attempts: int
    created_at: float
    next_at: float
    payload: str


@dataclass(frozen=True, slots=True)
class Delivery:
    """One delivery attempt (or the end of one notification): receiver, status, error, time."""

    project: str
    service: str
    receiver: str
    outbox_id: int
    group_key: str
    at: float
    attempt: int
    status: str  # ok, failed, rejected, expired
    http_status: int | None = None
    error: str | None = None
    duration_ms: float | None = None

    def to_dict(self) -> dict[str, object]:
        return {"service": self.service, "receiver": self.receiver, "outbox_id": self.outbox_id, "group_key": self.group_key,
                "at": self.at, "attempt": self.attempt, "status": self.status, "http_status": self.http_status,
                "error": self.error, "duration_ms": self.duration_ms}


@dataclass(frozen=True, slots=True)
class ReceiverState:
    failures: int = 0
    open_until: float | None = None
    last_sent_at: float | None = None


# alerts ---------------------------------------------------------------------------------


def upsert_alert(conn: Connection, project: str, alert: Alert, now: float) -> bool:
    """Store ``alert`` as its fingerprint's current state; True when state or severity changed
    (then a history event is appended too)."""
    from telltale.alerts.notification import alert_to_dict

    a = alerts.c
    row = conn.execute(sa.select(a.state, a.severity, a.fired_at, a.updated_at, a.live).where(
        a.project == project, a.fingerprint == alert.fingerprint)).one_or_none()
    changed = row is None or row.state != alert.state or row.severity != alert.severity
    refired = row is None or (row.state == "resolved" and alert.state == "firing")
    values = {
        "project": project, "fingerprint": alert.fingerprint, "service": alert.service,
        "group_key": alert.incident or alert.fingerprint, "state": alert.state, "severity": alert.severity,
        "fired_at": now if refired or row is None else row.fired_at,
        "updated_at": now if changed or row is None else row.updated_at,
        "live": True if changed or row is None else bool(row.live),
        "payload": _json.dumps(alert_to_dict(alert)),
    }
    upsert(conn, alerts, ("project", "fingerprint"), values)
    if changed:
        conn.execute(alert_events.insert().values(project=project, service=alert.service, fingerprint=alert.fingerprint,
                                                  at=now, state=alert.state, severity=alert.severity, title=alert.title))
    return changed


def live_alerts(conn: Connection) -> list[LiveAlert]:
    from telltale.alerts.notification import alert_from_dict

    a = alerts.c
    q = sa.select(a.project, a.payload, a.group_key, a.fired_at, a.updated_at).where(a.live.is_(True)).order_by(a.project, a.fired_at, a.fingerprint)
    return [LiveAlert(r.project, alert_from_dict(_json.loads(r.payload)), r.group_key, r.fired_at, r.updated_at) for r in conn.execute(q)]


def retire_alerts(conn: Connection, project: str, fingerprints: list[str]) -> None:
    """Resolved alerts every receiver has heard about leave the live set."""
    if fingerprints:
        a = alerts.c
        conn.execute(alerts.update().where(a.project == project, a.fingerprint.in_(fingerprints), a.state == "resolved").values(live=False))


def list_alerts(conn: Connection, project: str, service: str, state: str | None) -> list[Alert]:
    from telltale.alerts.notification import alert_from_dict

    a = alerts.c
    q = sa.select(a.payload).where(a.project == project, a.service == service)
    if state is not None:
        q = q.where(a.state == state)
    q = q.order_by(a.updated_at.desc(), a.fingerprint)
    return [alert_from_dict(_json.loads(t)) for t in conn.execute(q).scalars()]


def alert_history(conn: Connection, project: str, service: str, since: float, until: float) -> list[tuple[float, str, str, str, str]]:
    """(at, fingerprint, state, severity, title) for each change of an alert, oldest first."""
    e = alert_events.c
    q = sa.select(e.at, e.fingerprint, e.state, e.severity, e.title).where(
        e.project == project, e.service == service, e.at >= since, e.at < until).order_by(e.at, e.id)
    return [tuple(r) for r in conn.execute(q)]


# groups ---------------------------------------------------------------------------------


def group_states(conn: Connection) -> dict[GroupId, GroupState]:
    g = alert_groups.c
    q = sa.select(g.project, g.service, g.receiver, g.group_key, g.notified_at, g.digest)
    return {(r.project, r.service, r.receiver, r.group_key): GroupState(r.notified_at, r.digest) for r in conn.execute(q)}


def put_group_state(conn: Connection, gid: GroupId, state: GroupState) -> None:
    project, service, receiver, key = gid
    upsert(conn, alert_groups, ("project", "service", "receiver", "group_key"), {
        "project": project, "service": service, "receiver": receiver, "group_key": key,
        "notified_at": state.notified_at, "digest": state.digest})


def delete_group_states(conn: Connection, gids: list[GroupId]) -> None:
    g = alert_groups.c
    for project, service, receiver, key in gids:
        conn.execute(alert_groups.delete().where(g.project == project, g.service == service, g.receiver == receiver, g.group_key == key))


# outbox ---------------------------------------------------------------------------------


def put_notification(conn: Connection, project: str, service: str, receiver: str, group_key: str, payload: str, now: float) -> int:
    """Queue a notification, or replace the snapshot of the one still pending for the same
    receiver and group (keeping its attempts and its backoff): a receiver that is down
    hears the newest state once when it is back, not every step it missed."""
    o = alert_outbox.c
    pending = conn.execute(sa.select(o.id).where(
        o.project == project, o.service == service, o.receiver == receiver, o.group_key == group_key, o.status == "pending")).scalar_one_or_none()
    if pending is not None:
        conn.execute(alert_outbox.update().where(o.id == pending).values(payload=payload, updated_at=now))
        return int(pending)
    res = conn.execute(alert_outbox.insert().values(
        project=project, service=service, receiver=receiver, group_key=group_key, status="pending", attempts=0,
        created_at=now, next_at=now, updated_at=now, last_error=None, payload=payload))
    key = res.inserted_primary_key
    assert key is not None  # an INSERT of one row
    return int(key[0])


def due_notifications(conn: Connection, now: float, limit: int) -> list[OutboxRow]:
    o = alert_outbox.c
    q = (sa.select(o.id, o.project, o.service, o.receiver, o.group_key, o.attempts, o.created_at, o.next_at, o.payload)
         .where(o.status == "pending", o.next_at <= now).order_by(o.next_at, o.id).limit(limit))
    return [OutboxRow(*r) for r in conn.execute(q)]


def claim(conn: Connection, row: OutboxRow, now: float) -> bool:
    """Take ``row`` for sending unless another sender took it first."""
    o = alert_outbox.c
    res = conn.execute(alert_outbox.update().where(o.id == row.id, o.status == "pending", o.next_at == row.next_at)
                       .values(next_at=now + CLAIM_S))
    return res.rowcount == 1


def finish(conn: Connection, row_id: int, *, status: str, attempts: int, next_at: float, error: str | None, now: float,
           sent_payload: str | None = None) -> None:
    """Move a row on after an attempt. When ``sent_payload`` is given and a newer snapshot
    replaced it while it was in flight (another replica flushed), the row stays pending
    and is due at once, so the newer state is not lost."""
    o = alert_outbox.c
    q = alert_outbox.update().where(o.id == row_id)
    if sent_payload is not None:
        q = q.where(o.payload == sent_payload)
    res = conn.execute(q.values(status=status, attempts=attempts, next_at=next_at, last_error=error, updated_at=now))
    if sent_payload is not None and res.rowcount == 0:
        conn.execute(alert_outbox.update().where(o.id == row_id).values(
            status="pending", attempts=attempts, next_at=now, last_error=error, updated_at=now))


def postpone(conn: Connection, row_id: int, next_at: float) -> None:
    o = alert_outbox.c
    conn.execute(alert_outbox.update().where(o.id == row_id).values(next_at=next_at))


def release_receiver(conn: Connection, project: str, service: str, receiver: str, now: float) -> None:
    """A receiver answered again: its waiting notifications are due now, not at their backoff."""
    o = alert_outbox.c
    conn.execute(alert_outbox.update().where(o.project == project, o.service == service, o.receiver == receiver,
                                             o.status == "pending", o.next_at > now).values(next_at=now))


def outbox_counts(conn: Connection, project: str) -> dict[str, int]:
    o = alert_outbox.c
    q = sa.select(o.status, sa.func.count()).where(o.project == project).group_by(o.status)
    return {s: int(n) for s, n in conn.execute(q)}


# deliveries and receivers ---------------------------------------------------------------


def record_delivery(conn: Connection, d: Delivery) -> None:
    conn.execute(alert_deliveries.insert().values(
        project=d.project, service=d.service, receiver=d.receiver, outbox_id=d.outbox_id, group_key=d.group_key,
        at=d.at, attempt=d.attempt, status=d.status, http_status=d.http_status, error=d.error, duration_ms=d.duration_ms))


def deliveries(conn: Connection, project: str, service: str, since: float, until: float, limit: int) -> list[Delivery]:
    d = alert_deliveries.c
    q = (sa.select(d.project, d.service, d.receiver, d.outbox_id, d.group_key, d.at, d.attempt, d.status, d.http_status, d.error, d.duration_ms)
         .where(d.project == project, d.service == service, d.at >= since, d.at < until).order_by(d.at, d.id).limit(limit))
    return [Delivery(*r) for r in conn.execute(q)]


def receiver_state(conn: Connection, project: str, service: str, receiver: str) -> ReceiverState:
    r = alert_receivers.c
    row = conn.execute(sa.select(r.failures, r.open_until, r.last_sent_at).where(
        r.project == project, r.service == service, r.receiver == receiver)).one_or_none()
    return ReceiverState() if row is None else ReceiverState(row.failures, row.open_until, row.last_sent_at)


def put_receiver_state(conn: Connection, project: str, service: str, receiver: str, s: ReceiverState) -> None:
    upsert(conn, alert_receivers, ("project", "service", "receiver"), {
        "project": project, "service": service, "receiver": receiver,
        "failures": s.failures, "open_until": s.open_until, "last_sent_at": s.last_sent_at})


# silences -------------------------------------------------------------------------------


def put_silence(conn: Connection, s: Silence) -> None:
    conn.execute(silences.insert().values(id=s.id, project=s.project, matchers=_json.dumps(s.matchers), starts_at=s.starts_at,
                                          ends_at=s.ends_at, created_by=s.created_by, comment=s.comment))


def list_silences(conn: Connection, project: str, now: float | None) -> list[Silence]:
    """Silences not yet expired at ``now`` (all of them when ``now`` is None), soonest end first."""
    from telltale.alerts.silences import Silence

    s = silences.c
    q = sa.select(s.id, s.project, s.matchers, s.starts_at, s.ends_at, s.created_by, s.comment).where(s.project == project)
    if now is not None:
        q = q.where(s.ends_at > now)
    q = q.order_by(s.ends_at, s.id)
    return [Silence(r.id, r.project, _json.loads(r.matchers), r.starts_at, r.ends_at, r.created_by, r.comment) for r in conn.execute(q)]


def expire_silence(conn: Connection, project: str, silence_id: str, now: float) -> bool:
    """End a silence now; False when there is no such silence still running."""
    s = silences.c
    res = conn.execute(silences.update().where(s.project == project, s.id == silence_id, s.ends_at > now).values(ends_at=now))
    return res.rowcount == 1
