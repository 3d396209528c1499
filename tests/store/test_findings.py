"""The stored findings' lifecycle, rule by rule, on hand-made window verdicts (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest

from telltale.store import Store
from telltale.store._findings import Cursor, Evaluated
from telltale.types import Finding, Window

T0 = 1_767_225_600.0
W = 300.0


def _f(kind: str, feature: str | None, severity: str = "critical", value: float = 1.0) -> Finding:
    return Finding(kind, feature, severity, "stat", value, 0.5, None, f"{kind} {feature} {value}")


def _win(k: int, *found: Finding, n: int = 100, late: bool = False, causes: dict | None = None) -> Evaluated:
    w0 = T0 + k * W
    window = Window.from_epoch(w0, w0 + W)
    return Evaluated(w0, w0 + W, n, tuple(Finding(f.kind, f.feature, f.severity, f.statistic, f.value, f.threshold, window, f.message) for f in found),
                     causes or {}, late)


class Monitor:
    """Feeds windows to the store one tick at a time, as monitor/tick.py does."""

    def __init__(self, store: Store) -> None:
        self.store, self.cursor = store, None

    def feed(self, *windows: Evaluated) -> None:
        end = max([self.cursor.evaluated_until if self.cursor else T0] + [w.end for w in windows if not w.late])
        advance = Cursor(end, 0.0)
        assert self.store.record_windows("p", "eta", windows, window_s=W, expect=self.cursor, advance=advance)
        self.cursor = advance


@pytest.fixture
def monitor(db_url: str) -> Monitor:
    s = Store.open(db_url)
    yield Monitor(s)
    s.close()


def test_resolved_after_two_windows_with_records_lack_it_and_not_by_empty_ones(monitor):
    nulls = _f("nulls", "distance_km")
    monitor.feed(_win(0, nulls), _win(1, _f("nulls", "distance_km", "warning")))
    monitor.feed(_win(2), _win(3, n=0), _win(4, n=0))  # one clean window, then no traffic: still open
    (f,) = monitor.store.findings("p", "eta", state="open")
    assert (f.opened, f.last_seen, f.resolved, f.severity) == (T0, T0 + 2 * W, None, "critical")
    monitor.feed(_win(5))  # the second window with records without it
    assert monitor.store.findings("p", "eta", state="open") == []
    (f,) = monitor.store.findings("p", "eta", state="resolved")
    assert f.resolved == f.last_seen == T0 + 2 * W
    assert [e.window.start.timestamp() for e in monitor.store.finding_evidence("p", f.id)] == [T0, T0 + W]
    monitor.feed(_win(9, nulls))  # back later: a new occurrence, a new id
    again = monitor.store.findings("p", "eta", state="open")
    assert [(g.opened, g.id != f.id) for g in again] == [(T0 + 9 * W, True)]


def test_a_quiet_service_resolves_after_an_hour_and_one_gap_does_not(monitor):
    drift = _f("drift", "city")
    monitor.feed(_win(0, drift), _win(1), _win(2, drift))  # one clean window between: one finding
    assert len(monitor.store.findings("p", "eta", state="all")) == 1
    monitor.feed(*(_win(k, n=0) for k in range(3, 3 + 12)))  # an hour without records
    (f,) = monitor.store.findings("p", "eta", state="all")
    assert f.resolved == T0 + 3 * W


def test_spans_and_states_select_what_overlaps(monitor):
    monitor.feed(_win(0, _f("range", "items")), _win(1), _win(2), _win(3, _f("unit", "prep_time_s")))
    s = monitor.store
    assert [f.kind for f in s.findings("p", "eta", state="all")] == ["range", "unit"]
    assert [f.kind for f in s.findings("p", "eta", state="all", since=T0 + 2 * W)] == ["unit"]  # range ended at 00:05
    assert [f.kind for f in s.findings("p", "eta", state="all", until=T0 + 3 * W)] == ["range"]
    assert [f.kind for f in s.findings("p", "eta", state="resolved")] == ["range"]
    with pytest.raises(ValueError, match="state must be one of open, resolved, all, got 'closed'"):
        s.findings("p", "eta", state="closed")
    assert s.finding("p", "nope") is None and s.finding("other", s.findings("p", "eta")[0].id) is None


def test_a_re_evaluated_window_replaces_its_evidence_only(monitor):
    cat = _f("category", "city")
    monitor.feed(_win(0, cat), _win(1, cat), _win(2, cat))
    (f,) = monitor.store.findings("p", "eta", state="all")
    monitor.feed(_win(0, late=True))  # late records diluted the first window: it no longer shows it
    (g,) = monitor.store.findings("p", "eta", state="all")
    assert (g.id, g.opened, g.last_seen) == (f.id, T0 + W, T0 + 3 * W)
    monitor.feed(_win(1, late=True), _win(2, late=True))  # and the rest: nothing is left of it
    assert monitor.store.findings("p", "eta", state="all") == []


def test_a_late_window_far_behind_joins_nothing_and_is_resolved(monitor):
    monitor.feed(*(_win(k) for k in range(10)))
    monitor.feed(_win(2, _f("schema", "vehicle"), late=True))
    (f,) = monitor.store.findings("p", "eta", state="all")
    assert (f.opened, f.last_seen, f.resolved) == (T0 + 2 * W, T0 + 3 * W, T0 + 3 * W)


def test_a_cause_links_its_consequences_and_they_end_with_it(monitor):
    unit, rng = _f("unit", "prep_time_s"), _f("range", "prep_time_s")
    causes = {"eta/range/prep_time_s": "eta/unit/prep_time_s"}
    monitor.feed(_win(0, unit, rng, causes=causes), _win(1, unit, rng, causes=causes))
    monitor.feed(_win(2, rng), _win(3, rng))  # the unit finding is gone; the range finding alone lingers
    by_kind = {f.kind: f for f in monitor.store.findings("p", "eta", state="all")}
    assert by_kind["range"].cause == by_kind["unit"].id
    # the cause ended at 00:10 (two windows without it); its consequence is closed in the same
    # tick, at its own last window: nothing of the incident stays open
    assert (by_kind["unit"].resolved, by_kind["range"].resolved) == (T0 + 2 * W, T0 + 4 * W)
    monitor.feed(_win(4, rng))  # still out of range with no unit change behind it: a problem of its own
    (alone,) = monitor.store.findings("p", "eta", state="open")
    assert (alone.kind, alone.cause, alone.opened) == ("range", None, T0 + 4 * W)
