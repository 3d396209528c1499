"""Drift of whole columns held in memory (the batch report): exact statistics.

Columns are numpy arrays or pyarrow arrays (a Parquet or CSV file read with pyarrow stays
columnar: numeric columns become one float64 buffer, categorical ones are counted in
C++), so ten million rows never become ten million Python objects.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from telltale.drift.distribution import CategoricalDist, Dist, NumericDist
from telltale.drift.feature import DriftResult, compare
from telltale.drift.multivariate import MultivariateResult, multivariate_drift
from telltale.spec.model import ServiceSpec
from telltale.types import Finding, Window

_NUMERIC_SPEC_TYPES = ("float", "int", "timestamp")


@dataclass(frozen=True, slots=True)
class DriftReport:
    """Every per-field drift check that ran, and the multivariate one if it ran."""

    results: list[DriftResult]
    multivariate: MultivariateResult | None = None
    skipped: dict[str, str] = field(default_factory=dict)

    def findings(self, window: Window | None = None) -> list[Finding]:
        out = [f for r in self.results if (f := r.to_finding(window)) is not None]
        if self.multivariate is not None and (m := self.multivariate.to_finding(window)) is not None:
            out.append(m)
        return out


def column_dist(values: Any, numeric: bool) -> Dist:
    """One column as a distribution: numeric (NaN, null and inf missing) or categorical."""
    if numeric:
        return NumericDist.from_array(_to_float(values))
    return CategoricalDist.from_array(values)


def is_numeric_column(values: Any) -> bool:
    import pyarrow as pa

    if isinstance(values, (pa.Array, pa.ChunkedArray)):
        t = values.type
        return pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t) or pa.types.is_timestamp(t)
    return np.asarray(values).dtype.kind in "iuf"


def drift_columns(
    reference: Mapping[str, Any],
    current: Mapping[str, Any],
    spec: ServiceSpec | None = None,
    *,
    multivariate: bool = True,
    progress: Callable[[str], None] | None = None,
) -> DriftReport:
    """Drift of every field both sides have: the spec's inputs and prediction column, or
    without a spec every shared column. ``progress`` is called with each field's name."""
    results: list[DriftResult] = []
    skipped: dict[str, str] = {}
    plan = _plan(reference, current, spec, skipped)
    for name, (numeric, kind, method, threshold) in plan.items():
        if progress:
            progress(name)
        ref, cur = column_dist(reference[name], numeric), column_dist(current[name], numeric)
        results.append(compare(name, ref, cur, method=method, threshold=threshold, kind=kind))
    mv = None
    inputs = [n for n, (_, kind, _, _) in plan.items() if kind == "drift"]
    if multivariate and inputs:
        if progress:
            progress("multivariate (domain classifier)")
        mv = multivariate_drift(reference, current, features=inputs)
    return DriftReport(results, mv, skipped)


def _plan(reference: Mapping[str, Any], current: Mapping[str, Any], spec: ServiceSpec | None,
          skipped: dict[str, str]) -> dict[str, tuple[bool, str, str, float | None]]:
    plan: dict[str, tuple[bool, str, str, float | None]] = {}
    shared = [c for c in reference if c in current]
    if spec is None:
        for c in shared:
            plan[c] = (is_numeric_column(reference[c]) and is_numeric_column(current[c]), "drift", "auto", None)
        return plan
    for name, f in spec.inputs.items():
        if name not in reference or name not in current:
            skipped[name] = "absent from " + ("both sets" if name not in reference and name not in current else "reference" if name not in reference else "current")
            continue
        if f.type == "string":
            skipped[name] = "free text (type string): drift is measured on categories and numbers only"
            continue
        numeric = f.type in _NUMERIC_SPEC_TYPES and is_numeric_column(reference[name]) and is_numeric_column(current[name])
        d = f.drift
        plan[name] = (numeric, "drift", d.method if d else "auto", d.threshold if d else None)
    pred = spec.prediction
    if pred and pred in reference and pred in current:
        numeric = spec.output.type in ("float", "int") and is_numeric_column(reference[pred]) and is_numeric_column(current[pred])
        plan[pred] = (numeric, "prediction_drift", "auto", None)
    return plan


def _to_float(values: Any) -> np.ndarray:
    import pyarrow as pa

    if isinstance(values, (pa.Array, pa.ChunkedArray)):
        if pa.types.is_timestamp(values.type):
            values = values.cast(pa.int64())
        if not pa.types.is_floating(values.type):
            values = values.cast(pa.float64())
        return np.asarray(values.to_numpy(zero_copy_only=False), dtype=np.float64)
    return np.asarray(values, dtype=np.float64)
