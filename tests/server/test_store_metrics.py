"""``/metrics`` series read from the store: SLO burn rates and budgets worked by hand,
open findings per kind and family, alert deliveries per outcome, and decisions by source
and guard counted once per stored record."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from telltale.alerts import deliver_due, enqueue
from telltale.clock import ManualClock
from telltale.monitor.tick import tick as monitor_tick
from telltale.policy import tick as policy_tick
from telltale.server.store_metrics import StoreCollector
from telltale.store import Store
from telltale.types import PredictionRecord
from tests.alerts.helpers import alert, spec_with
from tests.alerts.standin import StandIn
from tests.guard.conftest import GOOD, make_spec

T0 = 1_767_225_600.0  # 2026-01-01T00:00:00Z, a minute boundary
SLOS = [{"name": "errors", "indicator": "error_rate", "objective": 0.99, "period": "30d"}]


def _scrape(store: Store, clock: ManualClock) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    registry = CollectorRegistry()
    registry.register(StoreCollector(store, clock))
    out = {}
    for family in text_string_to_metric_families(generate_latest(registry).decode()):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def _records(n: int, start: float, *, every_error: int = 0, **inputs: float) -> list[PredictionRecord]:
    out = []
    for i in range(n):
        bad = every_error and i % every_error == 0
        out.append(PredictionRecord(id=f"r{start:.0f}-{i}", service="eta", ts=start + i * 2, inputs={**GOOD, **inputs},
                                    output=16.0, source="rules" if bad else "model", guard="model_error" if bad else None))
    return out


def test_burn_rates_and_budget_match_the_hand_worked_figures(db_url: str) -> None:
    # 100 decisions in the four minutes before T0 + 1 h, every fifth a model error: a bad share
    # of 0.2 against a budget of 1 - 0.99 = 0.01 is a burn of 20 over every window that holds
    # them all (5 min to 3 days), and 1 - 0.2 / 0.01 = -19 of the 30-day budget left.
    clock = ManualClock(T0 + 3600)
    store = Store.open(db_url, clock=clock)
    store.put_service("default", make_spec(slos=SLOS))
    store.write_predictions("default", _records(100, T0 + 3600 - 240, every_error=5))
    policy_tick(store, clock.now())
    got = _scrape(store, clock)
    key = (("project", "default"), ("service", "eta"), ("slo", "errors"))
    assert got[("telltale_slo_objective", key)] == 0.99
    assert abs(got[("telltale_slo_budget_remaining", key)] - (-19.0)) < 1e-9
    windows = {dict(k)["window"]: v for (name, k), v in got.items() if name == "telltale_slo_burn_rate"}
    assert sorted(windows) == ["1h", "30m", "3d", "5m", "6h"]
    assert all(abs(v - 20.0) < 1e-9 for v in windows.values()), windows


def test_open_findings_are_counted_per_kind_and_family(db_url: str) -> None:
    clock = ManualClock(T0)
    store = Store.open(db_url, clock=clock)
    store.put_service("default", make_spec())
    store.write_predictions("default", _records(200, T0, distance_km=500.0))  # every record past the range [0, 60]
    clock.advance(900)  # the records' windows have closed; no calm window has resolved them yet
    monitor_tick(store, clock.now())
    got = _scrape(store, clock)
    counted = {(dict(k)["kind"], dict(k)["family"], dict(k)["severity"]): v for (name, k), v in got.items() if name == "telltale_findings_open"}
    # 500 km against a range of 0-60: a unit change (x1000) with the range finding under it,
    # and 200 identical input rows: duplicates.
    assert counted == {("unit", "data", "critical"): 1, ("range", "data", "critical"): 1, ("duplicates", "data", "warning"): 1}
    clock.advance(4 * 3600)
    monitor_tick(store, clock.now())  # windows with no records since: all three resolve
    assert not [k for k in _scrape(store, clock) if k[0] == "telltale_findings_open"]


def test_deliveries_are_counted_per_receiver_and_outcome(sqlite_url: str) -> None:
    standin = StandIn()
    try:
        _deliver_twice(sqlite_url, standin)
    finally:
        standin.close()


def _deliver_twice(sqlite_url: str, standin: StandIn) -> None:
    clock = ManualClock(T0)
    store = Store.open(sqlite_url, clock=clock)
    store.put_service("default", spec_with({"hook": {"webhook": {"url": standin.url, "allow_private": True}}},
                                           {"data": ["hook"]}, group_wait_s=0, breaker_failures=100))
    enqueue(store, "default", alert("eta/unit"))
    deliver_due(store, clock.now())  # delivered
    standin.down()
    clock.advance(600)
    enqueue(store, "default", alert("eta/range"))
    deliver_due(store, clock.now())  # refused by the receiver: one failed attempt, retried later
    got = _scrape(store, clock)
    labels = (("project", "default"), ("receiver", "hook"), ("service", "eta"))
    assert got[("telltale_alert_deliveries_total", tuple(sorted((*labels, ("status", "ok")))))] == 1
    assert got[("telltale_alert_deliveries_total", tuple(sorted((*labels, ("status", "failed")))))] == 1


def test_the_scrape_survives_a_store_that_is_down(tmp_path) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'gone.db'}")
    store.close()
    (tmp_path / "gone.db").unlink()
    (tmp_path / "gone.db").mkdir()  # the path is now a directory: every query fails
    got = _scrape(store, ManualClock(T0))
    assert not [k for k in got if k[0].startswith(("telltale_findings", "telltale_slo", "telltale_alert"))]
