"""A real scikit-learn ETA model and the rules fallback that stands in for it.

``EtaModel.predict_one`` takes the record dict a service receives and returns minutes;
it is what a user would pass to ``Guard(model=...)``. ``rules_eta`` is the hand-written
estimate served when the model cannot be trusted.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from telltale.demo.eta_data import CITIES, VEHICLE_KMH, VEHICLES, Orders

_NUMERIC = ("distance_km", "prep_time_s", "items", "courier_speed_kmh", "hour", "weekday", "rain_mm", "order_value_eur")


class EtaModel:
    """HistGradientBoosting on the orders' features; categories as integer codes."""

    def __init__(self, seed: int = 0) -> None:
        from sklearn.ensemble import HistGradientBoostingRegressor

        n_num = len(_NUMERIC)
        self._est = HistGradientBoostingRegressor(
            max_iter=200, learning_rate=0.1, categorical_features=[n_num, n_num + 1], random_state=seed
        )
        # looked up with whatever a record holds (None, a number, a string)
        self._city: dict[Any, int] = {c: i for i, c in enumerate(CITIES)}
        self._vehicle: dict[Any, int] = {v: i for i, v in enumerate(VEHICLES)}

    def fit(self, orders: Orders) -> EtaModel:
        self._est.fit(self._matrix(orders.columns), orders.minutes)
        return self

    def predict(self, columns: Mapping[str, np.ndarray]) -> np.ndarray:
        eta: np.ndarray = self._est.predict(self._matrix(columns))
        return eta

    def predict_one(self, record: Mapping[str, Any]) -> float:
        row = [_num(record.get(n)) for n in _NUMERIC]
        row += [self._city.get(record.get("city"), np.nan), self._vehicle.get(record.get("vehicle"), np.nan)]
        return float(self._est.predict(np.array([row], dtype=float))[0])

    def _matrix(self, cols: Mapping[str, np.ndarray]) -> np.ndarray:
        num = [np.asarray(cols[n], dtype=float) for n in _NUMERIC]
        city = np.array([self._city.get(c, np.nan) for c in cols["city"]], dtype=float)
        vehicle = np.array([self._vehicle.get(v, np.nan) for v in cols["vehicle"]], dtype=float)
        return np.column_stack([*num, city, vehicle])


def rules_eta(record: Mapping[str, Any]) -> float:
    """Preparation time plus distance at the vehicle's usual speed, plus a margin.

    A value outside its contract range is not trusted: the typical value stands in.
    """
    prep_min = _within(record.get("prep_time_s"), 0.0, 7200.0, 600.0) / 60
    vehicle: Any = record.get("vehicle")  # any value: one that is not a vehicle gets the default speed
    kmh = VEHICLE_KMH.get(vehicle, 18.0)
    km = _within(record.get("distance_km"), 0.0, 60.0, 3.0)
    return round(prep_min + 60 * km / kmh + 5.0, 1)


def _within(v: Any, lo: float, hi: float, typical: float) -> float:
    x = _num(v)
    return x if lo <= x <= hi else typical  # NaN fails both comparisons


def _num(v: Any, default: float = np.nan) -> float:
    try:
        return float(v) if v is not None else default
    except (TypeError, ValueError):
        return default
