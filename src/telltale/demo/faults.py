"""The faults the demo injects, each a failure from DESIGN.md's catalogue with a known start.

A fault is a window of simulated time and a change to the records (or to the model) in
it. The demo, the drills and the tests share these so the story told is the one tested.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

Record = dict[str, Any]


@dataclass(frozen=True)
class Fault:
    """During [start_h, end_h) hours, ``apply(record, rng)`` changes each record in place
    and the model backend fails a share ``error_rate`` of its calls."""

    name: str
    catalogue: int  # the failure's number in DESIGN.md
    start_h: float
    end_h: float
    apply: Callable[[Record, np.random.Generator], None] | None
    expect: str  # the finding kind that should catch it
    error_rate: float = 0.0

    def active(self, hour: float) -> bool:
        return self.start_h <= hour < self.end_h


def _nulls(rec: Record, rng: np.random.Generator) -> None:
    if rng.random() < 0.25:
        rec["distance_km"] = None


def _milliseconds(rec: Record, rng: np.random.Generator) -> None:
    rec["prep_time_s"] = rec["prep_time_s"] * 1000


def _new_city(rec: Record, rng: np.random.Generator) -> None:
    if rng.random() < 0.3:
        rec["city"] = "Bordeaux"  # a city launched upstream, unknown to the contract


#: Six hours of traffic: an hour clean, then one fault after another, then clean again.
DEMO_FAULTS: tuple[Fault, ...] = (
    Fault("nulls creep into distance_km", 3, 1.0, 1.75, _nulls, "nulls"),
    Fault("prep_time_s switches to milliseconds", 2, 2.0, 3.0, _milliseconds, "unit"),
    Fault("a new city appears upstream", 1, 3.25, 4.0, _new_city, "category"),
    Fault("the model backend fails 70% of calls", 10, 4.25, 5.0, None, "guard", error_rate=0.7),
)
