"""Simulated traffic for the monitor tests: minutes of ETA records written straight to a store,
with a unit change (prep_time_s in milliseconds) that the guard contained, as the guard records it."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

from telltale.profile import Profile
from telltale.spec import ServiceSpec
from telltale.store import Store
from telltale.types import PredictionRecord, Violation

T0 = 1_767_225_600.0  # 2026-01-01T00:00:00Z, a window boundary
PROJECT = "p"
POOL = 50_000


@lru_cache(maxsize=1)
def _orders() -> list[dict[str, Any]]:
    from telltale.demo.eta_data import generate

    return generate(POOL, seed=11).records()


def eta_inputs(i: int) -> dict[str, Any]:
    """Order ``i`` of a fixed pool of simulated orders (the demo's), so every window looks like the reference."""
    return dict(_orders()[i % POOL])


def record(i: int, ts: float, *, switched: bool = False, components: dict[str, str] | None = None,
           version: str = "2026-11-01", source: str = "model", latency_ms: float = 4.0, guard: str | None = None) -> PredictionRecord:
    inputs = eta_inputs(i)
    violations: list[Violation] = []
    if switched:  # the upstream sends milliseconds; the contract refuses the record and the rules serve it
        inputs["prep_time_s"] *= 1000
        violations = [Violation("prep_time_s", "range", f"prep_time_s {inputs['prep_time_s']} is above the maximum 7200")]
        source, guard = "rules", "contract"
    return PredictionRecord(
        id=f"r{i:08d}", service="eta", ts=ts, inputs=inputs, output=20.0 + i % 30, confidence=0.8, source=source,
        model_version=version, components=dict(components or {}), latency_ms=latency_ms, violations=violations, guard=guard,
    )


def with_reference(store: Store, spec: ServiceSpec) -> None:
    store.put_service(PROJECT, spec)
    store.put_reference(PROJECT, "eta", Profile.from_records(spec, [record(POOL // 2 + i, T0) for i in range(5000)]))


def replay(store: Store, clock, minutes: int, per_minute: int, make: Callable[[int, float], PredictionRecord],
           each_minute: Callable[[float], object] | None = None, start: int = 0) -> None:
    """``minutes`` of traffic from ``clock.now()``: the records of each minute are written at its end,
    then ``each_minute(now)`` runs (the background loop's tick)."""
    i = start
    for _ in range(minutes):
        t = clock.now()
        batch = []
        for k in range(per_minute):
            batch.append(make(i, t + k * 60.0 / per_minute))
            i += 1
        clock.advance(60.0)
        store.write_predictions(PROJECT, batch)
        if each_minute is not None:
            each_minute(clock.now())
