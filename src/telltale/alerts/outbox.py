"""The durable outbox: ``enqueue`` an alert, and ``deliver_due`` on every tick.

``enqueue`` only writes the alert's state to the store, so an alert survives a restart
from the moment it is enqueued. ``deliver_due`` then (1) flushes groups: for each group
of live alerts and each receiver its family is routed to, it decides by group wait,
group interval and repeat interval whether a notification is due, leaves silenced
alerts out, and queues it (replacing a still-pending one for the same receiver and
group); and (2) sends what is due, through each receiver's breaker and throttle, with
exponential backoff between attempts, recording every attempt.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from typing import TYPE_CHECKING

from telltale.alerts import breaker
from telltale.alerts.grouping import Timing, Verdict, decide
from telltale.alerts.notification import Notification
from telltale.alerts.receivers import THROTTLE_S, MissingSecret, render
from telltale.alerts.silences import Silence, silenced
from telltale.alerts.transport import SendResult, post
from telltale.store import _alerts
from telltale.store._alerts import Delivery, GroupId, LiveAlert, OutboxRow, ReceiverState
from telltale.types import Alert

if TYPE_CHECKING:
    from telltale.spec import ServiceSpec
    from telltale.spec.alerting import Receiver
    from telltale.store import Store

#: How often the server's background loop should call ``deliver_due``: often enough that
#: a Slack backlog (one message per receiver per tick, at most one a second) drains and a
#: group is told within seconds of its group wait; a tick with nothing due is a few
#: indexed reads (bench/alerts_outbox.py).
TICK_S = 5.0

#: Notifications sent per tick at most, so one tick stays short however large the backlog.
MAX_SENDS_PER_TICK = 200


def enqueue(store: Store, project: str, alert: Alert) -> None:
    """Put ``alert`` (firing or resolved) into the durable outbox; it is sent by ``deliver_due``."""
    if not alert.fingerprint or len(alert.fingerprint) > 200:
        raise ValueError(f"alert fingerprint must be 1 to 200 characters, got {alert.fingerprint!r}")
    if alert.incident is not None and not 0 < len(alert.incident) <= 200:
        raise ValueError(f"alert incident must be 1 to 200 characters or None, got {alert.incident!r}")
    store.put_alert(project, alert)


def deliver_due(store: Store, now: float) -> int:
    """One tick: queue the notifications now due, send what can be sent; return how many were delivered."""
    flush(store, now)
    return send_due(store, now)


# (1) groups -> notifications --------------------------------------------------------------


def flush(store: Store, now: float) -> int:
    """Queue every notification due at ``now``; return how many were queued."""
    with store.alert_tx(write=False) as conn:
        live = _alerts.live_alerts(conn)
        states = _alerts.group_states(conn)
    groups: dict[tuple[str, str, str], list[LiveAlert]] = defaultdict(list)
    for la in sorted(live, key=lambda x: (x.alert.starts_at, x.fired_at, x.alert.fingerprint)):
        groups[(la.project, la.alert.service, la.group_key)].append(la)  # oldest first: the cause leads
    specs: dict[tuple[str, str], ServiceSpec | None] = {}
    mutes: dict[str, list[Silence]] = {}
    seen: set[GroupId] = set()
    done: list[GroupId] = []
    retire: dict[str, list[str]] = defaultdict(list)
    queued = 0
    for (project, service, key), members in groups.items():
        if (project, service) not in specs:
            specs[(project, service)] = store.get_service(project, service)
        spec = specs[(project, service)]
        if spec is None:
            continue  # not registered (yet): keep the alerts until it is
        if project not in mutes:
            mutes[project] = store.silences(project, now=now)
        family = members[0].alert.family  # the cause fired first; its family owns the incident
        owner = spec.owners.of(family)
        settled = True
        for name, receiver in spec.alerting.receivers_for(family):
            heard = [m for m in members if m.alert.severity in receiver.severities and not silenced(m.alert, mutes[project], now)]
            if receiver.alertmanager is not None:  # kind "alertmanager": one unit per alert
                timing = Timing(0.0, 0.0, receiver.alertmanager.resend_s)
                units = [(f"{key}#{m.alert.fingerprint}", [m]) for m in heard]
            else:
                timing = _timing(spec)
                units = [(key, heard)]
            for ukey, ualerts in units:
                gid = (project, service, name, ukey)
                seen.add(gid)
                d = decide(ualerts, states.get(gid), timing, now)
                if d.verdict is Verdict.SEND and d.state is not None:  # a SEND always carries its new state
                    n = Notification(project, service, name, ukey, family, owner, now, tuple(a.alert for a in d.alerts))
                    with store.alert_tx() as conn:
                        _alerts.put_notification(conn, project, service, name, ukey, n.to_json(), now)
                        _alerts.put_group_state(conn, gid, d.state)
                    queued += 1
                elif d.verdict is Verdict.DONE:
                    if gid in states:
                        done.append(gid)
                else:
                    settled = False
        if settled and not any(m.alert.state == "firing" for m in members):
            retire[project].extend(m.alert.fingerprint for m in members)
    processed = {k for k, v in specs.items() if v is not None}
    orphans = [g for g in states if (g[0], g[1]) in processed and g not in seen]
    with store.alert_tx() as conn:
        _alerts.delete_group_states(conn, done + orphans)
        for project, fps in retire.items():
            _alerts.retire_alerts(conn, project, fps)
    return queued


def _timing(spec: ServiceSpec) -> Timing:
    a = spec.alerting
    return Timing(a.group_wait_s, a.group_interval_s, a.repeat_interval_s)


# (2) notifications -> receivers -----------------------------------------------------------


def send_due(store: Store, now: float) -> int:
    """Send the notifications due at ``now``; return how many receivers took."""
    with store.alert_tx(write=False) as conn:
        rows = _alerts.due_notifications(conn, now, MAX_SENDS_PER_TICK)
    states: dict[tuple[str, str, str], ReceiverState] = {}
    trial_used: set[tuple[str, str, str]] = set()
    delivered = 0
    for row in rows:
        rk = (row.project, row.service, row.receiver)
        spec = store.get_service(row.project, row.service)
        receiver = spec.alerting.receivers.get(row.receiver) if spec is not None else None
        if spec is None or receiver is None:
            _end(store, row, now, "rejected", f"receiver {row.receiver!r} is no longer in the spec of {row.service!r}")
            continue
        if rk not in states:
            with store.alert_tx(write=False) as conn:
                states[rk] = _alerts.receiver_state(conn, *rk)
        st = states[rk]
        cfg = spec.alerting
        if not breaker.allows(st, now) and st.open_until is not None:  # (allows() is True without open_until)
            with store.alert_tx() as conn:
                _alerts.postpone(conn, row.id, st.open_until)
            continue
        if rk in trial_used:
            continue  # half-open lets one trial through per tick
        throttle = THROTTLE_S.get(receiver.kind)
        if throttle and st.last_sent_at is not None and now - st.last_sent_at < throttle:
            continue  # the next tick
        if breaker.half_open(st, cfg.breaker_failures):
            trial_used.add(rk)
        with store.alert_tx() as conn:
            if not _alerts.claim(conn, row, now):
                continue  # another replica took it
        result = _send(receiver, row, now)
        states[rk] = _settle(store, row, receiver, st, result, now, spec)
        delivered += result.outcome == "ok"
    return delivered


def _send(receiver: Receiver, row: OutboxRow, now: float) -> SendResult:
    n = Notification.from_json(row.payload)
    try:
        req = render(receiver.kind, n, receiver.target, now=now, delivery_id=delivery_key(row))
    except MissingSecret as e:
        return SendResult("retry", error=str(e))
    return post(req, allow_private=receiver.target.allow_private, timeout_s=receiver.target.timeout_s)


def delivery_key(row: OutboxRow) -> str:
    """The id a receiver drops duplicates by: the outbox row and a digest of its message.

    A retry, or a resend after a sender died between the receiver's answer and recording
    it, repeats the key; a newer snapshot of the same group (queued while the first was in
    flight) gets a new one, so deduplicating on it never drops an update."""
    return f"{row.id}-{hashlib.sha256(row.payload.encode()).hexdigest()[:16]}"


def _settle(store: Store, row: OutboxRow, receiver: Receiver, st: ReceiverState, result: SendResult, now: float,
            spec: ServiceSpec) -> ReceiverState:
    """Record the attempt, move the row on, and update the receiver's breaker."""
    cfg = spec.alerting
    attempt = row.attempts + 1
    if result.outcome == "ok":
        status, new, next_at = "sent", breaker.after_answer(st, now, delivered=True), now
    elif result.outcome == "reject":
        answered = result.http_status is not None
        status, new, next_at = "rejected", breaker.after_answer(st, now, delivered=False) if answered else st, now
    elif now - row.created_at >= cfg.give_up_after_s:
        status, new, next_at = "expired", breaker.after_failure(st, now, cfg.breaker_failures, cfg.breaker_open_s), now
    else:
        wait = max(breaker.backoff_s(attempt, cfg.backoff_s, cfg.max_backoff_s), result.retry_after_s or 0.0)
        status, new, next_at = "pending", breaker.after_failure(st, now, cfg.breaker_failures, cfg.breaker_open_s), now + wait
    with store.alert_tx() as conn:
        _alerts.finish(conn, row.id, status=status, attempts=attempt, next_at=next_at, error=result.error, now=now,
                       sent_payload=row.payload)
        _alerts.record_delivery(conn, Delivery(row.project, row.service, row.receiver, row.id, row.group_key, now, attempt,
                                               {"sent": "ok", "pending": "failed"}.get(status, status),
                                               result.http_status, result.error, result.duration_ms))
        _alerts.put_receiver_state(conn, row.project, row.service, row.receiver, new)
        if result.outcome == "ok" and st.failures > 0:
            _alerts.release_receiver(conn, row.project, row.service, row.receiver, now)
    return new


def _end(store: Store, row: OutboxRow, now: float, status: str, error: str) -> None:
    with store.alert_tx() as conn:
        _alerts.finish(conn, row.id, status=status, attempts=row.attempts, next_at=now, error=error, now=now)
        _alerts.record_delivery(conn, Delivery(row.project, row.service, row.receiver, row.id, row.group_key, now,
                                               row.attempts, status, None, error, None))
