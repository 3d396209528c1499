"""Specs, services, control, health and metrics over real HTTP."""

from __future__ import annotations

import json

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import EXAMPLE_SPEC
from tests.server.conftest import ServerHandle, ThreadServer
from tests.server.helpers import eta_record

T0 = 1_767_225_600.0
SPEC_TEXT = EXAMPLE_SPEC.read_text()


def spec_text(service: str) -> str:
    return SPEC_TEXT.replace("service: eta", f"service: {service}")


def test_health_and_ready(module_server: ServerHandle) -> None:
    assert httpx.get(module_server.url + "/healthz").json() == {"status": "ok"}
    assert httpx.get(module_server.url + "/readyz").json() == {"status": "ok"}


def test_ready_is_503_when_the_store_is_down() -> None:
    from telltale.server import create_app
    from telltale.store import Store
    from telltale.store.engine import make_engine

    url = "postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2"
    srv = ThreadServer(create_app(Store(make_engine(url), url=url)))
    try:
        assert httpx.get(srv.url + "/healthz").status_code == 200
        resp = httpx.get(srv.url + "/readyz", timeout=10)
        assert resp.status_code == 503
        assert "does not answer" in resp.json()["detail"] and "nobody" in resp.json()["detail"]
        # a /v1 route over the dead store is a 503 saying why, not a 500
        resp = httpx.get(srv.url + "/v1/services", headers={"Authorization": "Bearer tt_x"}, timeout=10)
        assert resp.status_code == 503
    finally:
        srv.stop()


def test_put_spec_as_yaml_and_as_json(module_server: ServerHandle) -> None:
    with module_server.client() as c:
        resp = c.put("/v1/services/yaml-eta/spec", content=spec_text("yaml-eta"), headers={"content-type": "application/yaml"})
        assert resp.status_code == 200 and resp.json()["service"] == "yaml-eta" and resp.json()["records"] == 0
        spec = c.get("/v1/services/yaml-eta").json()["spec"]
        assert spec["inputs"]["prep_time_s"]["range"] == {"min": 0.0, "max": 7200.0}
        spec["service"] = "json-eta"
        spec["model_version"] = "v9"
        assert c.put("/v1/services/json-eta/spec", json=spec).status_code == 200
        got = c.get("/v1/services/json-eta").json()
        assert got["model_version"] == "v9" and got["owner"] == "delivery-ml@example.com"
        names = [s["service"] for s in c.get("/v1/services").json()["services"]]
        assert {"eta", "yaml-eta", "json-eta"} <= set(names)


def test_bad_specs_are_422_with_located_problems(module_server: ServerHandle) -> None:
    bad = spec_text("bad-eta").replace("prep_time_s:   {type: float, unit: s, range: [0, 7200]}", "prep_time_s:   {type: float, unit: s, range: [5, 3]}")
    with module_server.client() as c:
        resp = c.put("/v1/services/bad-eta/spec", content=bad)
        assert resp.status_code == 422
        (problem,) = resp.json()["problems"]
        assert problem == {"line": 17, "key": "inputs.prep_time_s.range", "message": "min 5 is greater than max 3"}
        resp = c.put("/v1/services/other/spec", content=spec_text("bad-eta"))
        assert resp.status_code == 422 and "PUT it to /v1/services/bad-eta/spec" in resp.json()["detail"]
        resp = c.put("/v1/services/bad-eta/spec", json={"service": "bad-eta", "owner": "me", "inputs": {}, "colour": 1})
        assert resp.status_code == 422
        keys = {p["key"] for p in resp.json()["problems"]}
        assert keys == {"inputs", "colour"}
        assert c.put("/v1/services/bad-eta/spec", content=b"{", headers={"content-type": "application/json"}).status_code == 422
        assert c.get("/v1/services/bad-eta").status_code == 404  # nothing was registered


def test_control_get_put(module_server: ServerHandle) -> None:
    with module_server.client() as c:
        assert c.get("/v1/services/eta/control").json() == {"mode": "normal", "reason": "", "updated_at": 0.0, "by": None}
        put = c.put("/v1/services/eta/control", json={"mode": "fallback", "reason": "unit change upstream"})
        assert put.status_code == 200
        got = c.get("/v1/services/eta/control").json()
        assert got["mode"] == "fallback" and got["reason"] == "unit change upstream" and got["updated_at"] > T0
        assert c.get("/v1/services/eta").json()["control"]["mode"] == "fallback"
        bad = c.put("/v1/services/eta/control", json={"mode": "panic"})
        assert bad.status_code == 422 and "canary_stopped, fallback, normal, review, rollback" in bad.json()["detail"]
        assert c.put("/v1/services/eta/control", json={"reason": "no mode"}).status_code == 422
        assert c.put("/v1/services/eta/control", json={"mode": "normal", "reason": "fixed"}).json()["mode"] == "normal"


def test_metrics_count_what_was_ingested(module_server: ServerHandle) -> None:
    with module_server.client() as c:
        assert c.put("/v1/services/m-eta/spec", content=spec_text("m-eta")).status_code == 200
        records = [eta_record(i, T0 + i, prefix="m") for i in range(40)]
        for r in records[:5]:
            r["inputs"]["prep_time_s"] = 360_000.0  # range violation
        records[6]["inputs"]["city"] = "Berlin"  # category violation
        body = json.dumps({"records": records}).replace('"id": "m000010"', '"id": 10', 1)
        body = body.replace('"ts": 1767225611.0', '"ts": "soon"', 1)
        resp = c.post("/v1/services/m-eta/predictions", content=body, headers={"content-type": "application/json"})
        assert resp.json()["accepted"] == 38 and len(resp.json()["errors"]) == 2
        c.post("/v1/services/m-eta/predictions", json={"records": records[:11]})  # 10 replays + the record whose id was bad
        text = httpx.get(module_server.url + "/metrics").text

    samples = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            samples[(s.name, tuple(sorted(s.labels.items())))] = s.value
    proj, svc = ("project", "default"), ("service", "m-eta")
    assert samples[("telltale_records_ingested_total", (proj, svc))] == 39
    assert samples[("telltale_records_duplicate_total", (proj, svc))] == 10
    assert samples[("telltale_records_malformed_total", (("field", "id"), proj, svc))] == 1
    assert samples[("telltale_records_malformed_total", (("field", "ts"), proj, svc))] == 1
    assert samples[("telltale_violations_total", (("field", "prep_time_s"), ("kind", "range"), proj, svc))] == 10  # 5, then 5 again in the replay
    assert samples[("telltale_violations_total", (("field", "city"), ("kind", "category"), proj, svc))] == 2
    # 39 new decisions, all served by the model; the 10 replays are not counted again
    assert samples[("telltale_decisions_total", (proj, svc, ("source", "model")))] == 39
    route = ("route", "/v1/services/{service}/predictions")
    assert samples[("telltale_http_requests_total", (("method", "POST"), route, ("status", "200")))] >= 2


def test_metrics_export_in_process_recorders(sqlite_url: str) -> None:
    from telltale.record import MemoryRecorder
    from telltale.server import create_app
    from telltale.store import Store
    from telltale.types import PredictionRecord

    recorder = MemoryRecorder()
    for i in range(3):
        recorder.submit(PredictionRecord(id=f"g{i}", service="eta", ts=T0, inputs={}))
    recorder.close()
    recorder.submit(PredictionRecord(id="late", service="eta", ts=T0, inputs={}))  # dropped: closed
    store = Store.open(sqlite_url)
    srv = ThreadServer(create_app(store, recorders={"guard": recorder}))
    try:
        text = httpx.get(srv.url + "/metrics").text
    finally:
        srv.stop()
        store.close()
    samples = {(s.name, tuple(sorted(s.labels.items()))): s.value for f in text_string_to_metric_families(text) for s in f.samples}
    guard = ("recorder", "guard")
    assert samples[("telltale_recorder_queued_total", (guard,))] == 4
    assert samples[("telltale_recorder_written_total", (guard,))] == 3
    assert samples[("telltale_recorder_dropped_total", (("reason", "closed"), guard))] == 1
    assert samples[("telltale_recorder_queue_depth", (guard,))] == 0


def test_reference_upload_feeds_drift_findings(module_server: ServerHandle, eta_spec) -> None:
    import numpy as np

    from telltale.profile import Profile
    from telltale.types import PredictionRecord

    rng = np.random.default_rng(3)
    ref_rows = []
    for i in range(2000):
        inputs = eta_record(i, T0)["inputs"]
        inputs["prep_time_s"] = float(rng.normal(900, 120))
        ref_rows.append(PredictionRecord(id=str(i), service="d-eta", ts=T0, inputs=inputs))
    reference = Profile.from_records(eta_spec, ref_rows)
    with module_server.client() as c:
        assert c.put("/v1/services/d-eta/spec", content=spec_text("d-eta")).status_code == 200
        assert c.get("/v1/services/d-eta/reference").status_code == 404
        bad = c.put("/v1/services/d-eta/reference", content=b"not a profile")
        assert bad.status_code == 422 and "TTPF" in bad.json()["detail"]
        put = c.put("/v1/services/d-eta/reference", content=reference.to_bytes(), headers={"content-type": "application/octet-stream"})
        assert put.status_code == 200 and put.json()["rows"] == 2000 and "prep_time_s" in put.json()["fields"]
        back = Profile.from_bytes(c.get("/v1/services/d-eta/reference").content)
        assert back.n == 2000
        assert back.fields["prep_time_s"].numeric.mean == pytest.approx(reference.fields["prep_time_s"].numeric.mean)

        # Current traffic: prep_time_s moved up by 600 s (well inside its range, so only drift can tell).
        current = []
        for i in range(600):
            r = eta_record(i, T0 + i % 300, prefix="d")
            r["inputs"]["prep_time_s"] = float(rng.normal(1500, 120))
            current.append(r)
        assert c.post("/v1/services/d-eta/predictions", json={"records": current}).json()["accepted"] == 600
        found = c.get("/v1/services/d-eta/findings", params={"since": T0, "until": T0 + 300, "window": 300}).json()["findings"]
    drift = [f for f in found if f["kind"] == "drift" and f["feature"] == "prep_time_s"]
    assert drift, found
    assert not [f for f in found if f["kind"] in ("range", "unit")]


def test_records_with_nan_from_an_in_process_guard_read_back_as_null(module_server: ServerHandle) -> None:
    from telltale.store import Store
    from telltale.types import PredictionRecord

    store = Store.open(module_server.db_url)
    try:
        store.write_predictions("default", [PredictionRecord(id="nan-1", service="eta", ts=T0 - 100, inputs={"rain_mm": float("nan")}, output=float("inf"))])
    finally:
        store.close()
    with module_server.client() as c:
        resp = c.get("/v1/services/eta/predictions", params={"since": T0 - 101, "until": T0 - 99})
    assert resp.status_code == 200
    (r,) = resp.json()["records"]
    assert r["inputs"] == {"rain_mm": None} and r["output"] is None
