"""Profile bytes: a faithful round trip, deterministic, compact, and never pickle."""

from __future__ import annotations

import numpy as np
import pytest

from telltale.profile import Profile
from telltale.spec import parse_spec
from telltale.types import PredictionRecord, Violation

SPEC = parse_spec("service: s\nowner: me\ninputs:\n  x: {type: float, range: [0, 10]}\n  c: {type: category, categories: [a]}\n")


def _profile() -> Profile:
    rng = np.random.default_rng(1)
    cols = Profile.from_columns(SPEC, {"x": rng.normal(5, 3, 50_000), "c": np.array(["a", "b"])[rng.integers(0, 2, 50_000)]})
    recs = Profile.from_records(SPEC, [PredictionRecord(id="1", service="s", ts=0.0, inputs={"x": float("inf"), "extra": 1},
                                                        output=2.0, source="rules", violations=[Violation("x", "type", "inf")])])
    return cols.merge(recs)


def test_round_trip_keeps_everything():
    p = _profile()
    data = p.to_bytes()
    q = Profile.from_bytes(data)
    assert q.n == p.n and q.sources == p.sources and q.violations == p.violations
    assert set(q.fields) == set(p.fields)
    for name, a in p.fields.items():
        b = q.fields[name]
        for attr in ("declared", "rows", "missing", "nulls", "nan", "inf", "mismatches", "below", "above", "unseen"):
            assert getattr(a, attr) == getattr(b, attr), (name, attr)
        assert np.array_equal(a.distinct.registers, b.distinct.registers)
        if a.numeric is not None:
            assert (b.numeric.count, b.numeric.min, b.numeric.max, b.numeric.mean, b.numeric.m2) == \
                   (a.numeric.count, a.numeric.min, a.numeric.max, a.numeric.mean, a.numeric.m2)
            assert b.numeric.quantiles([0.1, 0.5, 0.9]).tolist() == a.numeric.quantiles([0.1, 0.5, 0.9]).tolist()
        if a.categorical is not None:
            assert b.categorical.items() == a.categorical.items() and b.categorical.count == a.categorical.count
    assert np.array_equal(q.rows.registers, p.rows.registers)
    again = Profile.from_bytes(q.to_bytes())  # a second round trip changes nothing either
    assert again.fields["c"].categorical.items() == p.fields["c"].categorical.items()
    assert again.fields["x"].numeric.quantiles([0.5]).tolist() == p.fields["x"].numeric.quantiles([0.5]).tolist()
    assert q.merge(q).n == 2 * p.n  # a decoded profile merges like any other


def test_bytes_are_compact_and_not_pickle():
    data = _profile().to_bytes()
    assert data[:4] == b"TTPF"
    assert b"pickle" not in data and data[:2] != b"\x80\x04"
    assert len(data) < 40_000  # 50,000 rows: a few sketches, not the rows
    assert len(Profile().to_bytes()) < 200


@pytest.mark.parametrize("bad", [b"", b"nope", b"TTPF", b"TTPF" + b"\x00" * 20])
def test_garbage_is_a_clear_error(bad):
    with pytest.raises(ValueError, match="not a (readable )?telltale profile"):
        Profile.from_bytes(bad)
