"""Record builders shared by the server tests."""

from __future__ import annotations

from typing import Any


def eta_inputs(i: int) -> dict[str, Any]:
    """A valid input row for the example ETA spec, varied by ``i``."""
    return {
        "distance_km": 0.5 + (i % 120) / 4,
        "prep_time_s": 300.0 + (i * 37) % 1500,
        "items": 1 + i % 9,
        "courier_speed_kmh": None if i % 10 == 0 else 15.0 + i % 20,
        "hour": i % 24,
        "weekday": i % 7,
        "city": ("Lyon", "Paris", "Marseille", "Lille", "Nantes")[i % 5],
        "vehicle": ("bike", "scooter", "car")[i % 3],
        "rain_mm": 0.0,
        "order_value_eur": 10.0 + i % 90,
    }


def eta_record(i: int, ts: float, *, prefix: str = "r", **inputs: Any) -> dict[str, Any]:
    return {
        "id": f"{prefix}{i:06d}",
        "ts": ts,
        "inputs": {**eta_inputs(i), **inputs},
        "output": 20.0 + i % 30,
        "confidence": 0.8,
        "source": "model",
        "model_version": "2026-11-01",
        "latency_ms": 4.2,
    }
