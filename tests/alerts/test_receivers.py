"""Slack, PagerDuty and the signed webhook, each through a local stand-in speaking its
protocol on 127.0.0.1, with the exact JSON asserted."""

from __future__ import annotations

import hashlib
import hmac
import re

from telltale.alerts import deliver_due, enqueue
from telltale.store import Store
from tests.alerts.helpers import alert, spec_with

T0 = 1_767_225_600.0


def _setup(db: str, clock, receivers, routes, **timing) -> Store:
    store = Store.open(db, clock=clock)
    store.put_service("default", spec_with(receivers, routes, **timing))
    return store


def test_slack_payload_and_one_message_a_second(sqlite_url, clock, standin):
    store = _setup(sqlite_url, clock, {"chat": {"slack": {"url": standin.url + "/services/T/B/X", "allow_private": True}}},
                   {"data": ["chat"]}, group_wait_s=0)
    enqueue(store, "default", alert("eta/unit", incident="inc-1", at=T0))
    enqueue(store, "default", alert("eta/range", incident="inc-1", severity="warning", at=T0 + 1))
    enqueue(store, "default", alert("eta/nulls", incident="inc-2", at=T0 + 2))
    assert deliver_due(store, clock.now()) == 1  # two groups due, one message a second
    assert standin.requests[0].path == "/services/T/B/X"
    assert standin.requests[0].json() == {
        "text": "[FIRING:2] eta data critical: eta/unit firing (+1 more)",
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": "*[FIRING:2] eta data critical*\nowner: data-eng@example.com"}},
            {"type": "section", "text": {"type": "mrkdwn", "text":
                "- *firing* critical: eta/unit firing: what eta/unit found\n- *firing* warning: eta/range firing: what eta/range found"}},
        ],
    }
    clock.advance(0.5)
    assert deliver_due(store, clock.now()) == 0
    clock.advance(0.5)
    assert deliver_due(store, clock.now()) == 1
    assert standin.requests[1].json()["text"] == "[FIRING:1] eta data critical: eta/nulls firing"


def test_pagerduty_trigger_then_resolve_with_one_dedup_key(sqlite_url, clock, standin):
    standin.status = 202
    store = _setup(sqlite_url, clock, {"pd": {"pagerduty": {"url": standin.url + "/v2/enqueue", "routing_key": "R0UTING",
                                                               "allow_private": True}}},
                   {"data": ["pd"]}, group_wait_s=0, group_interval_s=60)
    enqueue(store, "default", alert("eta/unit", incident="inc-1", at=T0))
    enqueue(store, "default", alert("eta/range", incident="inc-1", at=T0 + 5))
    assert deliver_due(store, clock.now()) == 1
    assert standin.requests[0].json() == {
        "routing_key": "R0UTING", "event_action": "trigger", "dedup_key": "telltale/default/eta/inc-1", "client": "telltale",
        "payload": {
            "summary": "eta: eta/unit firing (+1 related)", "source": "telltale/eta", "severity": "critical",
            "timestamp": "2026-01-01T00:00:00.000Z", "component": "eta", "group": "data", "class": "finding",
            "custom_details": {"owner": "data-eng@example.com", "incident": "inc-1", "alerts": [
                {"fingerprint": "eta/unit", "severity": "critical", "title": "eta/unit firing", "message": "what eta/unit found", "source": "finding:eta/unit"},
                {"fingerprint": "eta/range", "severity": "critical", "title": "eta/range firing", "message": "what eta/range found", "source": "finding:eta/range"},
            ]},
        },
    }
    clock.advance(10)
    enqueue(store, "default", alert("eta/unit", incident="inc-1", state="resolved"))
    enqueue(store, "default", alert("eta/range", incident="inc-1", state="resolved"))
    assert deliver_due(store, clock.now()) == 0  # group interval: 60 s after the trigger
    clock.advance(50)
    assert deliver_due(store, clock.now()) == 1
    assert standin.requests[1].json() == {"routing_key": "R0UTING", "event_action": "resolve", "dedup_key": "telltale/default/eta/inc-1"}
    clock.advance(3600)
    assert deliver_due(store, clock.now()) == 0 and len(standin.requests) == 2  # resolved and told: nothing repeats


def test_webhook_is_signed_over_timestamp_and_body(sqlite_url, clock, standin):
    store = _setup(sqlite_url, clock, {"hook": {"webhook": {"url": standin.url, "secret": "k3y", "allow_private": True}}},
                   {"data": ["hook"]}, group_wait_s=0)
    enqueue(store, "default", alert("eta/unit", at=T0))
    assert deliver_due(store, clock.now()) == 1
    r = standin.requests[0]
    assert r.headers["x-telltale-timestamp"] == "1767225600"
    expected = hmac.new(b"k3y", b"1767225600." + r.body, hashlib.sha256).hexdigest()
    assert r.headers["x-telltale-signature"] == "v1=" + expected
    assert re.fullmatch(r"1-[0-9a-f]{16}", r.headers["x-telltale-delivery"])  # outbox row 1 and its message digest
    assert r.json() == {
        "version": "1", "receiver": "hook", "status": "firing", "project": "default", "service": "eta",
        "group_key": "eta/unit", "incident": None, "family": "data", "owner": "data-eng@example.com", "severity": "critical",
        "sent_at": 1767225600.0,
        "alerts": [{"fingerprint": "eta/unit", "service": "eta", "family": "data", "severity": "critical", "state": "firing",
                    "title": "eta/unit firing", "message": "what eta/unit found", "source": "finding:eta/unit",
                    "starts_at": T0, "ends_at": None, "incident": None, "labels": {"kind": "unit"}}],
    }


def test_a_4xx_is_rejected_once_and_a_5xx_retried_with_backoff(sqlite_url, clock, standin):
    store = _setup(sqlite_url, clock, {"hook": {"webhook": {"url": standin.url, "allow_private": True}}},
                   {"data": ["hook"]}, group_wait_s=0, backoff_s=10, max_backoff_s=40)
    standin.status = 503
    enqueue(store, "default", alert("eta/unit"))
    times = []
    for _ in range(120):
        if deliver_due(store, clock.now()) == 0 and len(standin.requests) > len(times):
            times.append(clock.now() - T0)
        clock.advance(1)
    assert times == [0, 10, 30, 70, 110]  # 10, 20, 40, then capped at 40 (the breaker opened at 5 failures for 60 s)
    standin.status = 400
    enqueue(store, "default", alert("eta/nulls"))
    clock.advance(60)
    deliver_due(store, clock.now())
    statuses = [(d.group_key, d.status, d.http_status) for d in store.alert_deliveries("default", "eta", 0, clock.now() + 1)]
    assert statuses[-1] in {("eta/nulls", "rejected", 400), ("eta/unit", "rejected", 400)}
