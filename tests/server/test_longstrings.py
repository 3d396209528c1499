"""A string over ``max_string_len`` is found on the bytes and never built (server/longstrings.py).

Each case is answered exactly as a parsed string would be: the same index, field and
reason, and the good records beside it kept; strings at the limit, keys, escapes and
multi-byte characters are counted in characters, as Python's ``len`` counts them.
"""

from __future__ import annotations

import json
import time

import pytest

from telltale.server.longstrings import cut_long_strings
from telltale.server.parse import RecordError, parse_body, parse_record
from telltale.wire import LongText, RecordLimits

NOW = time.time()
LIMIT = 65_536


def _answers(body: bytes, limits: RecordLimits = RecordLimits()) -> list[object]:
    return [parse_record(r, i, "eta", NOW, limits) for i, r in enumerate(parse_body(body, limits))]


def _body(*records: dict[str, object]) -> bytes:
    return json.dumps({"records": list(records)}).encode()


def test_a_9mb_string_is_cut_before_parsing_and_named_by_index_field_and_limit() -> None:
    body = _body({"id": "a", "inputs": {"x": 1}}, {"id": "huge", "inputs": {"city": "x" * 9_000_000}}, {"id": "b", "inputs": {}})
    cut, hook = cut_long_strings(body, LIMIT)
    assert hook is not None and len(cut) < 300  # the 9 MB are gone before json.loads
    a, huge, b = _answers(body)
    assert huge == RecordError(1, "inputs.city", "is a string of 9000000 characters; the most is 65536 (max_string_len)")
    assert [getattr(a, "id", None), getattr(b, "id", None)] == ["a", "b"]


@pytest.mark.parametrize(("value", "chars"), [
    ("é" * 70_000, 70_000),  # two UTF-8 bytes a character, sent raw (ensure_ascii=False)
    ("😀" * 66_000, 66_000),  # four bytes raw, or a surrogate-pair escape of 12 bytes: one character either way
    ('a"\\' * 30_000, 90_000),  # escaped quotes and backslashes inside the string
])
def test_characters_are_counted_as_python_counts_them(value: str, chars: int) -> None:
    for ensure_ascii in (True, False):
        body = json.dumps({"records": [{"id": "a", "inputs": {"s": value}}]}, ensure_ascii=ensure_ascii).encode()
        assert _answers(body) == [RecordError(0, "inputs.s", f"is a string of {chars} characters; the most is 65536 (max_string_len)")]


def test_a_string_at_the_limit_is_kept_and_one_over_is_refused() -> None:
    at, over = "€" * LIMIT, "€" * (LIMIT + 1)  # 3 bytes each: far more bytes than the limit, characters exactly at it
    kept, refused = _answers(json.dumps({"records": [{"id": "a", "inputs": {"s": at}}, {"id": "b", "inputs": {"s": over}}]},
                                        ensure_ascii=False).encode())
    assert getattr(kept, "inputs", None) == {"s": at}
    assert refused == RecordError(1, "inputs.s", "is a string of 65537 characters; the most is 65536 (max_string_len)")


def test_every_field_answers_a_long_string_as_it_answers_a_parsed_one() -> None:
    long = "y" * 100_000
    got = _answers(_body({"id": long, "inputs": {}}, {"id": "o", "inputs": {}, "output": long},
                         {"id": "t", "inputs": {}, "ts": long}, {"id": "v", "inputs": {"vec": [1, long]}}))
    assert got == [
        RecordError(0, "id", "must be a non-empty string of at most 200 characters (no NUL, valid Unicode), got a string of 100000 characters"),
        RecordError(1, "output", "is a string of 100000 characters; the most is 65536 (max_string_len)"),
        RecordError(2, "ts", "must be a number of epoch seconds, got a string of 100000 characters"),
        RecordError(3, "inputs.vec[1]", "is a string of 100000 characters; the most is 65536 (max_string_len)"),
    ]


def test_keys_and_bodies_without_long_strings_are_left_to_the_parser() -> None:
    key = _body({"id": "k", "inputs": {"k" * 70_000: 1}})
    assert cut_long_strings(key, LIMIT) == (key, None)
    assert _answers(key) == [RecordError(0, "inputs", "field name string 'kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk... is empty, longer than 200 characters or not text")]
    numbers = _body({"id": "n", "inputs": {"vec": list(range(30_000))}})  # 170 KB without a quote: not a string
    assert cut_long_strings(numbers, LIMIT) == (numbers, None)
    small = _body(*({"id": f"r{i}", "inputs": {"x": "v" * 100}} for i in range(2000)))
    assert cut_long_strings(small, LIMIT) == (small, None)


def test_a_client_cannot_forge_the_marker() -> None:
    """The marker key carries a fresh random nonce, so an object a client sends that looks
    like one stays an object (and is answered for what it is)."""
    forged = {"id": "f", "inputs": {"x": {"\u0000telltale:long:0": 5}}}
    body = _body(forged, {"id": "huge", "inputs": {"s": "x" * 100_000}})
    first, second = _answers(body)
    assert getattr(first, "inputs", None) == forged["inputs"]
    assert isinstance(second, RecordError) and second.field == "inputs.s"


def test_the_limit_is_the_servers_configured_one() -> None:
    body = _body({"id": "a", "inputs": {"s": "x" * 5000}})
    assert _answers(body, RecordLimits(max_string_len=1000)) == [
        RecordError(0, "inputs.s", "is a string of 5000 characters; the most is 1000 (max_string_len)")]
    raw = parse_body(body, RecordLimits(max_string_len=1000))
    assert isinstance(raw[0]["inputs"]["s"], LongText) and raw[0]["inputs"]["s"].chars == 5000
