"""Text and vector inputs over real HTTP: records stored with their contract violations named."""

from __future__ import annotations

from telltale.profile.text import text_column
from telltale.profile.vectors import norm_column
from telltale.store import Store

T0 = 1_767_225_600.0
SPEC = """service: shop
owner: me
inputs:
  review: {type: text, max_length: 30}
  emb: {type: vector, dim: 3}
"""


def test_text_and_vectors_are_checked_stored_and_profiled(module_server) -> None:
    server = module_server  # shared with the other server tests; the spec is registered over HTTP
    records = [
        {"id": "ok", "ts": T0, "inputs": {"review": "Works great, five stars", "emb": [0.1, 0.2, 0.3]}},
        {"id": "long", "ts": T0 + 1, "inputs": {"review": "x" * 31, "emb": [0.0, 0.0, 1.0]}},
        {"id": "short", "ts": T0 + 2, "inputs": {"review": "Fine", "emb": [1.0, 2.0]}},
        {"id": "bad", "ts": T0 + 3, "inputs": {"review": "ok", "emb": "0.1,0.2,0.3"}},
    ]
    with server.client() as client:
        put = client.put("/v1/services/shop/spec", content=SPEC, headers={"content-type": "application/yaml"})
        assert put.status_code == 200, put.text
        resp = client.post("/v1/services/shop/predictions", json={"records": [{**r, "service": "shop"} for r in records]})
    assert resp.status_code == 200, resp.text
    assert (resp.json()["accepted"], resp.json()["violations"]) == (4, 3)
    store = Store.open(server.db_url)
    try:
        stored = {r.id: [(v.field, v.kind, v.message) for v in r.violations]
                  for r in store.read_predictions(server.project, "shop", T0 - 1, T0 + 60)}
        profile = store.read_profile(server.project, "shop", T0 - 60, T0 + 60)
    finally:
        store.close()
    assert stored == {
        "ok": [],
        "long": [("review", "range", "text of 31 characters is longer than max_length 30")],
        "short": [("emb", "type", "expected a vector of 3 numbers, got 2")],
        "bad": [("emb", "type", "expected a vector (a list of 3 numbers), got str '0.1,0.2,0.3'")],
    }
    assert profile is not None and profile.n == 4  # every record stored and profiled, violations and all
    assert profile.fields[text_column("review", "length")].above == 1
    assert profile.fields["emb"].vector.count == 2 and profile.fields["emb"].mismatches == 2
    assert profile.fields[norm_column("emb")].numeric.count == 2
