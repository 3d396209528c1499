"""The outbox's edges: a receiver removed from the spec, a notification too old to send,
a row another replica claimed, and a receiver asking to wait (429 with Retry-After)."""

from __future__ import annotations

from telltale.alerts import deliver_due, enqueue, send_due
from telltale.store import Store, _alerts
from tests.alerts.helpers import alert, spec_with


def _hook(url: str, **alerting):
    return spec_with({"hook": {"webhook": {"url": url, "allow_private": True}}}, {"data": ["hook"]}, group_wait_s=0, **alerting)


def _statuses(store: Store, until: float):
    return [(d.status, d.attempt, d.error) for d in store.alert_deliveries("default", "eta", 0, until + 1)]


def test_a_receiver_removed_from_the_spec_ends_its_notifications(sqlite_url, clock, standin):
    store = Store.open(sqlite_url, clock=clock)
    store.put_service("default", _hook(standin.url))
    standin.down()
    enqueue(store, "default", alert("eta/unit"))
    deliver_due(store, clock.now())
    store.put_service("default", spec_with({}, {}))
    clock.advance(60)
    deliver_due(store, clock.now())
    assert _statuses(store, clock.now())[-1] == ("rejected", 1, "receiver 'hook' is no longer in the spec of 'eta'")


def test_a_notification_undelivered_past_give_up_is_expired(sqlite_url, clock, standin):
    store = Store.open(sqlite_url, clock=clock)
    store.put_service("default", _hook(standin.url, give_up_after_s=120, breaker_failures=100))
    standin.down()
    enqueue(store, "default", alert("eta/unit"))
    for _ in range(30):
        deliver_due(store, clock.now())
        clock.advance(10)
    got = _statuses(store, clock.now())
    assert [s for s, _, _ in got] == ["failed"] * 4 + ["expired"]  # at 0, 10, 30, 70 s; at 150 s it is past 120 s
    with store.alert_tx(write=False) as conn:
        assert _alerts.outbox_counts(conn, "default") == {"expired": 1}


def test_a_row_claimed_by_another_replica_is_not_sent_twice(sqlite_url, clock, standin):
    store = Store.open(sqlite_url, clock=clock)
    other = Store.open(sqlite_url, clock=clock)
    store.put_service("default", _hook(standin.url))
    enqueue(store, "default", alert("eta/unit"))
    from telltale.alerts import flush

    flush(store, clock.now())
    with other.alert_tx() as conn:
        (row,) = _alerts.due_notifications(conn, clock.now(), 10)
        assert _alerts.claim(conn, row, clock.now())
    assert send_due(store, clock.now()) == 0 and standin.requests == []
    clock.advance(_alerts.CLAIM_S)  # a replica that died mid-send: the claim lapses and the row is sent
    assert send_due(store, clock.now()) == 1 and len(standin.requests) == 1


def test_retry_after_is_honoured(sqlite_url, clock, standin):
    standin.status, standin.answer, standin.headers = 429, b'{"error":"slow down"}', {"Retry-After": "120"}
    store = Store.open(sqlite_url, clock=clock)
    store.put_service("default", _hook(standin.url))
    enqueue(store, "default", alert("eta/unit"))
    deliver_due(store, clock.now())
    with store.alert_tx(write=False) as conn:
        assert _alerts.due_notifications(conn, clock.now() + 119, 10) == []  # Retry-After beats the 10 s backoff
        assert len(_alerts.due_notifications(conn, clock.now() + 120, 10)) == 1
    assert _statuses(store, clock.now()) == [("failed", 1, 'HTTP 429: {"error":"slow down"}')]


def test_a_snapshot_replaced_while_in_flight_is_sent_after(sqlite_url, clock, standin):
    store = Store.open(sqlite_url, clock=clock)
    store.put_service("default", _hook(standin.url))
    with store.alert_tx() as conn:
        rid = _alerts.put_notification(conn, "default", "eta", "hook", "g", '{"v":1}', clock.now())
        (row,) = _alerts.due_notifications(conn, clock.now(), 10)
        assert _alerts.claim(conn, row, clock.now())
        assert _alerts.put_notification(conn, "default", "eta", "hook", "g", '{"v":2}', clock.now()) == rid  # flushed meanwhile
        _alerts.finish(conn, rid, status="sent", attempts=1, next_at=clock.now(), error=None, now=clock.now(), sent_payload=row.payload)
        (again,) = _alerts.due_notifications(conn, clock.now(), 10)
    assert (again.id, again.payload, again.attempts) == (rid, '{"v":2}', 1)


def test_the_delivery_key_repeats_on_a_retry_and_changes_with_the_message(sqlite_url, clock, standin):
    import hashlib

    store = Store.open(sqlite_url, clock=clock)
    store.put_service("default", _hook(standin.url, breaker_failures=100))
    standin.status = 503
    enqueue(store, "default", alert("eta/unit"))
    deliver_due(store, clock.now())  # answered 503: retried after the backoff
    standin.status = 200
    clock.advance(60)
    deliver_due(store, clock.now())
    enqueue(store, "default", alert("eta/unit", state="resolved"))
    for _ in range(30):
        clock.advance(60)
        deliver_due(store, clock.now())
    keys = [r.headers["x-telltale-delivery"] for r in standin.requests]
    assert len(keys) == 3 and keys[0] == keys[1] != keys[2]  # one retry, then the resolved message
    with store.alert_tx(write=False) as conn:
        payloads = [r.payload for r in conn.execute(_alerts.alert_outbox.select().order_by(_alerts.alert_outbox.c.id))]
    assert keys == [f"1-{hashlib.sha256(payloads[0].encode()).hexdigest()[:16]}"] * 2 + [
        f"2-{hashlib.sha256(payloads[1].encode()).hexdigest()[:16]}"]
