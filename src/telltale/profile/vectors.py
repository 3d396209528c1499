"""Mergeable summary of a ``vector`` field (embeddings the user computes): the mean
vector and the spread around it, plus each vector's norm as a numeric column.

:class:`VectorSummary` keeps the count, the sum of the vectors and the sum of their
squared norms: three additive quantities, so summaries of minute profiles merge
exactly, and the memory is ``dim`` floats whatever the traffic. From them come the mean
vector and the total variance (the trace of the covariance), which is what the
per-window mean-embedding drift of :mod:`telltale.drift.vector` needs. The norms go to
the derived column ``__vector__:<field>:norm`` (a KLL sketch like any number).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from telltale.profile.hashing import NULL_HASH, hash_floats

if TYPE_CHECKING:
    from telltale.profile.column import Parts

#: The reserved prefix of the derived columns.
VECTOR_PREFIX = "__vector__:"


def norm_column(field: str) -> str:
    """The derived column holding each vector's Euclidean norm: ``__vector__:emb:norm``."""
    return f"{VECTOR_PREFIX}{field}:norm"


class VectorSummary:
    """Count, sum and sum of squared norms of ``dim``-dimensional vectors."""

    __slots__ = ("dim", "count", "total", "sq_norms")

    def __init__(self, dim: int, count: int = 0, total: np.ndarray | None = None, sq_norms: float = 0.0) -> None:
        self.dim = dim
        self.count = count
        self.total = np.zeros(dim) if total is None else np.asarray(total, dtype=np.float64)
        self.sq_norms = float(sq_norms)

    def update(self, x: np.ndarray) -> None:
        """Add the rows of ``x`` (n by dim, finite)."""
        if x.size:
            self.count += x.shape[0]
            self.total = self.total + x.sum(axis=0)
            self.sq_norms += float(np.einsum("ij,ij->", x, x))

    @property
    def mean(self) -> np.ndarray:
        return self.total / self.count if self.count else np.full(self.dim, np.nan)

    @property
    def total_variance(self) -> float:
        """Trace of the covariance: mean squared distance of a vector from the mean."""
        if self.count < 2:
            return math.nan
        m = self.mean
        return max(self.sq_norms / self.count - float(m @ m), 0.0) * self.count / (self.count - 1)

    def merge(self, other: VectorSummary) -> VectorSummary:
        if other.dim != self.dim:
            raise ValueError(f"cannot merge vector summaries of dimension {self.dim} and {other.dim}")
        return VectorSummary(self.dim, self.count + other.count, self.total + other.total, self.sq_norms + other.sq_norms)

    @classmethod
    def combine(cls, parts: list[VectorSummary]) -> VectorSummary:
        out = cls(parts[0].dim)
        for p in parts:  # in order: the same parts give the same floats
            out = out.merge(p)
        return out

    def state(self) -> dict[str, Any]:
        return {"dim": self.dim, "count": self.count, "sq_norms": self.sq_norms}


#: Fixed direction the vectors are projected on to hash them for duplicate rows.
_HASH_DIRECTION_SEED = 20261201


def split_vectors(values: Any, dim: int) -> tuple[Parts, np.ndarray, np.ndarray]:
    """The parts of one vector column (anything not a finite ``dim``-vector is a
    mismatch, counted in ``others``), one hash per row, and the valid vectors as an
    n-by-dim float64 matrix."""
    from telltale.profile.column import Parts
    from telltale.profile.values import MISSING

    fast = _arrow_matrix(values, dim)
    if fast is not None:
        n = fast.shape[0]
        parts = Parts(rows=n)
        direction = np.random.default_rng(_HASH_DIRECTION_SEED).standard_normal(dim)
        return parts, hash_floats(fast @ direction) if n else np.empty(0, dtype=np.uint64), fast
    vals = _as_list(values)
    n = len(vals)
    parts = Parts(rows=n)
    rows: list[Any] = []
    pos: list[int] = []
    for i, v in enumerate(vals):
        if v is MISSING:
            parts.missing += 1
        elif v is None:
            parts.nulls += 1
        elif _is_vector(v, dim):
            rows.append(v)
            pos.append(i)
        else:
            parts.others += 1
    x = np.asarray(rows, dtype=np.float64).reshape(len(rows), dim) if rows else np.empty((0, dim))
    finite = np.isfinite(x).all(axis=1)
    if not finite.all():
        parts.others += int(np.count_nonzero(~finite))
        x, pos = x[finite], [pos[i] for i in np.flatnonzero(finite).tolist()]
    hashes = np.full(n, NULL_HASH, dtype=np.uint64)
    if x.shape[0]:
        direction = np.random.default_rng(_HASH_DIRECTION_SEED).standard_normal(dim)
        hashes[np.asarray(pos)] = hash_floats(x @ direction)
    return parts, hashes, x


def _is_vector(v: Any, dim: int) -> bool:
    if isinstance(v, (str, bytes, dict)):
        return False
    try:
        return len(v) == dim and all(not isinstance(e, (bool, str)) and isinstance(float(e), float) for e in v)
    except (TypeError, ValueError):
        return False


def _arrow_matrix(values: Any, dim: int) -> np.ndarray | None:
    """An Arrow list column of finite numbers, every row ``dim`` long and none null, as
    a matrix without a Python object per element; None when anything is unusual."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks() if values.num_chunks != 1 else (values.chunk(0) if values.num_chunks else None)
    if not isinstance(values, pa.Array) or values.null_count:
        return None
    t = values.type
    if not (pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t)):
        return None
    vt = t.value_type
    if not (pa.types.is_floating(vt) or pa.types.is_integer(vt)):
        return None
    if len(values) and (pc.min_max(pc.list_value_length(values)).as_py() != {"min": dim, "max": dim}):
        return None
    flat = values.flatten()
    if flat.null_count:
        return None
    x = np.asarray(flat.to_numpy(zero_copy_only=False), dtype=np.float64).reshape(len(values), dim)
    return x if np.isfinite(x).all() else None


def _as_list(values: Any) -> list[Any]:
    import pyarrow as pa

    if isinstance(values, (pa.Array, pa.ChunkedArray)):
        return list(values.to_pylist())
    if isinstance(values, np.ndarray) and values.ndim == 2:
        return list(values)
    if hasattr(values, "to_numpy") and hasattr(values, "dtype"):  # a pandas Series
        return list(values.to_numpy(dtype=object))
    return list(values)
