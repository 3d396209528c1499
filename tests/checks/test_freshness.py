"""Freshness of timestamp inputs against the spec's max_staleness_s, hand-counted."""

from __future__ import annotations

import numpy as np
import pytest

from telltale.checks import freshness, run_checks
from telltale.profile import Profile
from telltale.spec import parse_spec
from telltale.types import Window

SPEC = parse_spec("service: s\nowner: me\ninputs:\n  x: {type: float}\n  order_ts: {type: timestamp, max_staleness_s: 300}\n")
T = 1_767_225_600.0
WINDOW = Window.from_epoch(T, T + 300)


def _profile(ages_s: np.ndarray) -> Profile:
    ts = T - ages_s
    return Profile.from_columns(SPEC, {"x": np.ones(len(ts)), "order_ts": ts})


def test_stale_values_over_five_percent_are_critical():
    ages = np.concatenate([np.full(90, 60.0), np.full(10, 1800.0)])  # 10 of 100 older than 300 s
    (f,) = freshness.check(SPEC, _profile(ages), None, WINDOW)
    assert (f.kind, f.feature, f.severity, f.statistic, f.threshold) == ("freshness", "order_ts", "critical", "stale_share", 0.05)
    assert f.value == 0.1
    assert "older than its 300 s limit in 10% of 100 values" in f.message and "median age 60 s" in f.message


def test_a_few_stale_values_warn_and_fresh_ones_pass():
    ages = np.concatenate([np.full(197, 30.0), np.full(3, 900.0)])  # 1.5%
    (f,) = freshness.check(SPEC, _profile(ages), None, WINDOW)
    assert f.severity == "warning"
    assert freshness.check(SPEC, _profile(np.full(200, 299.0)), None, WINDOW) == []


def test_no_window_or_no_limit_means_no_check():
    stale = _profile(np.full(100, 5000.0))
    assert freshness.check(SPEC, stale, None, None) == []
    no_limit = parse_spec("service: s\nowner: me\ninputs:\n  order_ts: {type: timestamp}\n")
    assert freshness.check(no_limit, stale, None, WINDOW) == []
    assert "freshness" in {f.kind for f in run_checks(SPEC, stale, None, WINDOW)}


def _records_profile(spec, ages: list[float | None]):
    from telltale.types import PredictionRecord

    return Profile.from_records(spec, [
        PredictionRecord(f"r{i}", "s", T, {"x": 1.0}, event_ts=None if a is None else T - a) for i, a in enumerate(ages)])


def test_event_ts_older_than_guard_max_staleness_s_is_a_freshness_finding() -> None:
    spec = parse_spec("service: s\nowner: me\ninputs:\n  x: {type: float}\nguard: {max_staleness_s: 60}\n")
    # 12 of 200 records (6%) are over a minute old at decision time; 20 carry no event_ts
    ages = [5.0] * 168 + [600.0] * 12 + [None] * 20
    (f,) = freshness.check(spec, _records_profile(spec, ages), None, None)  # needs no window: each record has its own age
    assert (f.kind, f.feature, f.severity, f.statistic, f.threshold) == ("freshness", "event_ts", "critical", "stale_share", 0.05)
    assert f.value == pytest.approx(12 / 180)
    assert f.message.startswith("event_ts is older than its 60 s limit (guard.max_staleness_s) in 6.7% of 180 records")
    few = [5.0] * 195 + [600.0] * 5
    (w,) = freshness.check(spec, _records_profile(spec, few), None, WINDOW)
    assert (w.severity, w.value) == ("warning", pytest.approx(5 / 200))
    assert freshness.check(spec, _records_profile(spec, [5.0] * 200), None, WINDOW) == []
    no_limit = parse_spec("service: s\nowner: me\ninputs:\n  x: {type: float}\n")
    assert freshness.check(no_limit, _records_profile(no_limit, ages), None, WINDOW) == []
