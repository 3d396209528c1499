"""Drift of whole columns held in memory (the batch report): exact statistics.

Columns are numpy arrays or pyarrow arrays (a Parquet or CSV file read with pyarrow stays
columnar: numeric columns become one float64 buffer, categorical ones are counted in
C++), so ten million rows never become ten million Python objects.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from telltale.drift.distribution import CategoricalDist, Dist, NumericDist
from telltale.drift.feature import DriftResult, compare
from telltale.drift.methods import family_alpha
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


#: Above this many values a side, numeric drift is measured on a seeded uniform sample of
#: this size (missing values are still counted on every row). The sampling error of W1 is
#: then about 0.005 sd, a tenth of the warning threshold, and of KS D about 0.004;
#: sorting ten million values per column would cost seconds and change no verdict.
EXACT_MAX_VALUES = 100_000


def column_dist(values: Any, numeric: bool, *, sample: np.ndarray | None = None) -> Dist:
    """One column as a distribution: numeric (NaN, null and inf missing) or categorical.

    ``sample`` (row indices) limits the numeric values sorted to those rows; the missing
    share is still counted on every row and carried over to the sample's size.
    """
    if not numeric:
        return CategoricalDist.from_array(values)
    x = as_float_array(values)
    if sample is None or sample.size >= x.size:
        return NumericDist.from_array(x)
    missing_share = float(np.count_nonzero(~np.isfinite(x))) / x.size if x.size else 0.0
    d = NumericDist.from_array(x[sample])
    total = d.n + d.missing
    missing = int(round(missing_share * total))
    kept = d.sorted_values if d.sorted_values is not None else np.empty(0)
    return NumericDist(n=kept.size, missing=missing, mean=d.mean, std=d.std, sorted_values=kept)


def sample_rows(n: int, max_rows: int = EXACT_MAX_VALUES, seed: int = 0) -> np.ndarray | None:
    """Sorted indices of a seeded uniform sample of about ``max_rows`` of ``n`` rows (None: all)."""
    if n <= max_rows:
        return None
    return np.flatnonzero(np.random.default_rng(seed).random(n) < max_rows / n)


def is_numeric_column(values: Any) -> bool:
    import pyarrow as pa

    if isinstance(values, (pa.Array, pa.ChunkedArray)):
        t = values.type
        return bool(pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t) or pa.types.is_timestamp(t))
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
    rows_ref = sample_rows(_rows(reference))
    rows_cur = sample_rows(_rows(current), seed=1)
    alpha = family_alpha(len(plan))

    def one(item: tuple[str, tuple[bool, str, str, float | None]]) -> DriftResult:
        name, (numeric, kind, method, threshold) = item
        if progress:
            progress(name)
        ref = column_dist(reference[name], numeric, sample=rows_ref)
        cur = column_dist(current[name], numeric, sample=rows_cur)
        return compare(name, ref, cur, method=method, threshold=threshold, kind=kind, alpha=alpha)

    # Sorting and merging release the GIL: two threads use both cores of a small machine.
    with ThreadPoolExecutor(max_workers=2) as pool:
        results.extend(pool.map(one, plan.items()))
    results.extend(_text_and_vectors(reference, current, spec, alpha, progress))
    mv = None
    inputs = [n for n, (_, kind, _, _) in plan.items() if kind == "drift"]
    if multivariate and inputs:
        if progress:
            progress("multivariate (domain classifier)")
        mv = multivariate_drift(reference, current, features=inputs)
    return DriftReport(results, mv, skipped)


def _text_and_vectors(reference: Mapping[str, Any], current: Mapping[str, Any], spec: ServiceSpec | None, alpha: float,
                      progress: Callable[[str], None] | None) -> list[DriftResult]:
    """Every text field's and vector field's drift checks (classifier and statistics)."""
    from telltale.drift.text import text_drift
    from telltale.drift.vector import vector_drift

    out: list[DriftResult] = []
    for name, f in (spec.inputs.items() if spec is not None else ()):
        if f.type not in ("text", "vector") or name not in reference or name not in current:
            continue
        if progress:
            progress(name)
        threshold = f.drift.threshold if f.drift else None
        if f.type == "text":
            out.extend(text_drift(name, reference[name], current[name], threshold=threshold, alpha=alpha).results)
        elif f.dim is not None:
            out.extend(vector_drift(name, reference[name], current[name], f.dim, threshold=threshold, alpha=alpha).results)
    return out


def drift_inputs(reference: Mapping[str, Any], current: Mapping[str, Any], spec: ServiceSpec | None = None) -> list[str]:
    """The input fields :func:`drift_columns` tests (and hands to the domain classifier)."""
    return [n for n, (_, kind, _, _) in _plan(reference, current, spec, {}).items() if kind == "drift"]


def _plan(reference: Mapping[str, Any], current: Mapping[str, Any], spec: ServiceSpec | None,
          skipped: dict[str, str]) -> dict[str, tuple[bool, str, str, float | None]]:
    plan: dict[str, tuple[bool, str, str, float | None]] = {}
    shared = [c for c in reference if c in current]
    if spec is None:
        for c in shared:
            if _is_timestamp(reference[c]) or _is_timestamp(current[c]):
                skipped[c] = _TIMESTAMP_SKIP
                continue
            num_ref, num_cur = is_numeric_column(reference[c]), is_numeric_column(current[c])
            if num_ref != num_cur:
                skipped[c] = _RETYPED_SKIP
                continue
            plan[c] = (num_ref, "drift", "auto", None)
        return plan
    for name, f in spec.inputs.items():
        if name not in reference or name not in current:
            skipped[name] = "absent from " + ("both sets" if name not in reference and name not in current else "reference" if name not in reference else "current")
            continue
        if f.identifier:
            skipped[name] = _IDENTIFIER_SKIP
            continue
        if f.type in ("text", "vector"):
            continue  # tested by telltale.drift.text and .vector (see _text_and_vectors)
        if f.type == "string":
            skipped[name] = "free text (type string): drift is measured on categories and numbers only"
            continue
        if f.type == "timestamp" or _is_timestamp(reference[name]):
            skipped[name] = _TIMESTAMP_SKIP
            continue
        num_ref, num_cur = is_numeric_column(reference[name]), is_numeric_column(current[name])
        if num_ref != num_cur:
            skipped[name] = _RETYPED_SKIP
            continue
        numeric = f.type in _NUMERIC_SPEC_TYPES and num_ref
        d = f.drift
        plan[name] = (numeric, "drift", d.method if d else "auto", d.threshold if d else None)
    pred = spec.prediction
    if pred and pred in reference and pred in current:
        numeric = spec.output.type in ("float", "int") and is_numeric_column(reference[pred]) and is_numeric_column(current[pred])
        plan[pred] = (numeric, "prediction_drift", "auto", None)
    return plan


#: An id column differs between any two periods by design, and would hand the domain
#: classifier a perfect separator (ROC AUC 1.0) that says nothing about the data.
_IDENTIFIER_SKIP = "an identifier (unique per row by design): not tested for drift nor given to the domain classifier"

#: Two periods' timestamps always differ; their lag is the freshness check's business.
_TIMESTAMP_SKIP = "timestamp: it moves with time by design (freshness covers it), so it is not tested for drift"


_RETYPED_SKIP = ("numbers on one side and not on the other: the type check reports it, and comparing the two "
                 "as text would measure the formatting, not the data")


def _is_timestamp(values: Any) -> bool:
    import pyarrow as pa

    if isinstance(values, (pa.Array, pa.ChunkedArray)):
        return bool(pa.types.is_timestamp(values.type) or pa.types.is_date(values.type))
    return np.asarray(values).dtype.kind == "M"


def _rows(columns: Mapping[str, Any]) -> int:
    return len(next(iter(columns.values()))) if columns else 0


def as_float_array(values: Any) -> np.ndarray:
    """A numeric column as float64 with NaN for null (timestamps as epoch integers)."""
    import pyarrow as pa

    if isinstance(values, (pa.Array, pa.ChunkedArray)):
        from telltale.profile.arrow import float64

        if pa.types.is_timestamp(values.type):
            values = values.cast(pa.int64())
        if not pa.types.is_floating(values.type):
            values = values.cast(pa.float64())
        return float64(values)  # NaN for null, without pyarrow's to_numpy (it imports pandas)
    return np.asarray(values, dtype=np.float64)
