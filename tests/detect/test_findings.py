"""change_findings: per-minute signals from minute profiles to findings, and their lifecycle."""

from __future__ import annotations

import numpy as np
import pytest

from telltale.detect import LOOKBACK_S, SIGNALS, change_findings, change_findings_many, span_start
from telltale.profile import Profile
from telltale.store import Store
from telltale.types import FINDING_KINDS, PredictionRecord, Window

T0 = 1_767_225_600  # 2026-01-01 00:00 UTC, on the hour
HOURS = 7


def _minutes(stage_ms, calls: int = 40, seed: int = 0) -> list[tuple[int, Profile]]:
    """Minute profiles with a total latency and a ``retrieval`` stage whose median is ``stage_ms(minute)``."""
    rng = np.random.default_rng(seed)
    out = []
    for m in range(HOURS * 60):
        retrieval = stage_ms(m) * np.exp(rng.normal(0.0, 0.3, calls))
        total = retrieval + 20.0 * np.exp(rng.normal(0.0, 0.3, calls))
        out.append((T0 + 60 * m, Profile.from_columns(None, {"__stage_ms__:retrieval": retrieval, "__latency_ms__": total})))
    return out


def _window(m0: int, m1: int) -> Window:
    return Window.from_epoch(T0 + 60 * m0, T0 + 60 * m1)


def _creep(m: int) -> float:
    return 150.0 if 300 <= m < 360 else 50.0  # retrieval triples for an hour from minute 300 (05:00)


def test_a_stage_latency_step_is_one_finding_naming_the_stage_minutes_after_it_began():
    minutes = _minutes(_creep)
    assert all(change_findings(None, minutes, _window(m, m + 5)) == [] for m in range(120, 300, 5))
    [f] = [f for f in change_findings(None, minutes, _window(300, 305)) if f.feature == "retrieval"]
    assert (f.kind, f.severity, f.statistic) == ("latency", "critical", "cusum")
    assert f.message == (
        "median latency of stage 'retrieval' rose from 50.4 ms to 156 ms: the change began at 2026-01-01 05:00 UTC, "
        "detected at 2026-01-01 05:03 UTC; p95 latency of stage 'retrieval' rose from 84.3 ms to 265 ms: the change "
        "began at 2026-01-01 05:00 UTC, detected at 2026-01-01 05:04 UTC (CUSUM change detection, calibrated for one "
        "false alarm per signal a month)")
    assert f.value > f.threshold


def test_the_finding_lasts_while_the_change_does_and_ends_when_it_returns():
    minutes = _minutes(_creep)
    open_in = [m for m in range(300, 420, 5) if any(f.feature == "retrieval" for f in change_findings(None, minutes, _window(m, m + 5)))]
    # 05:00 to 06:10: the median's return is seen in the window of 06:00, the p95's in the next
    assert open_in == list(range(300, 370, 5))
    [last] = [f for f in change_findings(None, minutes, _window(360, 365)) if f.feature == "retrieval"]
    assert "back to its level since 2026-01-01 06:00 UTC" in last.message


def test_same_minutes_same_findings_and_later_minutes_change_nothing():
    minutes = _minutes(_creep)
    w = _window(330, 335)
    first = [f.to_dict() for f in change_findings(None, minutes, w)]
    assert first and first == [f.to_dict() for f in change_findings(None, list(minutes), w)]
    assert first == [f.to_dict() for f in change_findings(None, minutes[:335], w)]  # nothing after the window is read
    shuffled = [minutes[i] for i in np.random.default_rng(1).permutation(len(minutes))]
    assert first == [f.to_dict() for f in change_findings(None, shuffled, w)]


def test_many_windows_at_once_answer_as_each_alone():
    minutes = _minutes(_creep)
    windows = [_window(m, m + 5) for m in range(250, 420, 5)]
    many = [[f.to_dict() for f in fs] for fs in change_findings_many(None, minutes, windows)]
    assert many == [[f.to_dict() for f in change_findings(None, minutes, w)] for w in windows]
    assert sum(1 for fs in many if fs) == 14  # 05:00 to 06:10, as above


def test_the_span_is_bounded_and_on_the_hour():
    assert LOOKBACK_S == 6 * 3600
    assert span_start(T0 + 7 * 3600 + 1800) == T0 + 3600  # 6.5 h before is 01:30: the span starts at 01:00
    # a change older than the span is the new normal: the baseline is learnt on it
    minutes = _minutes(lambda m: 150.0 if m >= 30 else 50.0)
    assert [f for f in change_findings(None, minutes, _window(415, 420)) if f.feature == "retrieval"] == []


def _record(i: int, ts: float, guard: str | None) -> PredictionRecord:
    inputs = {"distance_km": 3.0, "prep_time_s": 600.0, "items": 2, "hour": 12, "weekday": 1, "city": "Lyon"}
    return PredictionRecord(id=f"r{i}", service="eta", ts=ts, inputs=inputs, output=30.0, latency_ms=40.0,
                            source="model" if guard is None else "rules", guard=guard)


@pytest.fixture
def store(db_url, eta_spec):
    s = Store.open(db_url)
    s.put_service("p", eta_spec)
    yield s
    s.close()


def test_an_error_burst_through_a_real_store(store, eta_spec):
    # 20 calls a minute for four hours, one model error in fifty; from minute 200, one in four
    rng = np.random.default_rng(3)
    records = []
    for m in range(240):
        p = 0.25 if m >= 200 else 0.02
        for j in range(20):
            records.append(_record(m * 20 + j, T0 + 60 * m + 3 * j, "model_error" if rng.random() < p else None))
    store.write_predictions("p", records)
    w = _window(200, 205)
    minutes = store.read_minutes("p", "eta", span_start(w.end.timestamp()), w.end.timestamp())
    found = {(f.kind, f.feature): f for f in change_findings(eta_spec, minutes, w)}
    assert set(found) == {("errors", None), ("fallback", None), ("guard", "model_error")}
    assert found[("errors", None)].message == (
        "error rate rose from 2.2% to 22%: the change began at 2026-01-01 03:19 UTC, detected at 2026-01-01 03:21 UTC "
        "(CUSUM change detection, calibrated for one false alarm per signal a month)")  # began: the estimate, a minute early
    assert all(change_findings(eta_spec, minutes, _window(m, m + 5)) == [] for m in range(120, 200, 5))


def test_a_guard_that_goes_silent_and_nulls_that_creep_in(eta_spec):
    rng = np.random.default_rng(4)
    minutes = []
    for m in range(300):
        recs = []
        for j in range(30):
            r = _record(m * 30 + j, T0 + 60 * m + 2 * j, "ood" if m < 240 and rng.random() < 0.1 else None)
            if m >= 240 and rng.random() < 0.3:
                r.inputs["distance_km"] = None
            recs.append(r)
        minutes.append((T0 + 60 * m, Profile.from_records(eta_spec, recs)))
    found = {(f.kind, f.feature): f for f in change_findings(eta_spec, minutes, _window(250, 255))}
    assert set(found) == {("guard", "ood"), ("nulls", "distance_km")}  # fewer fallbacks is no problem
    assert " fell from " in found[("guard", "ood")].message
    assert found[("nulls", "distance_km")].message == (
        "null share of distance_km rose from 0% to 29%: the change began at 2026-01-01 04:00 UTC, detected at "
        "2026-01-01 04:00 UTC (CUSUM change detection, calibrated for one false alarm per signal a month)")


def test_every_signal_raises_a_kind_of_the_vocabulary_once_named():
    assert {s.kind for s in SIGNALS} <= FINDING_KINDS
    assert len({s.name for s in SIGNALS}) == len(SIGNALS)
    assert {s.kind for s in SIGNALS} == {"nulls", "latency", "errors", "cost", "fallback", "guard"}
