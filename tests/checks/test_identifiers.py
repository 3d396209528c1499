"""Identifier inputs (``identifier: true``): checked for type and nulls, left out of what
a row key would break: duplicate rows, units and drift."""

from __future__ import annotations

import numpy as np

from telltale.checks import run_checks
from telltale.profile import Profile
from telltale.spec import parse_spec

SPEC = """\
service: s
owner: me
inputs:
  order_id: {type: int, identifier: true, required: false}
  amount: {type: float}
  city: {type: category, categories: [a, b, c]}
"""


def _batch(n: int, seed: int, first_id: int, *, replay: float = 0.0) -> dict:
    rng = np.random.default_rng(seed)
    amount = rng.gamma(3, 10, n)
    city = rng.choice(["a", "b", "c"], n)
    k = int(replay * n)
    amount[n - k:], city[n - k:] = amount[:k], city[:k]  # a replayed slice: same inputs, new ids
    return {"order_id": np.arange(first_id, first_id + n), "amount": amount, "city": city}


def test_duplicate_rows_are_seen_through_a_fresh_id_and_a_running_id_raises_nothing():
    spec = parse_spec(SPEC)
    reference = Profile.from_columns(spec, _batch(20_000, 1, 0))
    clean = run_checks(spec, Profile.from_columns(spec, _batch(20_000, 2, 10_000_000)), reference)
    assert clean == []  # ids a thousand times larger than the reference's: no unit, range or drift finding
    replayed = run_checks(spec, Profile.from_columns(spec, _batch(20_000, 3, 20_000_000, replay=0.3)), reference)
    dup = [f for f in replayed if f.kind == "duplicates"]
    assert len(dup) == 1 and dup[0].severity == "critical" and 0.27 < dup[0].value < 0.33
    assert not [f for f in replayed if f.feature == "order_id"]


def test_without_the_flag_a_running_id_is_a_drifting_field():
    spec = parse_spec(SPEC.replace("identifier: true, ", ""))
    reference = Profile.from_columns(spec, _batch(20_000, 1, 0))
    found = run_checks(spec, Profile.from_columns(spec, _batch(20_000, 2, 10_000_000)), reference)
    assert {f.kind for f in found if f.feature == "order_id"} >= {"drift"}
