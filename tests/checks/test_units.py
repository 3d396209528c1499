"""The unit check: each common unit factor named, and no unit finding for changes that
are drift (1.5x scales, small shifts, spread changes)."""

from __future__ import annotations

import numpy as np
import pytest

from telltale.checks import units
from telltale.profile import Profile
from telltale.types import PredictionRecord, Window
from tests.checks.conftest import make_rows

N = 20_000


@pytest.fixture(scope="module")
def reference(spec):
    return Profile.from_columns(spec, make_rows(N, seed=1))


def _current(spec, field, fn, seed=2):
    d = make_rows(N, seed=seed)
    d[field] = fn(d[field])
    return Profile.from_columns(spec, d)


UNIT_CHANGES = [
    ("prep_time_s", lambda x: x * 1000, 1000, "milliseconds"),
    ("prep_time_s", lambda x: x / 3600, 1 / 3600, "hours"),
    ("wait_min", lambda x: x * 60, 60, "seconds"),
    ("tenure_days", lambda x: x / 30.436875, 1 / 30.436875, "months"),
    ("tenure_days", lambda x: x / 7, 1 / 7, "weeks"),
    ("distance_km", lambda x: x / 1.609344, 1 / 1.609344, "miles"),
    ("discount_fraction", lambda x: x * 100, 100, "a percentage"),
]


@pytest.mark.parametrize(("field", "fn", "factor", "unit"), UNIT_CHANGES, ids=[f"{f}-{u}" for f, _, _, u in UNIT_CHANGES])
def test_unit_change_is_named_with_its_factor(spec, reference, field, fn, factor, unit):
    findings = units.check(spec, _current(spec, field, fn), reference, None)
    assert [(f.feature, f.severity) for f in findings] == [(field, "critical")]
    f = findings[0]
    assert f.threshold == pytest.approx(factor)
    assert f.value == pytest.approx(factor, rel=0.05)  # the measured ratio of medians
    assert f"looks like {unit}" in f.message


DRIFTS = [
    ("prep_time_s", lambda x: x * 1.5),  # a 1.5x scale is not a unit
    ("distance_km", lambda x: x * 1.5),  # not even on a length field, 7% away from km/miles' 1.609
    ("distance_km", lambda x: x / 1.5),
    ("distance_km", lambda x: x + 0.1 * x.std()),  # a 0.1 sd shift
    ("prep_time_s", lambda x: x.mean() + 1.5 * (x - x.mean())),  # spread x1.5 around the mean
    ("tenure_days", lambda x: x * 1.2 + 40),
]


@pytest.mark.parametrize(("field", "fn"), DRIFTS, ids=range(len(DRIFTS)))
def test_drift_is_not_a_unit_change(spec, reference, field, fn):
    assert units.check(spec, _current(spec, field, fn), reference, None) == []


def test_without_reference_the_spec_range_is_the_baseline(spec):
    findings = units.check(spec, _current(spec, "prep_time_s", lambda x: x * 1000), None, None)
    assert len(findings) == 1
    f = findings[0]
    assert (f.feature, f.severity, f.threshold) == ("prep_time_s", "critical", 1000)
    assert "prep_time_s looks like milliseconds, not seconds: values are ~1000x the spec's range" in f.message
    assert "vs range 0-7200" in f.message


def test_without_unit_or_reference_a_power_of_ten_is_still_caught(spec):
    d = make_rows(N, seed=2)
    d["items"] = d["items"] * 1000  # items has no unit; range 1-50
    findings = units.check(spec, Profile.from_columns(spec, d), None, None)
    assert [(f.feature, f.threshold) for f in findings] == [("items", 1000)]
    assert "factor of 1000" in findings[0].message


def _records(spec, minute0, minutes, scale_from=None):
    """Records one minute apart per batch; prep_time_s in ms from minute ``scale_from`` on."""
    out = []
    rng = np.random.default_rng(minute0)
    for m in range(minute0, minute0 + minutes):
        d = make_rows(60, seed=1000 + m)
        for i in range(60):
            prep = float(d["prep_time_s"][i]) * (1000 if scale_from is not None and m >= scale_from else 1)
            inputs = {k: (v[i].item() if hasattr(v[i], "item") else v[i]) for k, v in d.items() if k != "eta"}
            inputs["prep_time_s"] = prep
            out.append(PredictionRecord(id=f"{m}-{i}", service="shop", ts=1_767_225_600 + 60 * m + i, inputs=inputs,
                                        output=float(rng.gamma(5, 6))))
    return out


def test_stream_switching_to_milliseconds_is_caught_in_the_first_window_after(spec):
    """Issue 2's scenario on the check alone: 5-minute windows from records, the switch
    at minute 15; no unit finding before it, one naming 1000 in the first window after."""
    recs = _records(spec, 0, 30, scale_from=15)
    seen = []
    for start in range(0, 30, 5):
        w = Window.from_epoch(1_767_225_600 + 60 * start, 1_767_225_600 + 60 * (start + 5))
        batch = [r for r in recs if 60 * start <= r.ts - 1_767_225_600 < 60 * (start + 5)]
        found = units.check(spec, Profile.from_records(spec, batch), None, w)
        seen.append((start, [(f.feature, f.threshold, f.window) for f in found]))
    assert seen[:3] == [(0, []), (5, []), (10, [])]
    assert seen[3][1] == [("prep_time_s", 1000, Window.from_epoch(1_767_225_600 + 900, 1_767_225_600 + 1200))]


def test_a_switch_inside_a_window_is_reported_with_its_share(spec):
    recs = _records(spec, 0, 5, scale_from=3)  # 2 of 5 minutes in ms
    found = units.check(spec, Profile.from_records(spec, recs), None, None)
    assert [(f.feature, f.severity) for f in found] == [("prep_time_s", "critical")]
    assert "in 40% of values" in found[0].message


def test_the_fields_own_unit_wins_over_a_generic_factor(spec):
    """Against the range 0-1 both 30.44 and 100 bring the values back; a fraction field's
    own conversion (to a percentage) is the one named."""
    findings = units.check(spec, _current(spec, "discount_fraction", lambda x: x * 100), None, None)
    assert [(f.feature, f.threshold) for f in findings] == [("discount_fraction", 100)]
    assert "looks like a percentage, not a fraction" in findings[0].message


def test_epoch_seconds_sent_as_milliseconds(spec):
    from telltale.spec import parse_spec

    s = parse_spec("service: t\nowner: me\ninputs:\n  created: {type: timestamp}\n")
    rng = np.random.default_rng(0)
    secs = 1_767_225_600 + rng.uniform(0, 86_400 * 30, 5000)
    ref = Profile.from_columns(s, {"created": secs})
    later = secs + 86_400 * 40  # forty days later: time moved on, the unit did not
    assert units.check(s, Profile.from_columns(s, {"created": later}), ref, None) == []
    found = units.check(s, Profile.from_columns(s, {"created": later * 1000}), ref, None)
    assert [(f.feature, f.threshold) for f in found] == [("created", 1000)]
    assert "seconds sent as milliseconds" in found[0].message
