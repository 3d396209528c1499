"""A canary against the primary in the same window: errors, latency and outputs."""

from __future__ import annotations

from telltale.clock import ManualClock
from telltale.monitor.canary import canary_findings
from telltale.monitor.tick import tick
from telltale.profile import Profile
from telltale.store import Store

from .traffic import PROJECT, T0, record


def _canary(i: int, ts: float, *, latency_ms: float, failed: bool, output_shift: float = 0.0):
    r = record(i, ts, version="v2", source="rules" if failed else "canary", latency_ms=latency_ms,
               guard="model_error" if failed else None)
    r.output = float(r.output) + output_shift
    return r


def test_a_slow_failing_canary_is_named_against_the_primary(sqlite_url, eta_spec):
    clock = ManualClock(T0 + 400)
    store = Store.open(sqlite_url, clock=clock)
    store.put_service(PROJECT, eta_spec)
    primary = [record(i, T0 + i * 0.6, version="v1", latency_ms=4.0 + i % 5, guard="model_error" if i % 100 == 0 else None,
                      source="rules" if i % 100 == 0 else "model") for i in range(400)]
    canary = [_canary(1000 + i, T0 + i * 3, latency_ms=40.0 + i % 5, failed=i % 5 == 0) for i in range(100)]
    store.write_predictions(PROJECT, primary + canary)
    tick(store, T0 + 400)  # the first tick: the window 00:00-00:05 closed 30 s after its end
    got = {(f.kind, f.feature, f.severity) for f in store.findings(PROJECT, "eta", state="all") if (f.feature or "").startswith("canary")}
    assert got == {("errors", "canary:v2", "critical"), ("latency", "canary:v2", "critical")}
    (errors,) = [f for f in store.findings(PROJECT, "eta", state="all") if f.kind == "errors" and f.feature == "canary:v2"]
    assert errors.latest.value == 0.2 and errors.latest.threshold == 0.01 + 0.02  # 20 of 100 against 4 of 400, plus 2 points
    assert "canary v2 lost 20 of 100 calls (20%)" in errors.latest.message and "1.0% of 400 for the primary v1" in errors.latest.message


def test_a_canary_with_shifted_outputs_is_a_prediction_drift_finding_and_a_twin_is_not(eta_spec):
    primary = Profile.from_records(eta_spec, [record(i, T0, version="v1") for i in range(600)])
    same = Profile.from_records(eta_spec, [_canary(i, T0, latency_ms=4.0, failed=False) for i in range(600, 900)])
    shifted = Profile.from_records(eta_spec, [_canary(i, T0, latency_ms=4.0, failed=False, output_shift=25.0) for i in range(600, 900)])
    assert canary_findings(eta_spec, {"v1": primary, "v2": same}, None) == []
    (f,) = canary_findings(eta_spec, {"v1": primary, "v2": shifted}, None)
    assert (f.kind, f.feature, f.severity) == ("prediction_drift", "canary:v2", "critical")
    assert f.message.startswith("canary v2 against the primary v1: canary:v2:")
    assert canary_findings(eta_spec, {"v1": primary}, None) == []  # no canary, nothing to compare
