"""``guard.feedback`` leaves through a background recorder and lands joined in the store."""

from __future__ import annotations

import time

from telltale.clock import ManualClock
from telltale.feedback import connect
from telltale.guard import Guard
from telltale.spec import parse_spec
from telltale.store import Store

SPEC = parse_spec("service: churn\nowner: me\ninputs:\n  x: {type: float}\noutput: {type: category, classes: [stay, leave]}\n"
                  "fallback: [abstain]\n")


def test_guard_feedback_reaches_the_store_of_its_recorder_and_joins(sqlite_url: str, clock: ManualClock) -> None:
    store = Store.open(sqlite_url)
    store.put_service("default", SPEC)
    with Guard(SPEC, model=lambda r: [0.2, 0.8], record_to=sqlite_url, clock=clock) as guard:
        decisions = [guard.predict({"x": float(i)}) for i in range(3)]
        clock.advance(6 * 3600)
        t = time.perf_counter()
        guard.feedback(decisions[0].id, label="leave", actor="ana")
        guard.feedback(decisions[1].id, label="stay", action="overridden", value="stay", actor="ana")
        spent = time.perf_counter() - t
        assert guard.flush_feedback(10)
    assert spent < 0.05  # two submits, no I/O on the caller's thread
    assert guard.feedback_stats.written == 2
    summary = store.read_perf_minutes("default", "churn", clock.now() - 7 * 3600, clock.now())
    assert [s.confusion for _, s in summary] == [{"leave\tleave": 1, "stay\tleave": 1}]
    assert summary[0][1].delay_sum == 2 * 6 * 3600


def test_feedback_client_for_another_process(sqlite_url: str) -> None:
    store = Store.open(sqlite_url)
    store.put_service("default", SPEC)
    with connect(sqlite_url) as fb:
        res = fb.send("churn", "not-seen-yet", label="stay", ts=1_767_225_600.0)
        again = fb.send("churn", "not-seen-yet", label="stay", ts=1_767_225_600.0)
    assert (res.pending, again.duplicates) == (1, 1)
