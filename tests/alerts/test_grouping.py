"""Group wait, group interval and repeat interval (Alertmanager's meanings), worked by hand;
then through the outbox: one message per incident to the owner of the cause, silences."""

from __future__ import annotations

from telltale.alerts import SilenceRequest, deliver_due, enqueue, new_silence
from telltale.alerts.grouping import Timing, Verdict, decide, digest
from telltale.store import Store
from telltale.store._alerts import GroupState, LiveAlert
from tests.alerts.helpers import alert, spec_with

T = Timing(group_wait_s=30, group_interval_s=300, repeat_interval_s=3600)


def _live(fp: str, *, fired_at: float = 0, updated_at: float | None = None, **kw) -> LiveAlert:
    return LiveAlert("p", alert(fp, **kw), "inc", fired_at, fired_at if updated_at is None else updated_at)


def test_first_message_waits_for_the_group_wait():
    a = [_live("a", fired_at=100)]
    assert decide(a, None, T, 129).verdict is Verdict.WAIT
    d = decide(a, None, T, 130)
    assert (d.verdict, d.state) == (Verdict.SEND, GroupState(130, digest(a)))


def test_a_change_waits_for_the_group_interval_and_no_change_for_the_repeat():
    a, b = _live("a"), _live("b", fired_at=100)
    told = GroupState(30, digest([a]))
    assert decide([a], told, T, 30 + 3599).verdict is Verdict.WAIT
    assert decide([a], told, T, 30 + 3600).verdict is Verdict.SEND  # repeat interval
    assert decide([a, b], told, T, 329).verdict is Verdict.WAIT
    d = decide([a, b], told, T, 330)  # b joined: group interval after the last message
    assert d.verdict is Verdict.SEND and [x.alert.fingerprint for x in d.alerts] == ["a", "b"]


def test_severity_change_counts_as_a_change_and_resolution_is_told_once():
    a = _live("a")
    told = GroupState(30, digest([a]))
    worse = _live("a", severity="warning")
    assert digest([worse]) != told.digest and decide([worse], told, T, 330).verdict is Verdict.SEND
    gone = _live("a", state="resolved", updated_at=200)
    d = decide([gone], told, T, 330)
    assert d.verdict is Verdict.SEND and d.alerts[0].alert.state == "resolved"
    assert decide([gone], d.state, T, 10_000).verdict is Verdict.DONE


def test_an_incident_pages_once_to_the_owner_of_its_cause(sqlite_url, clock, standin):
    store = Store.open(sqlite_url, clock=clock)
    store.put_service("default", spec_with(
        {"data-hook": {"webhook": {"url": standin.url + "/data", "allow_private": True}},
         "platform-hook": {"webhook": {"url": standin.url + "/platform", "allow_private": True}}},
        {"data": ["data-hook"], "platform": ["platform-hook"]}))
    t0 = clock.now()
    enqueue(store, "default", alert("eta/unit", incident="inc-1", at=t0))
    clock.advance(10)
    enqueue(store, "default", alert("eta/range", incident="inc-1", at=t0 + 10))  # consequences within the group wait
    enqueue(store, "default", alert("eta/fallback", incident="inc-1", family="platform", at=t0 + 10))
    clock.advance(19)
    assert deliver_due(store, clock.now()) == 0
    clock.advance(1)
    assert deliver_due(store, clock.now()) == 1
    (r,) = standin.requests
    assert r.path == "/data" and r.json()["owner"] == "data-eng@example.com"
    assert [a["fingerprint"] for a in r.json()["alerts"]] == ["eta/unit", "eta/fallback", "eta/range"]


def test_a_silence_mutes_until_it_expires_then_the_group_is_told(sqlite_url, clock, standin):
    store = Store.open(sqlite_url, clock=clock)
    store.put_service("default", spec_with({"hook": {"webhook": {"url": standin.url, "allow_private": True}},
                                            "pager": {"webhook": {"url": standin.url + "/pager", "allow_private": True},
                                                      "severities": ["critical"]}},
                                           {"data": ["hook", "pager"]}, group_wait_s=0))
    s = new_silence("default", SilenceRequest({"service": "eta", "kind": "unit"}, 600, "ana", "migrating the feed"), clock.now())
    store.put_silence(s)
    enqueue(store, "default", alert("eta/unit"))  # labels {"kind": "unit"}: silenced
    enqueue(store, "default", alert("eta/slow", severity="warning", labels={}))  # not silenced; the pager hears only critical
    for _ in range(59):
        clock.advance(10)
        deliver_due(store, clock.now())
    assert [(r.path, [a["fingerprint"] for a in r.json()["alerts"]]) for r in standin.requests] == [("/", ["eta/slow"])]
    clock.advance(10)  # 600 s: the silence ends
    deliver_due(store, clock.now())
    assert [(r.path, [a["fingerprint"] for a in r.json()["alerts"]]) for r in standin.requests[1:]] == [("/", ["eta/unit"]), ("/pager", ["eta/unit"])]
