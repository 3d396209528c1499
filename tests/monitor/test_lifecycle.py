"""The monitor remembers: one ongoing problem is one stored finding, opened and resolved
within one window of the truth, with a unit change's consequences under it."""

from __future__ import annotations

import pytest

from telltale.clock import ManualClock
from telltale.monitor.incidents import incidents
from telltale.monitor.tick import WINDOW_S
from telltale.server.jobs import default_jobs
from telltale.store import Store

from .traffic import PROJECT, T0, record, replay, with_reference


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(T0)


def _store(url: str, clock: ManualClock, spec, reference: bool) -> Store:
    store = Store.open(url, clock=clock)
    if reference:
        with_reference(store, spec)
    else:
        store.put_service(PROJECT, spec)
    return store


def test_a_three_hour_fault_is_one_stored_finding_opened_and_resolved_within_a_window(sqlite_url, clock, eta_spec):
    store = _store(sqlite_url, clock, eta_spec, reference=False)
    jobs = default_jobs(store, clock=clock)
    began, ended = T0 + 3600 + 7 * 60, T0 + 4 * 3600 + 7 * 60  # 01:07 to 04:07, mid-window both
    seen_open = []

    def each_minute(now: float) -> None:
        jobs.run_due(now)
        if now == T0 + 2.5 * 3600:  # half-way through: it is open, and it is one finding
            seen_open.extend(f for f in store.findings(PROJECT, "eta", state="open") if f.kind == "unit")

    replay(store, clock, 5 * 60, 6, lambda i, ts: record(i, ts, switched=began <= ts < ended), each_minute)
    assert [f.resolved for f in seen_open] == [None]

    (unit,) = [f for f in store.findings(PROJECT, "eta", state="all") if f.kind == "unit"]
    assert unit.feature == "prep_time_s" and unit.severity == "critical"
    assert unit.fingerprint == "eta/unit/prep_time_s" and unit.id == seen_open[0].id
    assert began - WINDOW_S < unit.opened <= began and unit.opened == T0 + 3600 + 5 * 60
    assert ended <= unit.resolved < ended + WINDOW_S and unit.resolved == unit.last_seen == T0 + 4 * 3600 + 10 * 60
    evidence = store.finding_evidence(PROJECT, unit.id)
    assert len(evidence) == 37  # 01:05 to 04:10 in 5-minute windows, every one of them
    assert [e.window.start.timestamp() for e in evidence] == [unit.opened + k * WINDOW_S for k in range(37)]
    assert store.findings(PROJECT, "eta", state="open", since=ended + 3600) == [f for f in store.findings(PROJECT, "eta", state="open") if f.kind != "unit"]
    assert store.finding(PROJECT, unit.id) == unit


def test_a_unit_change_is_one_incident_whose_cause_is_the_unit_finding(db_url, clock, eta_spec):
    store = _store(db_url, clock, eta_spec, reference=True)
    jobs = default_jobs(store, clock=clock)
    began, ended = T0 + 20 * 60, T0 + 35 * 60
    replay(store, clock, 60, 20, lambda i, ts: record(i, ts, switched=began <= ts < ended), jobs.run_due)

    found = store.findings(PROJECT, "eta", state="all")
    groups = incidents(found)
    (incident,) = [i for i in groups if i.cause.kind == "unit"]
    assert incident.cause.feature == "prep_time_s" and incident.cause.cause is None
    assert sorted((f.kind, f.feature) for f in incident.consequences) == [
        ("drift", "prep_time_s"), ("fallback", None), ("guard", "contract"), ("range", "prep_time_s")]
    assert all(f.cause == incident.cause.id for f in incident.consequences)
    assert (incident.opened, incident.resolved) == (began, ended)
    # nothing of the fault is left standing as an incident of its own
    assert [(i.cause.kind, i.cause.feature) for i in groups if i is not incident and i.cause.opened < ended] == []

