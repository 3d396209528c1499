"""Against a real Prometheus Alertmanager (Debian's prometheus-alertmanager, installed by
scripts/test): it receives telltale's alerts, groups them by service and incident, keeps
them firing while they are re-sent, and resolves them on ``endsAt``."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from telltale.alerts import deliver_due, enqueue
from telltale.clock import ManualClock
from telltale.store import Store
from tests.alerts.helpers import alert, spec_with
from tests.server.conftest import free_port

BINARY = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")

CONFIG = """\
route:
  receiver: "null"
  group_by: [service, incident]
  group_wait: 1h
receivers:
  - name: "null"
"""


@pytest.fixture
def alertmanager(tmp_path: Path) -> Iterator[str]:
    if BINARY is None:
        pytest.fail("prometheus-alertmanager is not installed: run the tests through scripts/test, which installs it")
    (tmp_path / "am.yml").write_text(CONFIG)
    port = free_port()
    log = (tmp_path / "am.log").open("w")
    proc = subprocess.Popen([BINARY, f"--config.file={tmp_path / 'am.yml'}", f"--storage.path={tmp_path / 'data'}",
                             f"--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address=", "--log.level=warn"],
                            stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    try:
        while True:
            try:
                if httpx.get(url + "/-/ready", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"alertmanager did not start:\n{(tmp_path / 'am.log').read_text()}")
            time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        proc.wait(10)
        log.close()


def test_alertmanager_receives_groups_and_resolves(alertmanager, sqlite_url):
    # Alertmanager judges startsAt/endsAt by its own clock: keep the injected one behind it
    clock = ManualClock(start=time.time() - 120)
    spec = spec_with({"am": {"alertmanager": {"url": alertmanager, "allow_private": True, "resend_s": 60}}},
                     {"data": ["am"], "platform": ["am"]})
    store = Store.open(sqlite_url, clock=clock)
    store.put_service("default", spec)
    now = clock.now()
    enqueue(store, "default", alert("eta/unit", incident="inc-1", at=now))
    enqueue(store, "default", alert("eta/range", incident="inc-1", at=now, severity="warning"))
    enqueue(store, "default", alert("eta/latency", incident="inc-2", family="platform", at=now))
    assert deliver_due(store, clock.now()) == 3  # no group wait: Alertmanager groups by itself

    got = httpx.get(alertmanager + "/api/v2/alerts", params={"active": "true"}).json()
    assert sorted(a["labels"]["telltale_fingerprint"] for a in got) == ["eta/latency", "eta/range", "eta/unit"]
    unit = next(a for a in got if a["labels"]["telltale_fingerprint"] == "eta/unit")
    assert unit["labels"] | {} == {"alertname": "finding:eta/unit", "service": "eta", "family": "data", "severity": "critical",
                                   "incident": "inc-1", "kind": "unit", "telltale_fingerprint": "eta/unit"}
    assert unit["annotations"] == {"summary": "eta/unit firing", "description": "what eta/unit found",
                                   "source": "finding:eta/unit", "owner": "data-eng@example.com"}
    assert unit["status"]["state"] == "active"
    groups = httpx.get(alertmanager + "/api/v2/alerts/groups").json()
    by_incident = {g["labels"]["incident"]: sorted(a["labels"]["telltale_fingerprint"] for a in g["alerts"]) for g in groups}
    assert by_incident == {"inc-1": ["eta/range", "eta/unit"], "inc-2": ["eta/latency"]}

    # re-sent while firing: nothing new before resend_s, all three again after it
    clock.advance(30)
    assert deliver_due(store, clock.now()) == 0
    clock.advance(31)
    assert deliver_due(store, clock.now()) == 3

    clock.advance(1)
    enqueue(store, "default", alert("eta/latency", incident="inc-2", family="platform", state="resolved", at=clock.now() - 60))
    assert deliver_due(store, clock.now()) == 1
    active = httpx.get(alertmanager + "/api/v2/alerts", params={"active": "true"}).json()
    assert sorted(a["labels"]["telltale_fingerprint"] for a in active) == ["eta/range", "eta/unit"]
    store.close()
