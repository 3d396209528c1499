"""Alerts, deliveries, silences and the timeline over HTTP, on a real server process; the
same store is ticked by ``deliver_due`` here as the server's background loop would."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from telltale.alerts import deliver_due, enqueue
from telltale.store import Store
from tests.alerts.helpers import alert
from tests.alerts.standin import StandIn
from tests.conftest import EXAMPLE_SPEC
from tests.server.conftest import ServerHandle

TELLTALE = str(Path(sys.executable).with_name("telltale"))


def _spec_json(url: str) -> dict:
    import yaml

    spec = yaml.safe_load(EXAMPLE_SPEC.read_text())
    spec["alerting"] = {"receivers": {"hook": {"webhook": {"url": url, "allow_private": True}}}, "routes": {"data": ["hook"]},
                        "group_wait_s": 0}
    return spec


@pytest.fixture
def server(module_server: ServerHandle) -> ServerHandle:
    """One SQLite server for the module: the store side of alerts runs on both databases in tests/alerts."""
    return module_server


@pytest.fixture
def standin():
    s = StandIn()
    yield s
    s.close()


def test_private_receiver_is_refused_when_the_spec_is_saved(server: ServerHandle) -> None:
    spec = _spec_json("http://127.0.0.1:9/hook")
    del spec["alerting"]["receivers"]["hook"]["webhook"]["allow_private"]
    with server.client() as c:
        r = c.put("/v1/services/eta/spec", json=spec)
    assert r.status_code == 422
    assert [(p["key"], p["message"]) for p in r.json()["problems"]] == [(
        "alerting.receivers.hook.webhook",
        "url 'http://127.0.0.1:9/hook' points at a loopback address; set allow_private: true if that is intended")]


def test_alerts_deliveries_silences_and_timeline(server: ServerHandle, standin: StandIn) -> None:
    with server.client() as c:
        assert c.put("/v1/services/eta/spec", json=_spec_json(standin.url)).status_code == 200
    now = time.time()
    store = Store.open(server.db_url)
    try:
        enqueue(store, "default", alert("eta/unit", incident="inc-1", at=now - 60, title="prep_time_s looks like ms"))
        assert deliver_due(store, time.time()) == 1
    finally:
        store.close()

    with server.client() as c:
        got = c.get("/v1/services/eta/alerts", params={"state": "firing"}).json()["alerts"]
        assert [(a["fingerprint"], a["state"], a["incident"]) for a in got] == [("eta/unit", "firing", "inc-1")]
        assert c.get("/v1/services/eta/alerts", params={"state": "resolved"}).json()["alerts"] == []
        (d,) = c.get("/v1/services/eta/deliveries", params={"since": "-1h"}).json()["deliveries"]
        assert (d["receiver"], d["status"], d["http_status"], d["attempt"], d["group_key"]) == ("hook", "ok", 200, 1, "inc-1")

        bad = c.post("/v1/silences", json={"matchers": {"service": "eta"}, "duration": "2h", "created_by": "ana", "comment": " "})
        assert bad.status_code == 422 and bad.json()["detail"] == "comment is empty: say why, so the next person on call knows"
        too_long = c.post("/v1/silences", json={"matchers": {"service": "eta"}, "duration": "40d", "created_by": "ana", "comment": "x"})
        assert too_long.json()["detail"] == "duration must be more than 0 and at most 31 days, got 3456000 s (40 days)"
        s = c.post("/v1/silences", json={"matchers": {"service": "eta", "family": "data"}, "duration": "2h",
                                         "created_by": "ana", "comment": "migrating the feed"})
        assert s.status_code == 201
        sid = s.json()["id"]
        assert s.json()["ends_at"] - s.json()["starts_at"] == 7200
        assert [x["id"] for x in c.get("/v1/silences").json()["silences"]] == [sid]
        assert c.delete(f"/v1/silences/{sid}").json() == {"expired": sid}
        assert c.get("/v1/silences").json()["silences"] == []
        assert c.delete(f"/v1/silences/{sid}").status_code == 404

        events = c.get("/v1/services/eta/timeline", params={"since": "-1h"}).json()["events"]
        assert [(e["kind"], e["summary"]) for e in events] == [
            ("alert", "prep_time_s looks like ms (firing)"),
            ("delivery", "to hook about inc-1: ok (attempt 1)"),
        ]
        only = c.get("/v1/services/eta/timeline", params={"since": "-1h", "kind": "delivery"}).json()["events"]
        assert [e["kind"] for e in only] == ["delivery"]
        wrong = c.get("/v1/services/eta/timeline", params={"kind": "weather"})
        assert wrong.status_code == 422 and wrong.json()["detail"].startswith("kind 'weather' is not a timeline source; use one of")

    piped = subprocess.run([TELLTALE, "timeline", "--service", "eta", "--server", server.url, "--token", server.token, "--since", "-1h"],
                           capture_output=True, text=True, env={"PATH": "/usr/bin:/bin", "COLUMNS": "80"}, timeout=60)
    assert piped.returncode == 0, piped.stderr
    lines = piped.stdout.splitlines()
    assert lines[0].startswith("eta: 2 events from ") and all(len(x) <= 80 for x in lines) and "\x1b" not in piped.stdout
    assert lines[1].endswith("  alert    critical prep_time_s looks like ms (firing)")
    assert lines[2].endswith("  delivery          to hook about inc-1: ok (attempt 1)")
