"""Issue 10, item 2: every value class that used to cost the whole batch a 500 is now one
record's error, naming its index, field and limit, with the good records beside it kept.

Each hostile record is posted between two good ones to a real server process; the
answer must be 200, the two good records stored, the bad one named. Then the window is
read back (the 900-deep record used to be stored and break every later read).
"""

from __future__ import annotations

import time

import pytest

from tests.hostile.conftest import GOOD_INPUTS, good
from tests.server.conftest import ServerHandle

NOW = time.time()
DEEP_900 = "[" * 900 + "]" * 900
CASES = [
    # (name, the middle record as JSON text, field, words the reason must contain)
    ("ts beyond int64", '{"id": "bad", "ts": 9300000000000000000, "inputs": {}}', "ts",
     "s after the receiver's clock; the most is 86400 s ahead (max_future_s)"),
    ("ts in milliseconds", f'{{"id": "bad", "ts": {int(NOW * 1000)}, "inputs": {{}}}}', "ts",
     "looks like milliseconds: divide by 1000"),
    ("event_ts in microseconds", f'{{"id": "bad", "event_ts": {int(NOW * 1e6)}, "inputs": {{}}}}', "event_ts",
     "looks like microseconds: divide by 1000000"),
    ("400-digit integer input", '{"id": "bad", "inputs": {"items": ' + "7" * 400 + "}}", "inputs.items",
     "is an integer of 400 digits; the most is 20 (max_int_digits): send it as a string"),
    ("5000-digit integer input", '{"id": "bad", "inputs": {"items": ' + "7" * 5000 + "}}", "inputs.items",
     "is an integer of 5000 digits; the most is 20 (max_int_digits)"),
    ("5000-digit latency_ms", '{"id": "bad", "inputs": {}, "latency_ms": ' + "9" * 5000 + "}", "latency_ms",
     "is an integer of 5000 digits; the most is 20 (max_int_digits)"),
    ("huge integer output", '{"id": "bad", "inputs": {}, "output": ' + "1" * 3000 + "}", "output",
     "is an integer of 3000 digits; the most is 20 (max_int_digits)"),
    ("nesting 900 deep", '{"id": "bad", "inputs": {"x": ' + DEEP_900 + "}}", "inputs.x",
     "nests 902 levels deep; the most is 32 (max_depth)"),
    ("nesting 5000 deep in the output", '{"id": "bad", "inputs": {}, "output": ' + '{"a":' * 5000 + "1" + "}" * 5000 + "}",
     "output", "nests 5001 levels deep; the most is 32 (max_depth)"),
    ("lone surrogate in a category", '{"id": "bad", "inputs": {"city": "Ly\\ud800on"}}', "inputs.city",
     "lone UTF-16 surrogate"),
    ("lone surrogate in an extra input", '{"id": "bad", "inputs": {"note": "\\udfff"}}', "inputs.note",
     "lone UTF-16 surrogate"),
    ("lone surrogate in the output", '{"id": "bad", "inputs": {}, "output": {"text": "\\ud83d"}}', "output.text",
     "lone UTF-16 surrogate"),
    ("string over the limit", '{"id": "bad", "inputs": {"city": "' + "a" * 70_000 + '"}}', "inputs.city",
     "is a string of 70000 characters; the most is 65536 (max_string_len)"),
    ("too many tags", '{"id": "bad", "inputs": {}, "tags": {' + ", ".join(f'"t{i}": "v"' for i in range(17)) + "}}",
     "tags", "has 17 entries; the most is 16"),
    ("tag value too long", '{"id": "bad", "inputs": {}, "tags": {"team": "' + "x" * 300 + '"}}', "tags.team",
     "must be a string of at most 256 characters"),
]


@pytest.mark.parametrize(("name", "middle", "field", "reason"), CASES, ids=[c[0] for c in CASES])
def test_a_hostile_value_is_one_records_error_between_two_good_ones(
    hostile_server: ServerHandle, name: str, middle: str, field: str, reason: str,
) -> None:
    import json

    first, last = good("a"), good("b")
    body = '{"records": [' + json.dumps(first) + ", " + middle + ", " + json.dumps(last) + "]}"
    with hostile_server.client() as c:
        r = c.post("/v1/services/eta/predictions", content=body.encode(), headers={"Content-Type": "application/json"})
        assert r.status_code == 200, r.text[:500]
        doc = r.json()
        assert doc["accepted"] == 2
        assert [(e["index"], e["field"]) for e in doc["errors"]] == [(1, field)]
        assert reason in doc["errors"][0]["reason"]
        got = c.get("/v1/services/eta/predictions", params={"since": 0, "until": 4e9, "limit": 10_000})
        assert got.status_code == 200  # the window stays readable
        ids = {x["id"] for x in got.json()["records"]}
        assert {first["id"], last["id"]} <= ids and "bad" not in ids


def test_a_record_at_the_depth_limit_is_stored_and_read_back(hostile_server: ServerHandle) -> None:
    # 32 levels: the record (1), inputs (2), then 30 nested lists holding a number
    rec = good("deep", inputs={**GOOD_INPUTS, "tree": _nest(30)})
    with hostile_server.client() as c:
        r = c.post("/v1/services/eta/predictions", json={"records": [rec]})
        assert r.json()["accepted"] == 1, r.text
        back = c.get("/v1/services/eta/predictions", params={"since": 0, "until": 4e9, "limit": 10_000}).json()["records"]
        (stored,) = [x for x in back if x["id"] == rec["id"]]
        assert stored["inputs"]["tree"] == rec["inputs"]["tree"]
        one_more = good("deeper", inputs={**GOOD_INPUTS, "tree": _nest(31)})
        r = c.post("/v1/services/eta/predictions", json={"records": [one_more]}).json()
        assert r["accepted"] == 0 and r["errors"] == [
            {"index": 0, "field": "inputs.tree", "reason": "nests 33 levels deep; the most is 32 (max_depth)"}]


def test_a_body_nested_deep_outside_any_record_is_a_422_not_a_500(hostile_server: ServerHandle) -> None:
    body = b'{"records": [], "x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    with hostile_server.client() as c:
        r = c.post("/v1/services/eta/predictions", content=body, headers={"Content-Type": "application/json"})
    assert r.status_code == 422
    assert "nests deeper than 32 levels outside any record (max_depth)" in r.json()["detail"]


def _nest(levels: int) -> object:
    v: object = 1
    for _ in range(levels):
        v = [v]
    return v
