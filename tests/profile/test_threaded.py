"""Large batches profile their columns on threads: the profile is the same bytes as one
profiled column by column, so a report's verdict cannot depend on thread timing."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from telltale.profile import profile as profile_module
from telltale.profile.profile import Profile
from telltale.spec import parse_spec

SPEC = parse_spec("""
service: s
owner: o
inputs:
  a: {type: float}
  b: {type: int}
  c: {type: category}
  note: {type: text}
  gone: {type: float}
output: {type: float}
fallback: [{default: 0.0}]
""")


def _table(n: int) -> pa.Table:
    rng = np.random.default_rng(7)
    words = np.array(["late delivery again", "fine", "the courier was early and polite", "no comment at all"])
    mask = np.zeros(n, dtype=bool)
    mask[::97] = True
    return pa.table({"a": pa.array(rng.normal(10, 2, n), mask=mask), "b": rng.integers(0, 50, n), "c": rng.choice(["x", "y", "z"], n),
                     "note": rng.choice(words, n), "extra": rng.random(n)})


def test_threaded_and_sequential_profiles_are_the_same_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    table = _table(profile_module.THREADED_ROWS + 1)
    threaded = Profile.from_columns(SPEC, table)
    monkeypatch.setattr(profile_module, "THREADED_ROWS", 10**12)
    sequential = Profile.from_columns(SPEC, table)
    assert threaded.to_bytes() == sequential.to_bytes()
    assert list(threaded.fields) == list(sequential.fields)
    assert threaded.fields["a"].nulls == len(range(0, table.num_rows, 97))
    assert threaded.fields["gone"].missing == table.num_rows
