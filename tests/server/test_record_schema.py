"""Issue 7, item 1: one wire schema. The HTTP parser, the OpenAPI body and the answer
follow the record's field declarations; nothing posted is dropped without a word."""

from __future__ import annotations

import dataclasses
import time

from telltale.server.record_schema import record_schema
from telltale.store import Store
from telltale.types import RECORD_FIELDS, PredictionRecord
from tests.hostile.conftest import good
from tests.server.conftest import ServerHandle


def test_the_openapi_body_lists_every_record_field_with_its_doc_and_limit(module_server: ServerHandle) -> None:
    with module_server.client() as c:
        doc = c.get("/openapi.json").json()
    body = doc["paths"]["/v1/services/{service}/predictions"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    # records are checked one by one (errors in the 200 answer), so server/openapi.py keeps
    # their fields as documentation, not as a schema promising a 422
    props = body["properties"]["records"]["items"]["x-record-fields"]
    assert list(props) == [f.name for f in dataclasses.fields(PredictionRecord)]
    assert props == record_schema()["properties"]
    assert props["tags"]["maxProperties"] == 16 and props["tags"]["additionalProperties"]["maxLength"] == 256
    assert props["id"]["maxLength"] == 200 and "unique per service" in props["id"]["description"]
    answer = doc["paths"]["/v1/services/{service}/predictions"]["post"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert answer["properties"]["warnings"]["items"]["required"] == ["index", "key", "reason"]


def test_every_field_posted_comes_back_and_unknown_keys_are_warned_about(module_server: ServerHandle) -> None:
    rec = good("full", ts=time.time() - 5, guard="breaker", attempts=3, input_tokens=812, output_tokens=64, cached_tokens=512,
               actor="team:dispatch", tags={"experiment": "b", "region": "eu"}, source="rules",
               stages={"retrieval": 4.5}, components={"prompt": "v7"}, reasons=["circuit breaker is open"], segment="Lyon",
               event_ts=time.time() - 30, latency_ms=12.5, cost=0.002, confidence=0.5, model_version="2026-11-01")
    rec["user"] = "alice"
    rec["lable"] = 1
    rec["guards"] = "breaker"
    with module_server.client() as c:
        r = c.post("/v1/services/eta/predictions", json={"records": [good("plain"), rec]}).json()
    assert r["accepted"] == 2 and r["errors"] == []
    assert [(w["index"], w["key"]) for w in r["warnings"]] == [(1, "user"), (1, "lable"), (1, "guards")]
    assert r["warnings"][2]["reason"] == "is not a field of a prediction record and was not stored; did you mean 'guard'?"
    assert r["warnings"][0]["reason"].startswith("is not a field of a prediction record and was not stored; the fields are id, service, ts,")
    store = Store.open(module_server.db_url)
    try:
        (back,) = [x for x in store.read_predictions("default", "eta", 0, 4e9, limit=100_000) if x.id == rec["id"]]
    finally:
        store.close()
    d = back.to_dict()
    for name, _ in RECORD_FIELDS:
        if name in rec:
            assert d[name] == rec[name], name
    assert back.guard == "breaker" and back.attempts == 3 and back.tags == {"experiment": "b", "region": "eu"}


