"""Issue 9's must-show: a webhook receiver down for ten minutes, then back, gets every alert.

A real HTTP server on 127.0.0.1 stands in for the receiver; "down" means its socket is
closed (connections refused). Time is a ManualClock ticked every 10 s, as the server's
background loop would; the store is restarted in the middle of the outage.
"""

from __future__ import annotations

import math
from collections import Counter

from telltale.alerts import deliver_due, enqueue
from telltale.alerts.receivers.webhook import verify
from telltale.store import Store
from tests.alerts.helpers import alert, spec_with

TICK_S = 10.0


def _run(store: Store, clock, seconds: float) -> None:
    for _ in range(int(seconds / TICK_S)):
        clock.advance(TICK_S)
        deliver_due(store, clock.now())


def test_receiver_down_ten_minutes_then_back_gets_every_alert(db_url, clock, standin):
    spec = spec_with({"hook": {"webhook": {"url": standin.url + "/hook", "secret": "s3cret", "allow_private": True}}},
                     {"data": ["hook"], "platform": ["hook"]})
    cfg = spec.alerting
    store = Store.open(db_url, clock=clock)
    store.put_service("default", spec)

    enqueue(store, "default", alert("eta/unit", incident="inc-1"))
    _run(store, clock, 60)
    assert [r.json()["alerts"][0]["fingerprint"] for r in standin.requests] == ["eta/unit"]  # after the 30 s group wait

    standin.down()
    outage_start = clock.now()
    enqueue(store, "default", alert("eta/range", incident="inc-1", title="range follows the unit change"))  # a consequence
    _run(store, clock, 120)
    enqueue(store, "default", alert("eta/latency", incident="inc-2", family="platform"))
    _run(store, clock, 100)
    store.close()  # the server restarts in the middle of the outage
    store = Store.open(db_url, clock=clock)
    enqueue(store, "default", alert("eta/spike", incident="inc-3", family="platform"))
    _run(store, clock, 60)
    enqueue(store, "default", alert("eta/spike", incident="inc-3", family="platform", state="resolved"))
    _run(store, clock, 120)
    enqueue(store, "default", alert("eta/unit", incident="inc-1", state="resolved"))
    enqueue(store, "default", alert("eta/range", incident="inc-1", state="resolved"))
    _run(store, clock, outage_start + 600 - clock.now())
    assert len(standin.requests) == 1  # nothing got through while it was down

    during = [d for d in store.alert_deliveries("default", "eta", outage_start, clock.now() + 1)]
    assert all(d.status == "failed" and "ConnectError" in (d.error or "") for d in during)
    bound = cfg.breaker_failures + math.ceil(600 / cfg.breaker_open_s) + 1
    assert 0 < len(during) <= bound, f"{len(during)} attempts in a ten-minute outage; the breaker allows {bound}"

    standin.up()
    back = clock.now()
    _run(store, clock, 120)
    after = standin.requests[1:]
    final = {}
    for r in after:
        assert verify("s3cret", r.headers["x-telltale-timestamp"], r.body, r.headers["x-telltale-signature"], now=clock.now())
        for a in r.json()["alerts"]:
            final[a["fingerprint"]] = a["state"]
    # every alert raised or resolved during the outage arrived, in its latest state
    assert final == {"eta/unit": "resolved", "eta/range": "resolved", "eta/latency": "firing", "eta/spike": "resolved"}
    per_incident = Counter(r.json()["group_key"] for r in after)
    assert per_incident == {"inc-1": 1, "inc-2": 1, "inc-3": 1}  # one message per incident: no step replayed
    ok = [d for d in store.alert_deliveries("default", "eta", back, clock.now() + 1) if d.status == "ok"]
    assert len(ok) == 3 and all(d.at - back <= cfg.breaker_open_s + TICK_S for d in ok)
    all_received = Counter((r.json()["group_key"], r.body) for r in standin.requests)
    assert max(all_received.values()) <= 2  # at most one duplicate of any notification
    store.close()
