"""Findings per window over HTTP: a unit change named in the window it starts, not before."""

from __future__ import annotations

import pytest

from tests.server.conftest import ServerHandle
from tests.server.helpers import eta_record

T0 = 1_767_225_600.0  # 2026-01-01T00:00:00Z


@pytest.fixture(scope="module")
def unit_switch(module_server: ServerHandle) -> ServerHandle:
    """600 records over 10 minutes; from minute 5 on, prep_time_s arrives in milliseconds."""
    records = []
    for i in range(600):
        ts = T0 + i
        r = eta_record(i, ts, prefix="u")
        if ts >= T0 + 300:
            r["inputs"]["prep_time_s"] *= 1000
        records.append(r)
    with module_server.client() as c:
        for start in range(0, 600, 200):
            assert c.post("/v1/services/eta/predictions", json={"records": records[start:start + 200]}).json()["accepted"] == 200
    return module_server


def test_unit_finding_in_the_first_window_after_the_switch_only(unit_switch: ServerHandle) -> None:
    with unit_switch.client() as c:
        resp = c.get("/v1/services/eta/findings", params={"since": T0, "until": T0 + 600, "window": 300})
    assert resp.status_code == 200
    data = resp.json()
    assert data["windows"] == 2
    units = [f for f in data["findings"] if f["kind"] == "unit"]
    assert units, data["findings"]
    assert {f["window"]["start"] for f in units} == {"2026-01-01T00:05:00+00:00"}
    (prep,) = [f for f in units if f["feature"] == "prep_time_s"]
    assert prep["value"] == pytest.approx(1000, rel=0.05)
    assert "1000" in prep["message"] and "prep_time_s" in prep["message"]
    assert set(prep) == {"kind", "feature", "severity", "statistic", "value", "threshold", "window", "message"}
    first = [f for f in data["findings"] if f["window"]["start"] == "2026-01-01T00:00:00+00:00"]
    assert not [f for f in first if f["kind"] in ("unit", "range")]


def test_windows_without_records_are_skipped_and_spans_are_checked(unit_switch: ServerHandle) -> None:
    with unit_switch.client() as c:
        empty = c.get("/v1/services/eta/findings", params={"since": T0 - 7200, "until": T0 - 3600, "window": 300}).json()
        assert empty["findings"] == [] and empty["windows"] == 0
        one = c.get("/v1/services/eta/findings", params={"since": "2026-01-01T00:00:00Z", "until": "2026-01-01T00:10:00Z", "window": 600}).json()
        assert one["windows"] == 1
        assert c.get("/v1/services/eta/findings", params={"since": T0, "until": T0 + 600, "window": 30}).status_code == 422
        assert c.get("/v1/services/eta/findings", params={"since": T0, "until": T0 - 1, "window": 300}).status_code == 422
        too_many = c.get("/v1/services/eta/findings", params={"since": 0, "until": T0, "window": 60})
        assert too_many.status_code == 422 and "larger window" in too_many.json()["detail"]
