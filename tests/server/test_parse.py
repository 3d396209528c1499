"""Per-record parsing: each malformation named by field, good records built faithfully."""

from __future__ import annotations

import json

import pytest

from telltale.server.parse import BodyError, RecordError, parse_body, parse_record

NOW = 1_767_225_600.0


def parsed(text: str, index: int = 0) -> object:
    (raw,) = parse_body(('{"records": [' + text + "]}").encode())
    return parse_record(raw, index, "eta", NOW)


@pytest.mark.parametrize(
    ("text", "field", "reason"),
    [
        ('{"id": "a", "inputs": {"x": NaN}}', "inputs.x", "NaN is not a valid JSON number"),
        ('{"id": "a", "inputs": {"x": [1, -Infinity]}}', "inputs.x[1]", "-Infinity is not a valid JSON number"),
        ('{"id": "a", "inputs": {}, "output": Infinity}', "output", "Infinity is not a valid JSON number"),
        ('{"id": "a", "inputs": {"x": 1e999}}', "inputs.x", "inf is not a valid JSON number"),
        ('{"inputs": {}}', "id", "is missing"),
        ('{"id": 17, "inputs": {}}', "id", "must be a non-empty string"),
        ('{"id": "", "inputs": {}}', "id", "must be a non-empty string"),
        ('{"id": "a", "ts": "yesterday", "inputs": {}}', "ts", "must be a number of epoch seconds, got string 'yesterday'"),
        ('{"id": "a", "ts": true, "inputs": {}}', "ts", "got boolean true"),
        ('{"id": "a", "service": "other", "inputs": {}}', "service", "is 'other' but the URL names service 'eta'"),
        ('{"id": "a", "inputs": [1, 2]}', "inputs", "must be an object of field values, got a list"),
        ('{"id": "a"}', "inputs", "is missing"),
        ('{"id": "a", "inputs": {}, "confidence": "high"}', "confidence", "must be a number or null"),
        ('{"id": "a", "inputs": {}, "model_version": 3}', "model_version", "must be a string"),
        ('{"id": "a", "inputs": {}, "stages": {"retrieval": "fast"}}', "stages", "stage name to milliseconds"),
        ('{"id": "a", "inputs": {}, "reasons": "because"}', "reasons", "must be a list of strings"),
        ('[1, 2]', None, "a record must be a JSON object, got a list"),
        ('{"id": "a\\u0000b", "inputs": {}}', "id", "no NUL"),
        ('{"id": "\\ud800", "inputs": {}}', "id", "must be a non-empty string"),
        ('{"id": "a", "inputs": {"": 1}}', "inputs", "field name string '' is empty"),
        ('{"id": "a", "inputs": {' + ", ".join(f'"f{i}": 1' for i in range(1001)) + '}}', "inputs", "has 1001 fields; the most is 1000"),
    ],
)
def test_malformed_records_name_the_field(text: str, field: str | None, reason: str) -> None:
    err = parsed(text, index=4)
    assert isinstance(err, RecordError)
    assert (err.index, err.field) == (4, field)
    assert reason in err.reason


def test_a_good_record_keeps_every_field() -> None:
    raw = {
        "id": "r1", "service": "eta", "ts": 1_767_225_601, "inputs": {"prep_time_s": 540, "city": "Lyon"},
        "output": 31.5, "confidence": 0.75, "source": "rules", "model_version": "v3",
        "components": {"prompt": "p7"}, "latency_ms": 12, "stages": {"retrieval": 3.5}, "cost": 0.002,
        "reasons": ["prep_time_s out of range"], "segment": "Lyon", "event_ts": 1_767_225_590.5,
        "violations": [{"field": "made", "kind": "up", "message": "ignored: the server checks itself"}],
    }
    r = parsed(json.dumps(raw))
    assert not isinstance(r, RecordError)
    d = r.to_dict()
    assert d["violations"] == []  # the server's own contract check fills these in
    for key, value in raw.items():
        if key != "violations":
            assert d[key] == value, key
    assert isinstance(r.ts, float) and isinstance(r.latency_ms, float)


def test_defaults_service_ts_and_source() -> None:
    r = parsed('{"id": "r1", "inputs": {"a": null}}')
    assert (r.service, r.ts, r.source, r.inputs) == ("eta", NOW, "model", {"a": None})


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"not json", "not valid JSON"),
        (b"\xff\xfe", "not valid JSON"),
        (b"[]", 'JSON object with a "records" list'),
        (b'{"record": []}', 'JSON object with a "records" list'),
        (b'{"records": {"id": "a"}}', '"records" must be a list, got an object'),
    ],
)
def test_unusable_bodies(body: bytes, message: str) -> None:
    with pytest.raises(BodyError, match=message):
        parse_body(body)
