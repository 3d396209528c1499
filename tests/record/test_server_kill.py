"""The must-show of issue 4: kill the server in the middle of 50,000 decisions.

A guard makes 50,000 decisions and records them through a background recorder posting
to a real telltale server (a subprocess on loopback). At decision 20,000 the server is
killed with SIGKILL, mid-request; the guard keeps deciding while the recorder spills;
at decision 35,000 the server is started again on the same database and port. In the
end every decision is in the store exactly once: the same count, the same set of ids.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from telltale.guard import Guard
from telltale.record import BackgroundRecorder, HttpSink
from telltale.spec import ServiceSpec
from telltale.store import Store
from tests.conftest import EXAMPLE_SPEC
from tests.server.conftest import ServerHandle, start_server

N = 50_000
KILL_AT = 20_000
RESTART_AT = 35_000
CITIES = ["Lyon", "Paris", "Marseille", "Lille", "Nantes"]


def _eta_minutes(r: dict) -> float:
    """A plain ETA model: 6 min per km on a bike plus the kitchen's prep time."""
    return 5.0 + r["distance_km"] * 3.0 + r["prep_time_s"] / 60.0


def _rules(r: dict) -> float:
    """The fallback: a flat 4 minutes per km."""
    return 10.0 + 4.0 * r.get("distance_km", 5.0)


def _inputs(i: int) -> dict:
    return {
        "distance_km": 0.5 + (i % 80) * 0.25, "prep_time_s": 120.0 + (i % 90) * 10.0, "items": 1 + i % 9,
        "hour": i % 24, "weekday": i % 7, "city": CITIES[i % 5],
    }


@pytest.mark.slow
@pytest.mark.timeout(180)
def test_every_decision_is_stored_exactly_once_across_a_server_kill(db_url: str, eta_spec: ServiceSpec, tmp_path: Path) -> None:
    server = start_server(db_url, specs=[EXAMPLE_SPEC])
    handles: list[ServerHandle] = [server]
    sink = HttpSink(server.url, server.token, timeout_s=5.0)
    recorder = BackgroundRecorder(sink, spill_dir=tmp_path / "spill", batch_size=500, sink_timeout_s=10.0,
                                  probe_interval_s=0.1, max_probe_interval_s=0.5)
    guard = Guard(eta_spec, model=_eta_minutes, fallback=_rules, recorder=recorder)
    ids: list[str] = []
    at_kill = None
    t0 = time.perf_counter()
    try:
        for i in range(N):
            if i == KILL_AT:
                at_kill = recorder.stats
                server.kill()  # SIGKILL, while the writer is posting
            if i == RESTART_AT:
                server = start_server(db_url, server.port, token=server.token, specs=[EXAMPLE_SPEC])
                handles.append(server)
            d = guard.predict(_inputs(i))
            ids.append(d.id)
        t_decided = time.perf_counter() - t0
        assert recorder.wait_idle(90.0), recorder.stats
        t_stored = time.perf_counter() - t0
        guard.close()
        recorder.close()
        sink.close()
    finally:
        for h in handles:
            h.stop()

    s = recorder.stats
    print(f"\n{N} decisions in {t_decided:.1f} s, all stored after {t_stored:.1f} s; at the kill: {at_kill}; at the end: {s}")
    assert at_kill is not None and at_kill.written < KILL_AT  # records were still on their way when it died
    assert s.spilled > 0 and s.replayed == s.spilled  # the outage went through the spill and back
    assert s.queued == N and s.dropped == {}
    assert s.written + s.replayed == N

    assert len(set(ids)) == N
    store = Store.open(db_url)
    try:
        assert store.count_predictions("default", "eta") == N
        stored = [r.id for r in store.read_predictions("default", "eta", 0, 4e9, limit=N + 1_000)]
    finally:
        store.close()
    assert len(stored) == N
    assert set(stored) == set(ids)
