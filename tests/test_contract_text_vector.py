"""The contract on text and vector fields: each violation names the field, the value and the limit."""

from __future__ import annotations

import numpy as np
import pytest

from telltale.contract import Contract
from telltale.errors import SpecError
from telltale.spec import parse_spec

SPEC = """service: s
owner: me
inputs:
  review: {type: text, min_length: 2, max_length: 20, max_bytes: 30}
  emb: {type: vector, dim: 3}
"""


@pytest.fixture(scope="module")
def contract() -> Contract:
    return Contract(parse_spec(SPEC))


@pytest.mark.parametrize(("record", "expected"), [
    ({"review": "hello", "emb": [1.0, 2.0, 3]}, []),
    ({"review": "hello", "emb": (1.0, 2.0, 3.0)}, []),
    ({"review": "hello", "emb": np.array([1.0, 2.0, 3.0])}, []),
    ({"review": "h", "emb": [1.0, 2.0]},
     [("review", "range", "text of 1 character is shorter than min_length 2"), ("emb", "type", "expected a vector of 3 numbers, got 2")]),
    ({"review": "a" * 21, "emb": [1.0, float("nan"), 3.0]},
     [("review", "range", "text of 21 characters is longer than max_length 20"),
      ("emb", "type", "element 1 is nan: every element of a vector must be finite")]),
    ({"review": "é" * 16, "emb": [1.0, True, 3.0]},  # 16 characters, 32 bytes
     [("review", "range", "text of 32 UTF-8 bytes is over max_bytes 30"), ("emb", "type", "element 1 is bool True, not a number")]),
    ({"review": 5, "emb": "1,2,3"},
     [("review", "type", "expected text (a string), got int 5"), ("emb", "type", "expected a vector (a list of 3 numbers), got str '1,2,3'")]),
    ({"review": "ok", "emb": np.zeros((3, 1))}, [("emb", "type", "expected a vector of 3 numbers, got an array of shape (3, 1)")]),
    ({"review": "ok", "emb": [1e308, 1e308, 0.0]}, []),  # finite elements whose sum overflows: valid
])
def test_violations_name_field_kind_and_limit(contract, record, expected):
    assert [(v.field, v.kind, v.message) for v in contract.check(record)] == expected


@pytest.mark.parametrize(("field", "message"), [
    ("{type: vector}", "a vector field needs dim: the number of floats in each embedding (e.g. dim: 384)"),
    ("{type: float, dim: 3}", "dim is only meaningful for type 'vector', not 'float'"),
    ("{type: string, max_length: 3}", "max_length is only meaningful for type 'text', not 'string'"),
    ("{type: text, min_length: 5, max_length: 2}", "min_length 5 is greater than max_length 2"),
    ("{type: text, drift: {threshold: 0.4}}", "drift.threshold of a text field is the critical ROC AUC, between 0.5 and 1; got 0.4"),
    ("{type: vector, dim: 4, segment: true}", "a vector field cannot be a segment or an identifier; use a category or string field for that"),
])
def test_spec_refuses_what_the_types_cannot_use(field, message):
    with pytest.raises(SpecError) as e:
        parse_spec(f"service: s\nowner: me\ninputs:\n  x: {field}\n")
    assert [p.message for p in e.value.problems] == [message]
    assert e.value.problems[0].line == 4 and e.value.problems[0].key == "inputs.x"
