"""Error budgets per SLO, the SLO counters on /metrics, a person's override and the audit
log, over real HTTP on a store the policy has ticked."""

from __future__ import annotations

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from telltale.clock import ManualClock
from telltale.policy import tick
from telltale.server import create_app
from telltale.store import Store
from tests.guard.conftest import make_spec
from tests.policy.test_rules import _record
from tests.server.conftest import ThreadServer

T0 = 1_767_225_600.0
SLOS = [{"name": "errors", "indicator": "error_rate", "objective": 0.99},
        {"name": "slow", "indicator": "latency_p99_ms", "max": 100, "stage": "retrieval"}]


@pytest.fixture
def served(sqlite_url):
    clock = ManualClock(T0)
    store = Store.open(sqlite_url, clock=clock)
    store.put_service("p1", make_spec(slos=SLOS))
    token = store.create_token("p1")
    # 10 minutes of 20 decisions, 1 in 20 a model error: 10 bad of 200 against 1% allowed
    store.write_predictions("p1", [_record(m * 20 + j, T0 + 60 * m + j, j == 0) for m in range(10) for j in range(20)])
    clock.set(T0 + 600)
    tick(store, T0 + 600, notify=lambda p, a: None)
    srv = ThreadServer(create_app(store, clock=clock))
    yield srv, httpx.Client(base_url=srv.url, headers={"Authorization": f"Bearer {token}"}, timeout=30)
    srv.stop()
    store.close()


def test_slos_report_budget_burn_and_status(served):
    _, c = served
    body = c.get("/v1/services/eta/slos").json()
    errors, slow = body["slos"]
    assert (errors["events"], errors["bad_events"], errors["objective"], errors["period"]) == (200.0, 10.0, 0.99, "30d")
    assert errors["budget_remaining"] == pytest.approx(1 - 10 / (200 * 0.01))  # -4.0: overspent five times
    fast = errors["burn_rates"][0]
    assert (fast["alert"], fast["long"], fast["short"], fast["threshold"]) == ("page", "1h", "5m", 14.4)
    assert fast["long_burn"] == pytest.approx(5.0) and fast["firing"] is False  # 5% bad is a 5x burn of 1%
    assert errors["status"] == "ticket"  # 6 h and 3 d windows burn 5x >= 1
    # the retrieval stage is not recorded by these records: its SLO says so instead of passing
    assert (slow["events"], slow["status"], slow["budget_remaining"]) == (0.0, "no data", None)


def test_metrics_export_the_slo_counters(served):
    srv, _ = served
    text = httpx.get(srv.url + "/metrics").text
    samples = {(s.name, s.labels["slo"]): s.value for f in text_string_to_metric_families(text)
               for s in f.samples if s.name.startswith(("telltale_slo_events", "telltale_slo_bad_events"))}
    assert samples == {("telltale_slo_events_total", "errors"): 200.0, ("telltale_slo_bad_events_total", "errors"): 10.0,
                       ("telltale_slo_events_total", "slow"): 0.0, ("telltale_slo_bad_events_total", "slow"): 0.0}
    burn = {(s.labels["slo"], s.labels["window"]): s.value for f in text_string_to_metric_families(text)
            for s in f.samples if s.name == "telltale_slo_burn_rate"}
    assert burn[("errors", "1h")] == pytest.approx(5.0)  # as GET .../slos answers: 5% bad against a 1% budget
    assert ("slow", "1h") in burn and burn[("slow", "1h")] == 0.0  # no events: no burn, and no budget figure
    budgets = {s.labels["slo"]: s.value for f in text_string_to_metric_families(text)
               for s in f.samples if s.name == "telltale_slo_budget_remaining"}
    assert budgets == {"errors": pytest.approx(-4.0)}


def test_a_person_overrides_and_the_audit_log_says_who_and_why(served):
    _, c = served
    r = c.put("/v1/services/eta/control", json={"mode": "rollback", "reason": "errors after the deploy", "by": "ana"})
    assert r.status_code == 200 and r.json()["by"] == "person:ana"
    assert c.get("/v1/services/eta/control").json()["by"] == "person:ana"
    c.put("/v1/services/eta/control", json={"mode": "normal", "reason": "fixed", "by": "bo"})
    changes = c.get("/v1/services/eta/control/audit").json()["changes"]
    assert [(e["from"], e["to"], e["actor"], e["reason"]) for e in changes] == [
        ("normal", "rollback", "person:ana", "errors after the deploy"), ("rollback", "normal", "person:bo", "fixed")]
    assert c.put("/v1/services/eta/control", json={"mode": "normal", "by": ""}).status_code == 422


def test_slo_rules_route_writes_prometheus_rules(served):
    _, c = served
    text = c.get("/v1/services/eta/slos/rules").text
    assert 'alert: TelltaleSLOPage' in text and 'slo="errors"' in text and 'project="p1"' in text
