"""The hot-path contract: each kind of violation, named by field, and the valid fast path."""

from __future__ import annotations

import math

import numpy as np
import pytest

from telltale.contract import Contract
from telltale.spec import parse_spec

SPEC = parse_spec(
    """\
service: s
owner: me
inputs:
  x: {type: float, range: [0, 10]}
  n: {type: int, range: [1, 5]}
  city: {type: category, categories: [Lyon, Paris]}
  flag: {type: bool}
  note: {type: string, nullable: true, required: false}
  at: {type: timestamp}
"""
)
GOOD = {"x": 1.5, "n": 3, "city": "Lyon", "flag": True, "note": None, "at": "2026-01-01T00:00:00+00:00"}


def _check(**changes):
    rec = {**GOOD, **changes}
    for k, v in list(rec.items()):
        if v is _DROP:
            del rec[k]
    return [(v.field, v.kind, v.message, v.required) for v in Contract(SPEC).check(rec)]


_DROP = object()


def test_valid_record_has_no_violations():
    assert Contract(SPEC).check(GOOD) == []


@pytest.mark.parametrize(
    "changes, expected",
    [
        ({"x": 10.5}, ("x", "range", "value 10.5 is above the maximum 10.0", True)),
        ({"x": -1}, ("x", "range", "value -1 is below the minimum 0.0", True)),
        ({"x": "1.5"}, ("x", "type", "expected a number, got str '1.5'", True)),
        ({"x": True}, ("x", "type", "expected a number, got bool True", True)),
        ({"x": math.inf}, ("x", "type", "expected a finite number, got inf", True)),
        ({"x": math.nan}, ("x", "nulls", "is null but the contract says it is not nullable", True)),
        ({"x": np.float64("nan")}, ("x", "nulls", "is null but the contract says it is not nullable", True)),
        ({"x": None}, ("x", "nulls", "is null but the contract says it is not nullable", True)),
        ({"x": _DROP}, ("x", "schema", "is missing", True)),
        ({"n": 2.5}, ("n", "type", "expected an integer, got float 2.5", True)),
        ({"n": 6}, ("n", "range", "value 6 is above the maximum 5.0", True)),
        ({"city": "Rome"}, ("city", "category", "unseen category 'Rome'", True)),
        ({"city": 3}, ("city", "type", "expected a category (string), got int 3", True)),
        ({"flag": 1}, ("flag", "type", "expected a bool, got int 1", True)),
        ({"note": 7}, ("note", "type", "expected a string, got int 7", False)),
        ({"at": "yesterday"}, ("at", "type", "expected a timestamp (epoch seconds or ISO 8601), got str 'yesterday'", True)),
        ({"extra": 1}, ("extra", "schema", "is not in the contract (unexpected field)", False)),
    ],
)
def test_each_violation_names_field_kind_and_reason(changes, expected):
    assert _check(**changes) == [expected]


def test_numpy_scalars_and_integral_floats_are_accepted():
    assert _check(x=np.float32(2.0), n=4.0) == []


def test_nullable_field_may_be_missing_or_null():
    assert _check(note=_DROP) == []


def test_blocking_keeps_only_required_fields():
    c = Contract(SPEC)
    vs = c.check({**GOOD, "note": 1, "x": 99.0})
    assert [v.field for v in c.blocking(vs)] == ["x"]
