"""Ingestion over real HTTP: good records stored exactly once, bad ones named, never a 5xx."""

from __future__ import annotations

import json
import random

import pytest

from telltale.store import Store
from tests.server.helpers import eta_record

T0 = 1_767_225_600.0

# Each malformation as (how to write the record's JSON, the field the answer must name).
MALFORMED = [
    (lambda r: json.dumps({**r, "inputs": {**r["inputs"], "prep_time_s": float("nan")}}), "inputs.prep_time_s"),
    (lambda r: json.dumps(r).replace('"distance_km": ', '"distance_km": 1e999, "x": ', 1), "inputs.distance_km"),
    (lambda r: json.dumps({**r, "output": float("inf")}), "output"),
    (lambda r: json.dumps({**r, "confidence": float("-inf")}), "confidence"),
    (lambda r: json.dumps({**r, "ts": "2026-01-01 00:00"}), "ts"),
    (lambda r: json.dumps({k: v for k, v in r.items() if k != "id"}), "id"),
    (lambda r: json.dumps({**r, "id": 12345}), "id"),
    (lambda r: json.dumps({**r, "service": "fraud"}), "service"),
    (lambda r: json.dumps({**r, "inputs": list(r["inputs"].values())}), "inputs"),
    (lambda r: json.dumps({**r, "latency_ms": "4ms"}), "latency_ms"),
    (lambda r: json.dumps([r]), None),
    (lambda r: json.dumps({**r, "id": "r\x00nul"}), "id"),  # PostgreSQL text cannot hold NUL
    (lambda r: json.dumps({**r, "id": "\ud800"}), "id"),  # a lone surrogate is not encodable
    (lambda r: json.dumps({**r, "model_version": "v\x00"}), "model_version"),
]


def test_ten_thousand_records_with_one_percent_malformed(server, db_url: str) -> None:
    rng = random.Random(20260101)
    n = 10_000
    bad_at = set(rng.sample(range(n), 100))
    expected_errors: dict[int, str | None] = {}
    out_of_range: set[str] = set()
    lines: list[str] = []
    for i in range(n):
        r = eta_record(i, T0 + i * 0.06)
        if i in bad_at:
            write, field = MALFORMED[len(expected_errors) % len(MALFORMED)]
            expected_errors[i] = field
            lines.append(write(r))
        else:
            if i % 50 == 7:  # breaks the contract: stored, with its violation
                r["inputs"]["prep_time_s"] = 540_000.0
                out_of_range.add(r["id"])
            lines.append(json.dumps(r))

    batch = 500
    got_errors: dict[int, str | None] = {}
    accepted = violations = 0
    with server.client() as client:
        for start in range(0, n, batch):
            body = '{"records": [' + ",".join(lines[start:start + batch]) + "]}"
            resp = client.post("/v1/services/eta/predictions", content=body, headers={"content-type": "application/json"})
            assert resp.status_code == 200, resp.text
            data = resp.json()
            accepted += data["accepted"]
            violations += data["violations"]
            assert data["duplicates"] == 0
            for e in data["errors"]:
                assert e["reason"]
                got_errors[start + e["index"]] = e["field"]
        # a replay of one whole batch stores nothing again
        body = '{"records": [' + ",".join(lines[:batch]) + "]}"
        replay = client.post("/v1/services/eta/predictions", content=body, headers={"content-type": "application/json"}).json()

    assert got_errors == expected_errors
    assert accepted == n - 100
    assert violations == len(out_of_range)
    assert replay["accepted"] == 0 and replay["duplicates"] == batch - len(bad_at & set(range(batch)))

    store = Store.open(db_url)
    try:
        stored = store.read_predictions("default", "eta", T0 - 1, T0 + 3600, limit=20_000)
        assert store.count_predictions("default", "eta") == n - 100
        profile = store.read_profile("default", "eta", T0 - 60, T0 + 3600)
    finally:
        store.close()
    ids = [r.id for r in stored]
    assert len(ids) == len(set(ids)) == n - 100
    assert set(ids) == {f"r{i:06d}" for i in range(n) if i not in bad_at}
    with_violations = {r.id for r in stored if r.violations}
    assert with_violations == out_of_range
    assert all(v.field == "prep_time_s" and v.kind == "range" for r in stored for v in r.violations)
    assert profile is not None and profile.n == n - 100  # the replay was not profiled twice


def test_unknown_service_is_404_naming_how_to_register(module_server) -> None:
    with module_server.client() as client:
        resp = client.post("/v1/services/fraud/predictions", json={"records": []})
    assert resp.status_code == 404
    assert "'fraud' is not registered" in resp.json()["detail"]
    assert "PUT /v1/services/fraud/spec" in resp.json()["detail"]


@pytest.mark.parametrize(
    ("body", "status"),
    [(b"{not json", 422), (b'{"records": 3}', 422), (b"[]", 422)],
)
def test_unusable_body_is_422_not_500(module_server, body: bytes, status: int) -> None:
    with module_server.client() as client:
        resp = client.post("/v1/services/eta/predictions", content=body, headers={"content-type": "application/json"})
    assert resp.status_code == status
    assert "records" in resp.json()["detail"]


def test_get_predictions_reads_back_a_window(module_server) -> None:
    with module_server.client() as client:
        records = [eta_record(i, T0 + i) for i in range(30)]
        assert client.post("/v1/services/eta/predictions", json={"records": records}).json()["accepted"] == 30
        resp = client.get("/v1/services/eta/predictions", params={"since": T0 + 10, "until": "2026-01-01T00:00:20Z", "limit": 5})
        assert resp.status_code == 200
        assert [r["id"] for r in resp.json()["records"]] == [f"r{i:06d}" for i in range(10, 15)]
        assert client.get("/v1/services/eta/predictions", params={"since": "last week"}).status_code == 422
        assert client.get("/v1/services/eta/predictions", params={"limit": 0}).status_code == 422


def test_the_review_queue_is_readable_by_source(module_server) -> None:
    with module_server.client() as client:
        records = [{**eta_record(100 + i, T0 + 600 + i), "source": "review" if i % 3 == 0 else "model"} for i in range(9)]
        assert client.post("/v1/services/eta/predictions", json={"records": records}).json()["accepted"] == 9
        resp = client.get("/v1/services/eta/predictions", params={"since": T0 + 600, "until": T0 + 700, "source": "review"})
        assert [r["id"] for r in resp.json()["records"]] == [f"r{i:06d}" for i in (100, 103, 106)]


def test_two_replicas_with_overlapping_concurrent_posts_store_each_record_once(db_url: str, server_factory, eta_spec_path) -> None:
    """Two server processes on one database (replicas), four clients, every batch sent four times."""
    import threading

    a = server_factory(db_url, specs=[eta_spec_path])
    b = server_factory(db_url, token=a.token)
    records = [eta_record(i, T0 + (i % 120)) for i in range(2000)]
    batches = [records[k:k + 100] for k in range(0, 2000, 100)]
    statuses: list[int] = []
    accepted: list[int] = []
    lock = threading.Lock()

    def client(k: int) -> None:
        server = (a, b)[k % 2]
        order = batches[k % 2::2] + batches[(k + 1) % 2::2]  # every batch, in an order of its own
        with server.client() as c:
            for batch in order[::-1] if k >= 2 else order:
                resp = c.post("/v1/services/eta/predictions", json={"records": batch})
                with lock:
                    statuses.append(resp.status_code)
                    accepted.append(resp.json()["accepted"] if resp.status_code == 200 else 0)

    threads = [threading.Thread(target=client, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert set(statuses) == {200} and len(statuses) == 80
    assert sum(accepted) == 2000
    store = Store.open(db_url)
    try:
        assert store.count_predictions("default", "eta") == 2000
        profile = store.read_profile("default", "eta", T0, T0 + 120)
    finally:
        store.close()
    assert profile.n == 2000 and profile.fields["items"].numeric.count == 2000
