"""Late records: a window evaluated before is evaluated again when its profiles change."""

from __future__ import annotations

from telltale.clock import ManualClock
from telltale.monitor.tick import tick
from telltale.store import Store

from .traffic import PROJECT, T0, record, replay


def test_late_records_reopen_their_window_and_the_finding_lands_where_they_belong(db_url, eta_spec):
    clock = ManualClock(T0)
    store = Store.open(db_url, clock=clock)
    store.put_service(PROJECT, eta_spec)
    replay(store, clock, 30, 10, lambda i, ts: record(i, ts), lambda now: tick(store, now))
    assert store.findings(PROJECT, "eta", state="all") == []
    assert store.monitor_cursor(PROJECT, "eta").evaluated_until == T0 + 25 * 60  # 00:25-00:30 closes at 00:30:30

    # a spilled batch from 00:10-00:15 arrives at 00:30, every record in milliseconds
    store.write_predictions(PROJECT, [record(5000 + k, T0 + 600 + k * 5, switched=True) for k in range(60)])
    assert [(t.windows, t.late) for t in tick(store, clock.now())] == [(0, 1)]
    found = {f.kind: f for f in store.findings(PROJECT, "eta", state="all")}
    assert {"unit", "range", "fallback"} <= set(found)
    unit = found["unit"]
    assert (unit.opened, unit.last_seen, unit.resolved) == (T0 + 600, T0 + 900, T0 + 900)  # windows after it were clean
    assert found["range"].cause == unit.id and found["fallback"].cause == unit.id
    assert [e.window.start.timestamp() for e in store.finding_evidence(PROJECT, unit.id)] == [T0 + 600]

    before = store.findings(PROJECT, "eta", state="all")
    clock.advance(60)
    tick(store, clock.now())  # nothing new: the same memory
    tick(store, clock.now())
    assert store.findings(PROJECT, "eta", state="all") == before
    store.close()
