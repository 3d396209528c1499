"""The background loop: ticks in registration order on their own periods; a failing one stops nothing."""

from __future__ import annotations

import time

import pytest

from telltale.clock import ManualClock
from telltale.server.jobs import Jobs, default_jobs
from telltale.store import Store


def test_ticks_run_in_order_on_their_periods_and_a_failure_stops_nothing():
    calls: list[tuple[str, float]] = []
    jobs = Jobs(Store.open("sqlite://"), clock=ManualClock(0.0))
    jobs.add("monitor", 60, lambda store, now: calls.append(("monitor", now)))
    jobs.add("policy", 60, lambda store, now: 1 / 0)
    jobs.add("alerts", 30, lambda store, now: calls.append(("alerts", now)))
    for now in (0.0, 29.0, 30.0, 60.0):
        jobs.run_due(now)
    assert calls == [("monitor", 0.0), ("alerts", 0.0), ("alerts", 30.0), ("monitor", 60.0), ("alerts", 60.0)]
    assert jobs.stats() == {"monitor": (2, 0), "policy": (2, 2), "alerts": (3, 0)}
    with pytest.raises(ValueError, match="every_s must be > 0 seconds, got 0"):
        jobs.add("x", 0, lambda store, now: None)
    with pytest.raises(ValueError, match="'alerts' is registered already"):
        jobs.add("alerts", 5, lambda store, now: None)


def test_serve_runs_the_monitor_first_and_the_thread_ticks_until_stopped():
    store = Store.open("sqlite://")
    assert default_jobs(store).names[0] == "monitor"
    seen = []
    jobs = Jobs(store)
    jobs.add("probe", 0.05, lambda s, now: seen.append(now))
    jobs.start()
    deadline = time.monotonic() + 5
    while len(seen) < 3 and time.monotonic() < deadline:
        time.sleep(0.02)
    jobs.stop()
    n = len(seen)
    time.sleep(0.2)
    assert n >= 3 and len(seen) == n  # it ticked, and stopped ticking
