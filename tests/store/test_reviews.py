"""The review queue: routed and sampled low-confidence decisions, claims that lapse,
decisions that become feedback from the reviewer."""

from __future__ import annotations

import pytest

from telltale.clock import ManualClock
from telltale.spec import parse_spec
from telltale.store import Store
from telltale.store._reviews import ReviewConflict, sampled
from telltale.types import PredictionRecord

SPEC = parse_spec("service: churn\nowner: me\ninputs:\n  x: {type: float}\noutput: {type: category, classes: [stay, leave]}\n"
                  "review: {low_confidence: 0.6, sample: 0.5, claim_s: 600}\n")


@pytest.fixture
def store(db_url: str, clock: ManualClock) -> Store:
    s = Store.open(db_url, clock=clock)
    s.put_service("p", SPEC)
    t0 = clock.now()
    recs = []
    for i in range(100):
        if i % 10 == 0:
            recs.append(PredictionRecord(id=f"r{i:03d}", service="churn", ts=t0 + i, inputs={"x": 1.0}, source="review", reasons=["low confidence"]))
        else:
            recs.append(PredictionRecord(id=f"r{i:03d}", service="churn", ts=t0 + i, inputs={"x": 1.0}, output="leave",
                                         confidence=0.55 if i < 50 else 0.95))
    s.write_predictions("p", recs)
    s.write_predictions("p", recs)  # a replay enqueues nothing twice
    clock.advance(3600)
    yield s
    s.close()


def test_queue_holds_routed_and_a_deterministic_sample_of_low_confidence(store: Store, clock: ManualClock) -> None:
    low = [f"r{i:03d}" for i in range(50) if i % 10 and sampled(f"r{i:03d}", 0.5)]
    assert 10 < len(low) < 30  # about half of the 36 low-confidence ones
    stats = store.review_stats("p", "churn")
    assert (stats.size, stats.oldest_age_s, stats.claimed) == (10 + len(low), 3600.0, 0)
    items = store.review_items("p", "churn", limit=1000)
    assert sorted(i.prediction_id for i in items if i.reason == "low_confidence") == low
    assert items[0].prediction_id == "r000" and items[0].reason == "review" and items[0].record.reasons == ["low confidence"]


def test_claims_do_not_overlap_and_lapse(store: Store, clock: ManualClock) -> None:
    ana = [i.prediction_id for i in store.claim_reviews("p", "churn", "ana", 3)]
    bo = [i.prediction_id for i in store.claim_reviews("p", "churn", "bo", 3)]
    assert ana[0] == "r000" and not set(ana) & set(bo)
    with pytest.raises(ReviewConflict, match="decision 'r000' is claimed by 'ana' until their claim lapses"):
        store.decide_review("p", "churn", "r000", "bo", label="stay")
    clock.advance(601)  # past review.claim_s: ana's claims go back to the queue
    assert [i.prediction_id for i in store.claim_reviews("p", "churn", "bo", 3)] == ana


def test_a_decision_is_feedback_from_the_reviewer(store: Store) -> None:
    store.claim_reviews("p", "churn", "ana", 1)
    before = store.review_stats("p", "churn").size
    res = store.decide_review("p", "churn", "r000", "ana", label="leave")
    assert store.review_stats("p", "churn").size == before - 1
    assert (res.accepted, res.joined) == (1, 1)
    state = store.feedback_state("p", "churn", "r000")
    assert (state.current.actor, state.current.label) == ("ana", "leave")
    with pytest.raises(ReviewConflict, match="was already reviewed; send feedback to change its label"):
        store.decide_review("p", "churn", "r000", "ana", label="stay")
    assert [i.prediction_id for i in store.review_items("p", "churn", state="decided")] == ["r000"]
