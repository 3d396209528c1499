"""Simulated food-delivery orders with a known ground truth, for the ETA example.

The generating process is written down, not learned: delivery minutes are preparation
time plus travel time at a speed that depends on vehicle, city and rain, plus noise.
So a fitted model is good but not perfect, and every fault injected later (a unit
change, nulls, a shifted mix) has a known size.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

CITIES = ("Lyon", "Paris", "Marseille", "Lille", "Nantes")
CITY_P = (0.25, 0.35, 0.2, 0.1, 0.1)
CITY_SLOWDOWN = {"Lyon": 1.0, "Paris": 1.35, "Marseille": 1.15, "Lille": 0.95, "Nantes": 0.9}
VEHICLES = ("bike", "scooter", "car")
VEHICLE_P = (0.45, 0.4, 0.15)
VEHICLE_KMH = {"bike": 15.0, "scooter": 24.0, "car": 28.0}

FEATURES = ("distance_km", "prep_time_s", "items", "courier_speed_kmh", "hour", "weekday",
            "city", "vehicle", "rain_mm", "order_value_eur")


@dataclass(frozen=True)
class Orders:
    """Columns of simulated orders (numpy arrays) and the true delivery minutes."""

    columns: dict[str, np.ndarray]
    minutes: np.ndarray

    def __len__(self) -> int:
        return len(self.minutes)

    def records(self) -> list[dict[str, object]]:
        """Row dicts as a service would receive them (None for missing values)."""
        names = list(self.columns)
        cols = [self.columns[n].tolist() for n in names]
        out = []
        for row in zip(*cols):
            out.append({n: (None if isinstance(v, float) and v != v else v) for n, v in zip(names, row)})
        return out


def generate(n: int, seed: int = 0) -> Orders:
    """``n`` orders drawn from the stable process."""
    rng = np.random.default_rng(seed)
    distance = np.round(rng.gamma(2.0, 1.6, n).clip(0.2, 55.0), 2)
    items = rng.integers(1, 9, n)
    prep = np.round(rng.normal(420 + 45 * items, 120).clip(60, 5400), 0)
    hour = rng.choice(np.arange(24), n, p=_hour_p())
    weekday = rng.integers(0, 7, n)
    city = rng.choice(np.array(CITIES, dtype=object), n, p=CITY_P)
    vehicle = rng.choice(np.array(VEHICLES, dtype=object), n, p=VEHICLE_P)
    rain = np.where(rng.random(n) < 0.2, np.round(rng.exponential(3.0, n), 1), 0.0)
    base_speed = np.array([VEHICLE_KMH[v] for v in vehicle])
    courier_speed = np.round(base_speed * rng.normal(1.0, 0.12, n), 1).clip(3, 55)
    courier_speed = np.where(rng.random(n) < 0.05, np.nan, courier_speed)  # GPS gaps
    order_value = np.round(items * rng.normal(11.0, 3.0, n).clip(3, 40), 2)
    slowdown = np.array([CITY_SLOWDOWN[c] for c in city]) * (1 + 0.03 * rain)
    rush = np.isin(hour, (12, 13, 19, 20)) * 0.15 + 1.0
    travel_min = 60 * distance / base_speed * slowdown * rush
    minutes = (prep / 60 + travel_min + rng.normal(4.0, 3.0, n)).clip(3, 200)
    cols = {
        "distance_km": distance, "prep_time_s": prep, "items": items,
        "courier_speed_kmh": courier_speed, "hour": hour, "weekday": weekday,
        "city": city, "vehicle": vehicle, "rain_mm": rain, "order_value_eur": order_value,
    }
    return Orders(cols, np.round(minutes, 2))


def _hour_p() -> np.ndarray:
    w = np.ones(24) * 0.3
    w[11:14] = 3.0
    w[18:22] = 3.5
    w[0:7] = 0.05
    shares: np.ndarray = w / w.sum()
    return shares
