"""Shared data for the check tests: a spec with one field per unit family, and a seeded
generator of clean rows that faults are injected into."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from telltale.spec import ServiceSpec, parse_spec

SPEC = """
service: shop
owner: ml@example.com
prediction: eta
inputs:
  distance_km:       {type: float, unit: km, range: [0, 60]}
  prep_time_s:       {type: float, unit: s, range: [0, 7200]}
  items:             {type: int, range: [1, 50]}
  tenure_days:       {type: float, unit: days, range: [0, 5000]}
  discount_fraction: {type: float, unit: fraction, range: [0, 1]}
  wait_min:          {type: float, unit: min, range: [0, 600]}
  city:              {type: category, categories: [Lyon, Paris, Marseille, Lille, Nantes], segment: true}
  vehicle:           {type: category, categories: [bike, scooter, car], required: false}
  rain_mm:           {type: float, range: [0, 200], nullable: true, required: false}
  express:           {type: bool, required: false}
output:
  type: float
  range: [0, 240]
"""

CITIES = np.array(["Lyon", "Paris", "Marseille", "Lille", "Nantes"])
CITY_P = [0.3, 0.4, 0.2, 0.09, 0.01]


def make_rows(n: int, seed: int) -> dict[str, np.ndarray]:
    """Clean rows: every value inside the spec, realistic shapes, nullable rain."""
    rng = np.random.default_rng(seed)
    rain = rng.exponential(2.0, n)
    rain[rng.random(n) < 0.3] = np.nan
    return {
        "distance_km": rng.gamma(3.0, 1.5, n).clip(0.05, 59),
        "prep_time_s": rng.gamma(4.0, 150.0, n).clip(1, 7000),
        "items": rng.integers(1, 9, n),
        "tenure_days": rng.gamma(2.0, 300.0, n).clip(1, 4900),
        "discount_fraction": rng.beta(2.0, 8.0, n),
        "wait_min": rng.gamma(3.0, 5.0, n).clip(0.1, 590),
        "city": CITIES[rng.choice(5, n, p=CITY_P)],
        "vehicle": np.array(["bike", "scooter", "car"])[rng.integers(0, 3, n)],
        "rain_mm": rain,
        "express": rng.random(n) < 0.2,
        "eta": rng.gamma(5.0, 6.0, n).clip(1, 230),
    }


@pytest.fixture(scope="session")
def spec() -> ServiceSpec:
    return parse_spec(SPEC, "shop.yaml")


@pytest.fixture(scope="session")
def rows() -> Callable[[int, int], dict[str, np.ndarray]]:
    return make_rows
