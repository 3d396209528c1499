"""Records and sinks shared by the recording tests."""

from __future__ import annotations

import threading
import uuid

from telltale.types import PredictionRecord

T0 = 1_767_225_600.0  # 2026-01-01T00:00:00Z


def make_records(n: int, *, service: str = "eta", start: int = 0, tag: str | None = None) -> list[PredictionRecord]:
    """``n`` records valid for the example ETA spec, with unique ids, one per 10 ms."""
    tag = tag or uuid.uuid4().hex[:8]
    cities = ["Lyon", "Paris", "Marseille", "Lille", "Nantes"]
    out = []
    for i in range(start, start + n):
        inputs = {
            "distance_km": 1.0 + (i % 40) * 0.5, "prep_time_s": 300.0 + (i % 60) * 10, "items": 1 + i % 8,
            "hour": i % 24, "weekday": i % 7, "city": cities[i % 5],
        }
        out.append(PredictionRecord(
            id=f"{tag}-{i:07d}", service=service, ts=T0 + i * 0.01, inputs=inputs,
            output=20.0 + i % 30, confidence=0.9, model_version="2026-11-01", latency_ms=1.5,
        ))
    return out


class HangingSink:
    """A sink whose ``write`` blocks until ``release()`` (a store that stopped answering)."""

    def __init__(self) -> None:
        self.calls = 0
        self.returned = 0
        self._gate = threading.Event()

    def write(self, records: list[PredictionRecord]) -> None:
        self.calls += 1
        self._gate.wait()
        self.returned += 1

    def release(self) -> None:
        self._gate.set()
