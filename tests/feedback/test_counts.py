"""Trust counts of a batch per (hour, actor), counted at once, equal counting event by event."""

from __future__ import annotations

from telltale.feedback.counts import TrustCounts, counts_by_hour
from telltale.feedback.event import FeedbackEvent


def test_a_batch_counts_per_hour_and_actor_as_one_add_per_event() -> None:
    events = [
        FeedbackEvent("a", "s", 3599.9, label="yes", action="accepted", actor="ann"),
        FeedbackEvent("b", "s", 3600.0, label="no", action="overridden", value="no", actor="ann"),
        FeedbackEvent("c", "s", 3700.0, action="overridden", value="x", actor="ann"),
        FeedbackEvent("d", "s", 3800.0, label={"hallucination": True, "unsafe": False}, action="ignored"),
        FeedbackEvent("e", "s", 3900.0, label={"hallucination": False}),
        FeedbackEvent("f", "s", 7300.0, label="yes", actor="bob"),
    ]
    got = counts_by_hour(events)
    one: dict[tuple[int, str], TrustCounts] = {}
    for e in events:
        one.setdefault((int(e.ts // 3600) * 3600, e.actor or ""), TrustCounts()).add(e)
    assert got == one
    assert sorted(got) == [(0, "ann"), (3600, ""), (3600, "ann"), (7200, "bob")]
    assert got[(3600, "ann")].total == 2 and got[(3600, "ann")].actions["overridden"] == 2
    assert got[(3600, "")].flags == {"hallucination": [1, 2], "unsafe": [0, 1]}
    assert got[(3600, "")].actions == {"accepted": 0, "overridden": 0, "ignored": 1, "corrected": 0}
    assert counts_by_hour([]) == {}
