"""Change correlation: the store logs version changes at ingest, and a finding names the nearest one before it."""

from __future__ import annotations

import pytest

from telltale.clock import ManualClock
from telltale.server.jobs import default_jobs
from telltale.store import Store

from .traffic import PROJECT, T0, record, replay


@pytest.fixture
def store(db_url, eta_spec):
    clock = ManualClock(T0)
    s = Store.open(db_url, clock=clock)
    s.put_service(PROJECT, eta_spec)
    s.clock = clock  # for the test
    yield s
    s.close()


def test_a_component_change_followed_by_a_fault_is_named_by_the_finding(store):
    changed, began = T0 + 24 * 60, T0 + 30 * 60  # retrieval_filter v3 -> v4 at 00:24, the unit switch at 00:30

    def make(i: int, ts: float):
        return record(i, ts, switched=ts >= began, components={"retrieval_filter": "v4" if ts >= changed else "v3", "prompt": "p1"})

    jobs = default_jobs(store, clock=store.clock)
    replay(store, store.clock, 45, 10, make, jobs.run_due)
    (log,) = store.changes(PROJECT, "eta", T0, T0 + 3600)
    assert (log.component, log.from_version, log.to_version, log.first_seen) == ("retrieval_filter", "v3", "v4", changed)
    (unit,) = [f for f in store.findings(PROJECT, "eta", state="all") if f.kind == "unit"]
    assert unit.opened == began
    assert unit.change == "began 6 minutes after retrieval_filter changed v3 -> v4 (2026-01-01T00:24:00Z)"


def test_the_change_log_ignores_repeats_late_records_canaries_and_interleaving_but_not_a_rollback(store):
    def batch(start: int, ts: float, filt: str, *, n: int = 5, **kw):
        return [record(start + k, ts + k, components={"retrieval_filter": filt}, **kw) for k in range(n)]

    store.write_predictions(PROJECT, batch(0, T0, "v3"))  # the first sighting is not a change
    store.write_predictions(PROJECT, batch(10, T0 + 60, "v3"))
    store.write_predictions(PROJECT, batch(20, T0 + 120, "v4"))  # v3 -> v4
    store.write_predictions(PROJECT, batch(30, T0 + 130, "v3"))  # a replica not yet rolled: interleaving, no change
    store.write_predictions(PROJECT, batch(40, T0 + 50, "v3"))  # a late record of the old version
    store.write_predictions(PROJECT, batch(50, T0 + 200, "v9", source="canary", version="2026-12-01"))  # a canary
    store.write_predictions(PROJECT, batch(60, T0 + 300, "v4"))
    store.write_predictions(PROJECT, batch(60, T0 + 300, "v4"))  # the same batch again
    store.write_predictions(PROJECT, batch(70, T0 + 3 * 3600, "v3"))  # v3 back after hours: a rollback
    got = [(c.component, c.from_version, c.to_version, c.first_seen - T0) for c in store.changes(PROJECT, "eta", 0, T0 + 86400)]
    assert got == [("retrieval_filter", "v3", "v4", 120.0), ("retrieval_filter", "v4", "v3", 3 * 3600.0)]
    model = [(c.from_version, c.to_version) for c in store.changes(PROJECT, "eta", 0, T0 + 86400) if c.component == "model"]
    assert model == []  # the canary's model version is not a change of the primary
