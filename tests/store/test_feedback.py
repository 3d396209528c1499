"""Feedback in the store: pending until the prediction arrives, replays count once, the
newest label replaces (and un-folds) the older, and history keeps every event."""

from __future__ import annotations

import pytest

from telltale.feedback import FeedbackEvent
from telltale.performance import compute
from telltale.spec import parse_spec
from telltale.store import Store
from telltale.types import PredictionRecord

T0 = 1_767_225_600.0
SPEC = parse_spec("service: churn\nowner: me\ninputs:\n  x: {type: float}\noutput: {type: category, classes: [stay, leave]}\n")


def _rec(i: int, out: str, conf: float, ts: float = T0) -> PredictionRecord:
    return PredictionRecord(id=f"r{i}", service="churn", ts=ts, inputs={"x": float(i)}, output=out, confidence=conf)


@pytest.fixture
def store(db_url: str) -> Store:
    s = Store.open(db_url)
    s.put_service("p", SPEC)
    yield s
    s.close()


def _summary(store: Store):
    from telltale.performance import Summary

    return Summary.merge_all(s for _, s in store.read_perf_minutes("p", "churn", T0 - 3600, T0 + 3600))


def test_feedback_before_its_prediction_waits_then_joins_once(store: Store) -> None:
    events = [FeedbackEvent(f"r{i}", "churn", T0 + 6 * 3600, label="leave" if i % 2 else "stay") for i in range(4)]
    first = store.write_feedback("p", events)
    assert (first.accepted, first.pending, first.joined) == (4, 4, 0)
    assert _summary(store).n == 0
    recs = [_rec(i, "leave", 0.8) for i in range(4)]
    store.write_predictions("p", recs)
    store.write_predictions("p", recs)  # a replayed prediction batch joins nothing twice
    s = _summary(store)
    assert s.n == 4 and s.confusion == {"stay\tleave": 2, "leave\tleave": 2}
    assert s.delay_sum == pytest.approx(4 * 6 * 3600)
    again = store.write_feedback("p", events)  # a replayed feedback batch counts once
    assert (again.accepted, again.duplicates) == (0, 4)
    assert _summary(store).n == 4


def test_a_newer_label_replaces_and_unfolds_the_older_and_both_stay_in_history(store: Store) -> None:
    store.write_predictions("p", [_rec(1, "leave", 0.9)])
    store.write_feedback("p", [FeedbackEvent("r1", "churn", T0 + 60, label="stay", actor="ana")])
    assert compute(_summary(store), "leave")["accuracy"].value == 0.0
    res = store.write_feedback("p", [FeedbackEvent("r1", "churn", T0 + 120, label="leave", action="corrected", value="leave", actor="bo")])
    assert (res.replaced, res.joined) == (1, 1)
    s = _summary(store)
    assert s.n == 1 and s.confusion == {"leave\tleave": 1}
    late = store.write_feedback("p", [FeedbackEvent("r1", "churn", T0 + 90, label="stay")])  # older than the current one
    assert (late.accepted, late.stale, late.replaced) == (1, 1, 0)
    state = store.feedback_state("p", "churn", "r1")
    assert state.current.label == "leave" and state.current.actor == "bo" and state.joined
    assert [e.ts - T0 for e in state.history] == [60, 120, 90]
    trust = {(h - T0, a): c.total for h, a, c in store.read_trust_hours("p", "churn", T0, T0 + 3600)}
    assert trust == {(0.0, "ana"): 0, (0.0, "bo"): 1}  # ana's event was un-counted when bo's replaced it


def test_override_value_stands_in_for_a_missing_label(store: Store) -> None:
    store.write_predictions("p", [_rec(1, "leave", 0.7), _rec(2, "stay", 0.6)])
    store.write_feedback("p", [FeedbackEvent("r1", "churn", T0 + 5, action="overridden", value="stay"),
                               FeedbackEvent("r2", "churn", T0 + 5, action="accepted")])
    s = _summary(store)
    assert s.confusion == {"stay\tleave": 1}  # accepted carries no label: not scored, but counted for trust
    counts = [c for _, _, c in store.read_trust_hours("p", "churn", T0, T0 + 3600)]
    assert counts[0].actions["overridden"] == 1 and counts[0].actions["accepted"] == 1


def test_feedback_event_refuses_bad_content_naming_the_field() -> None:
    with pytest.raises(ValueError, match="feedback for 'r1': action must be one of accepted, overridden, ignored, corrected, got 'liked'"):
        FeedbackEvent("r1", "churn", T0, action="liked")
    with pytest.raises(ValueError, match="value is missing: an override carries the value the person chose instead"):
        FeedbackEvent("r1", "churn", T0, action="overridden")
