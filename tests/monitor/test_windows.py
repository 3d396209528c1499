"""The monitor: windows aligned to minutes, empty windows skipped, bad spans refused."""

from __future__ import annotations

import pytest

from telltale.monitor import MAX_WINDOWS, findings_for
from telltale.store import Store
from telltale.types import PredictionRecord

T0 = 1_767_225_600.0  # a minute boundary


@pytest.fixture
def store(sqlite_url, eta_spec):
    s = Store.open(sqlite_url)
    s.put_service("p", eta_spec)
    yield s
    s.close()


def _rec(i: int, ts: float, prep: float) -> PredictionRecord:
    inputs = {"distance_km": 3.0, "prep_time_s": prep, "items": 2, "hour": 12, "weekday": 1, "city": "Lyon"}
    return PredictionRecord(id=f"r{i}", service="eta", ts=ts, inputs=inputs, output=30.0)


def test_only_windows_with_records_are_checked_and_findings_carry_their_window(store, eta_spec):
    # 40 clean records in the first 10 minutes, 40 in milliseconds in minutes 20-30, nothing between
    store.write_predictions("p", [_rec(i, T0 + 15 * i, 600.0 + i) for i in range(40)])
    store.write_predictions("p", [_rec(100 + i, T0 + 1200 + 15 * i, 600_000.0 + i) for i in range(40)])
    result = findings_for(store, "p", eta_spec, T0, T0 + 1800, 600)
    assert result.windows == 2  # the empty middle window is skipped
    unit = [f for f in result.findings if f.kind == "unit"]
    assert [(f.feature, f.window.start.timestamp(), f.window.end.timestamp()) for f in unit] == [("prep_time_s", T0 + 1200, T0 + 1800)]


def test_bad_spans_are_refused_with_the_reason(store, eta_spec):
    with pytest.raises(ValueError, match="at least 60 seconds"):
        findings_for(store, "p", eta_spec, T0, T0 + 600, 30)
    with pytest.raises(ValueError, match="must be after since"):
        findings_for(store, "p", eta_spec, T0 + 600, T0, 60)
    with pytest.raises(ValueError, match=f"the most is {MAX_WINDOWS}"):
        findings_for(store, "p", eta_spec, T0, T0 + 60 * (MAX_WINDOWS + 10), 60)


def test_a_span_query_runs_the_change_detectors_as_the_tick_does(store, eta_spec):
    """A latency step at 05:00 (20 ms to 60 ms, 10 calls a minute): the span query names it in
    the same window as the monitor's stored finding, and nowhere before the step."""
    import numpy as np

    from telltale.monitor.tick import tick

    rng = np.random.default_rng(3)
    records = []
    for m in range(7 * 60):
        for k in range(10):
            r = _rec(m * 10 + k, T0 + 60 * m + 6 * k, 600.0 + k)
            r.latency_ms = float((60.0 if m >= 300 else 20.0) * np.exp(rng.normal(0.0, 0.2)))
            records.append(r)
    store.write_predictions("p", records)
    tick(store, T0 + 7 * 3600 + 60)
    [stored] = [f for f in store.findings("p", "eta", state="all") if f.kind == "latency"]
    span = [f for f in findings_for(store, "p", eta_spec, T0, T0 + 7 * 3600, 300).findings
            if f.kind == "latency" and f.statistic == "cusum"]
    assert span and min(f.window.start.timestamp() for f in span) == stored.opened
    assert T0 + 300 * 60 <= stored.opened <= T0 + 310 * 60  # within two windows of the step
