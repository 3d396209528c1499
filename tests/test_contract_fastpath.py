"""The contract's generated fast path never changes an answer: on any record, the check
with the shortcut equals the full check without it (violations and messages)."""

from __future__ import annotations

import math

from hypothesis import given, settings, strategies as st

from telltale.contract import Contract
from telltale.spec import spec_from_dict

SPEC = spec_from_dict({
    "service": "s", "owner": "o",
    "inputs": {
        "f": {"type": "float", "range": [0, 10]},
        "fo": {"type": "float"},
        "fn": {"type": "float", "range": [0, 1], "nullable": True, "required": False},
        "i": {"type": "int", "range": [1, 5]},
        "c": {"type": "category", "categories": ["a", "b"]},
        "co": {"type": "category"},
        "b": {"type": "bool", "nullable": True},
        "s": {"type": "string"},
        "t": {"type": "timestamp"},
    },
})

values = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 12), st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(["a", "b", "z", "2026-01-01T00:00:00", ""]), st.just(math.nan),
)
keys = st.sampled_from(["f", "fo", "fn", "i", "c", "co", "b", "s", "t", "extra"])


@settings(max_examples=800, deadline=None)
@given(st.dictionaries(keys, values, max_size=10))
def test_fast_path_agrees_with_the_full_check(record):
    fast = Contract(SPEC)
    full = Contract(SPEC)
    full._valid = lambda r: False  # force the full check
    assert fast.check(record) == full.check(record)


def test_a_valid_record_takes_the_fast_path():
    c = Contract(SPEC)
    rec = {"f": 1.0, "fo": -1e9, "fn": None, "i": 3, "c": "a", "co": "zz", "b": True, "s": "x", "t": 1.7e9}
    assert c._valid(rec) and c.check(rec) == []
    assert not c._valid({**rec, "extra": 1})  # an unexpected field goes to the full check
