"""Stored findings over HTTP: the server's own monitor loop evaluates what was posted,
and the route answers incidents (cause first) and one finding with its evidence."""

from __future__ import annotations

import time

import pytest

from tests.server.conftest import ServerHandle
from tests.server.helpers import eta_record

T0 = 1_767_225_600.0  # 2026-01-01T00:00:00Z


def _records() -> list[dict]:
    """15 minutes; from 00:05 to 00:10 prep_time_s arrives in milliseconds and the contract
    sends every such record to the rules fallback, as a guard records it."""
    out = []
    for i in range(900):
        r = eta_record(i, T0 + i, prefix="s")
        if T0 + 300 <= r["ts"] < T0 + 600:
            r["inputs"]["prep_time_s"] *= 1000
            r.update(source="rules", guard="contract", violations=[
                {"field": "prep_time_s", "kind": "range", "message": "above the maximum 7200", "required": True}])
        out.append(r)
    return out


def _wait_for_incidents(c, timeout: float = 30.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        data = c.get("/v1/services/eta/findings", params={"since": T0, "state": "all"}).json()
        if any(i["cause"]["kind"] == "unit" for i in data["incidents"]) or time.monotonic() > deadline:
            return data
        time.sleep(0.25)


@pytest.fixture(scope="module")
def posted(module_server: ServerHandle) -> ServerHandle:
    records = _records()
    with module_server.client() as c:
        for k in range(0, len(records), 300):
            assert c.post("/v1/services/eta/predictions", json={"records": records[k:k + 300]}).json()["accepted"] == 300
    return module_server


def test_the_monitor_loop_stores_one_incident_with_its_cause_first(posted: ServerHandle) -> None:
    with posted.client() as c:
        data = _wait_for_incidents(c)
    (inc,) = [i for i in data["incidents"] if i["cause"]["kind"] == "unit"]
    assert inc["state"] == "resolved"  # the windows after it were clean: it ended, and says so
    assert (inc["opened"], inc["resolved"]) == (T0 + 300, T0 + 600)
    assert inc["cause"]["feature"] == "prep_time_s" and inc["cause"]["fingerprint"] == "eta/unit/prep_time_s"
    # the guard's own finding joins them once the HTTP parser keeps the record's `guard` (issue 7, item 1)
    assert {("fallback", None), ("range", "prep_time_s")} <= {(f["kind"], f["feature"]) for f in inc["consequences"]} <= {
        ("fallback", None), ("guard", "contract"), ("range", "prep_time_s")}
    assert all(f["cause"] == inc["cause"]["id"] and f["state"] == "resolved" for f in inc["consequences"])
    assert inc["cause"]["opened_at"] == "2026-01-01T00:05:00Z" and inc["cause"]["resolved_at"] == "2026-01-01T00:10:00Z"
    assert data["open"] == sum(i["state"] == "open" for i in data["incidents"])
    with posted.client() as c:
        assert c.get("/v1/services/eta/findings", params={"since": T0, "state": "open"}).json()["incidents"] == []
        assert c.get("/v1/services/eta/findings", params={"state": "later"}).status_code == 422


def test_one_finding_with_its_evidence_and_its_consequences(posted: ServerHandle) -> None:
    with posted.client() as c:
        data = _wait_for_incidents(c)
        (inc,) = [i for i in data["incidents"] if i["cause"]["kind"] == "unit"]
        one = c.get(f"/v1/services/eta/findings/{inc['cause']['id']}")
        missing = c.get("/v1/services/eta/findings/nope")
    assert one.status_code == 200
    body = one.json()
    assert body["kind"] == "unit" and body["state"] == "resolved"
    assert [e["window"]["start"] for e in body["evidence"]] == ["2026-01-01T00:05:00+00:00"]
    assert body["evidence"][0]["statistic"] == "scale_ratio" and body["evidence"][0]["value"] == pytest.approx(1000, rel=0.05)
    assert {"fallback", "range"} <= {f["kind"] for f in body["consequences"]} <= {"fallback", "guard", "range"}
    assert missing.status_code == 404 and "no finding 'nope' in service 'eta'" in missing.json()["detail"]
