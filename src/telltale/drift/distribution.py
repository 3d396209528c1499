"""What drift compares: one field's distribution, from raw values or from a sketch.

Both the batch report (exact, from arrays) and the server (approximate, from the KLL and
frequent-items sketches in a :class:`telltale.profile.Profile`) reduce a field to one of
these two shapes, so every statistic has one implementation. Nulls, NaN and infinities
are counted as ``missing``: their share is part of drift, never dropped silently.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np


class QuantileSketch(Protocol):
    """The part of a DataSketches KLL sketch drift reads."""

    @property
    def n(self) -> int: ...
    def get_cdf(self, split_points: Any, inclusive: bool = ...) -> Any: ...
    def get_quantiles(self, ranks: Any) -> Any: ...
    def normalized_rank_error(self, as_pmf: bool) -> float: ...
    def is_estimation_mode(self) -> bool: ...


@dataclass(frozen=True, eq=False)
class NumericDist:
    """A numeric field: finite values (exact and sorted, or a quantile sketch) plus missing."""

    n: int
    missing: int
    mean: float
    std: float
    sorted_values: np.ndarray | None = None
    sketch: QuantileSketch | None = None

    @classmethod
    def from_array(cls, values: Any) -> NumericDist:
        """From any array-like of numbers (NaN or None for null). Sorts once; O(n log n)."""
        a = np.asarray(values, dtype=np.float64).ravel()
        finite = np.isfinite(a)
        x = np.sort(a[finite]) if not finite.all() else np.sort(a)
        n = int(x.size)
        with np.errstate(over="ignore", invalid="ignore"):  # values near 1e308 give an inf sd, handled downstream
            mean = float(x.mean()) if n else float("nan")
            std = float(x.std()) if n else float("nan")
        return cls(n=n, missing=int(a.size - n), mean=mean, std=std, sorted_values=x)

    @classmethod
    def from_sketch(cls, sketch: QuantileSketch | None, missing: int, *, mean: float | None = None, std: float | None = None) -> NumericDist:
        """From a KLL sketch of the finite values; mean and sd come from the quantile grid
        when the profile does not carry them."""
        n = 0 if sketch is None or sketch.is_empty() else int(sketch.n)  # type: ignore[attr-defined]
        if n == 0:
            return cls(n=0, missing=int(missing), mean=float("nan"), std=float("nan"), sketch=None)
        if not sketch.is_estimation_mode():  # type: ignore[union-attr]
            # A KLL sketch that never compacted still holds every value: read them back
            # exactly (the quantile at each midpoint rank), so a small window gets exact
            # statistics and an exact KS p-value, like the batch report.
            values = np.asarray(sketch.get_quantiles(list((np.arange(n) + 0.5) / n)), dtype=np.float64)  # type: ignore[union-attr]
            exact = cls.from_array(values)
            m = float(mean) if mean is not None and np.isfinite(mean) else exact.mean
            s = float(std) if std is not None and np.isfinite(std) else exact.std
            return cls(n=n, missing=int(missing), mean=m, std=s, sorted_values=exact.sorted_values)
        grid = np.asarray(sketch.get_quantiles(list(QUANTILE_GRID)), dtype=np.float64)  # type: ignore[union-attr]
        m = float(mean) if mean is not None and np.isfinite(mean) else float(grid.mean())
        s = float(std) if std is not None and np.isfinite(std) else float(grid.std())
        return cls(n=n, missing=int(missing), mean=m, std=s, sketch=sketch)

    @property
    def total(self) -> int:
        return self.n + self.missing

    @property
    def missing_share(self) -> float:
        return self.missing / self.total if self.total else float("nan")

    @property
    def rank_error(self) -> float:
        """The sketch's normalised rank error (0 for exact values)."""
        if self.sketch is None or not self.sketch.is_estimation_mode():
            return 0.0
        return float(self.sketch.normalized_rank_error(False))

    def cdf(self, points: np.ndarray) -> np.ndarray:
        """Share of the finite values at or below each point."""
        pts = np.asarray(points, dtype=np.float64)
        if self.n == 0:
            return np.full(pts.shape, np.nan)
        if self.sorted_values is not None:
            return np.searchsorted(self.sorted_values, pts, side="right") / self.n
        out = np.asarray(self.sketch.get_cdf(list(pts), True), dtype=np.float64)  # type: ignore[union-attr]
        return out[:-1]

    def quantiles(self, probs: np.ndarray) -> np.ndarray:
        """Values at the given probabilities (the inverse of :meth:`cdf`)."""
        p = np.asarray(probs, dtype=np.float64)
        if self.n == 0:
            return np.full(p.shape, np.nan)
        if self.sorted_values is not None:
            idx = np.clip(np.ceil(p * self.n).astype(np.int64) - 1, 0, self.n - 1)
            return self.sorted_values[idx]
        return np.asarray(self.sketch.get_quantiles(list(p)), dtype=np.float64)  # type: ignore[union-attr]


@dataclass(frozen=True, eq=False)
class CategoricalDist:
    """A categorical field: counts per value, values a sketch no longer tracks, and missing."""

    counts: Mapping[str, int]
    missing: int
    other: int = 0
    exact: bool = True

    @classmethod
    def from_array(cls, values: Any) -> CategoricalDist:
        """From any array-like (pyarrow arrays stay columnar: counted in C++)."""
        import pyarrow as pa
        import pyarrow.compute as pc

        arr = values if isinstance(values, (pa.Array, pa.ChunkedArray)) else pa.array(np.asarray(values, dtype=object), from_pandas=True)
        if isinstance(arr, pa.ChunkedArray) and pa.types.is_dictionary(arr.type):
            arr = arr.unify_dictionaries()
        elif not (pa.types.is_dictionary(arr.type) or pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
            arr = pc.cast(arr, pa.string())
        missing = int(arr.null_count)
        vc = pc.value_counts(arr)  # a dictionary column is counted by its codes, no strings made
        vals = vc.field("values").to_pylist()
        cnts = vc.field("counts").to_pylist()
        counts: dict[str, int] = {}
        for v, c in zip(vals, cnts):
            if v is not None:
                key = str(v)
                counts[key] = counts.get(key, 0) + int(c)
        return cls(counts=counts, missing=missing)

    @property
    def n(self) -> int:
        return int(sum(self.counts.values())) + self.other

    @property
    def total(self) -> int:
        return self.n + self.missing

    @property
    def missing_share(self) -> float:
        return self.missing / self.total if self.total else float("nan")


#: Probabilities at which a sketch's quantile function is sampled (midpoints of 200 slices).
QUANTILE_GRID: tuple[float, ...] = tuple((np.arange(200) + 0.5) / 200)

Dist = NumericDist | CategoricalDist
