"""A deterministic merge of KLL sketches: the same parts always give the same quantiles.

DataSketches' own KLL merge compacts with random coin flips (a process-wide generator
the Python binding cannot seed), so merging the same stored minute sketches twice gives
different quantiles, and a window near a threshold gets different verdicts on
different queries, processes and replicas (issue 7, item 5). Queries therefore never
call it. Instead a window's quantiles are read from ``MergedQuantiles``: the weighted
items of every part, sorted together.

Why this keeps the sketches' error bound: a KLL sketch of ``n_i`` values estimates the
rank of ``x`` as the total weight of its retained items at or below ``x``, within
``eps_i * n_i`` (its stated normalised rank error). The union of the parts' weighted
items estimates the rank in the union as the sum of those estimates, so its error is at
most ``sum(eps_i * n_i)``: normalised, the count-weighted mean of the parts' errors, never
more than the worst part's. No coin is flipped.

The union grows with the number of parts, so past ``MAX_ITEMS`` items it is compacted
deterministically to ``KEEP`` items at evenly spaced ranks, which moves any rank by at
most ``1/(2*KEEP)`` of the total (0.006%); parts are combined ``FAN_IN`` at a time in a
tree, so even three days of minute sketches pass through at most three such
compactions. The error this adds is counted in ``error`` (``normalized_rank_error``).

It speaks the part of the KLL API that profiles and drift read (``n``, ``get_cdf``,
``get_quantiles``, ``normalized_rank_error``, ``is_estimation_mode``...), with the same
conventions as the DataSketches binding (exclusive quantiles and CDFs by default), so a
merged window and a single minute read alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import chain
from typing import Any

import numpy as np

MAX_ITEMS = 1 << 15
KEEP = 1 << 13
FAN_IN = 64


class MergedQuantiles:
    """Sorted ``items`` with integer ``weights`` (the estimated count each stands for) and
    the normalised rank ``error`` of the whole."""

    __slots__ = ("items", "weights", "error", "_cum")

    def __init__(self, items: np.ndarray, weights: np.ndarray, error: float) -> None:
        if len(items) != len(weights):
            raise ValueError(f"MergedQuantiles needs one weight per item, got {len(items)} items and {len(weights)} weights")
        self.items = np.ascontiguousarray(items, dtype=np.float64)
        self.weights = np.ascontiguousarray(weights, dtype=np.int64)
        self.error = float(error)
        self._cum = np.cumsum(self.weights)

    # -- building ----------------------------------------------------------------------
    @classmethod
    def combine(cls, parts: Sequence[Any]) -> MergedQuantiles:
        """The deterministic union of KLL sketches and/or MergedQuantiles, in the given order."""
        level = [_as_merged(p) for p in parts if not p.is_empty()]
        if not level:
            return cls(np.empty(0), np.empty(0, dtype=np.int64), 0.0)
        while len(level) > 1:
            level = [_union(level[i:i + FAN_IN]) for i in range(0, len(level), FAN_IN)]
        return level[0]

    # -- the KLL reading API -----------------------------------------------------------
    @property
    def n(self) -> int:
        return int(self._cum[-1]) if len(self._cum) else 0

    @property
    def num_retained(self) -> int:
        return len(self.items)

    def is_empty(self) -> bool:
        return len(self.items) == 0

    def is_estimation_mode(self) -> bool:
        """True when ranks are estimates (some part compacted); False while every value is held."""
        return self.error > 0.0

    def normalized_rank_error(self, as_pmf: bool = False) -> float:
        """The stated normalised rank error (``as_pmf`` is accepted for KLL compatibility)."""
        return self.error

    def get_min_value(self) -> float:
        return float(self.items[0])

    def get_max_value(self) -> float:
        return float(self.items[-1])

    def get_quantile(self, rank: float, inclusive: bool = False) -> float:
        return float(self.get_quantiles([rank], inclusive)[0])

    def get_quantiles(self, ranks: Any, inclusive: bool = False) -> list[float]:
        """The item at each normalised rank, as DataSketches' sorted view picks it."""
        if self.is_empty():
            raise ValueError("quantiles of an empty sketch are undefined")
        r = np.asarray(ranks, dtype=np.float64)
        if np.any((r < 0) | (r > 1)):
            raise ValueError(f"normalised ranks must be in [0, 1], got {r[(r < 0) | (r > 1)][0]}")
        w = r * float(self.n)
        w = np.ceil(w) if inclusive else np.floor(w)
        idx = np.searchsorted(self._cum, w, side="left" if inclusive else "right")
        out: list[float] = self.items[np.minimum(idx, len(self.items) - 1)].tolist()
        return out

    def get_cdf(self, split_points: Any, inclusive: bool = False) -> list[float]:
        """Normalised ranks at each split point, then 1.0 (as the binding returns them)."""
        pts = np.asarray(split_points, dtype=np.float64)
        idx = np.searchsorted(self.items, pts, side="right" if inclusive else "left")
        cum = np.concatenate(([0], self._cum))
        out: list[float] = (cum[idx] / float(self.n)).tolist()
        return out + [1.0]

    def get_rank(self, item: float, inclusive: bool = False) -> float:
        return self.get_cdf([item], inclusive)[0]

    def __iter__(self):  # type: ignore[no-untyped-def]
        """(item, weight) pairs, as iterating a KLL sketch gives them."""
        return zip(self.items.tolist(), self.weights.tolist())

    def __repr__(self) -> str:
        return f"MergedQuantiles(n={self.n}, retained={len(self.items)}, error={self.error:.4g})"


def _as_merged(part: Any) -> MergedQuantiles:
    if isinstance(part, MergedQuantiles):
        return part
    if not part.is_estimation_mode():  # every value held, weight 1: the sorted values in one call
        n = int(part.n)
        items = np.asarray(part.get_quantiles(((np.arange(n) + 0.5) / n).tolist()), dtype=np.float64)
        return MergedQuantiles(items, np.ones(n, dtype=np.int64), 0.0)
    pairs = np.fromiter(chain.from_iterable(part), dtype=np.float64).reshape(-1, 2)  # (item, weight) pairs
    order = np.argsort(pairs[:, 0], kind="stable")
    return MergedQuantiles(pairs[order, 0], pairs[order, 1].astype(np.int64), float(part.normalized_rank_error(False)))


def _union(parts: list[MergedQuantiles]) -> MergedQuantiles:
    if len(parts) == 1 and len(parts[0].items) <= MAX_ITEMS:
        return parts[0]
    items = np.concatenate([p.items for p in parts])
    weights = np.concatenate([p.weights for p in parts])
    ns = np.array([p.n for p in parts], dtype=np.float64)
    total = float(ns.sum())
    error = float(np.dot(ns, [p.error for p in parts]) / total) if total else 0.0
    order = np.argsort(items, kind="stable")
    items, weights = items[order], weights[order]
    if len(items) > MAX_ITEMS:
        items, weights = _compact(items, weights)
        error += 1.0 / (2 * KEEP) + 1.0 / total
    return MergedQuantiles(items, weights, error)


#: Items a batch summary keeps (``of_values``): ranks within 1/4096 (0.024%) of the exact
#: ones, seventy times tighter than KLL at k=200, in 32 KiB a column.
BATCH_KEEP = 1 << 11


def of_values(values: np.ndarray, keep: int = BATCH_KEEP) -> MergedQuantiles:
    """A deterministic summary of a whole batch of finite values: every value while there
    are at most ``keep``, else ``keep`` of them at evenly spaced ranks of the sorted batch.
    For batch profiles (a reference, a report's current data, an engine's piece), where
    all values are at hand: the same values always give the same summary, and sorting
    releases the GIL where KLL's update holds it."""
    # NumPy's default sort (SIMD, about 12x a stable sort of 1M floats here); equal floats
    # are interchangeable except -0.0 and 0.0, which ``+ 0.0`` makes one value, so the
    # summary is the same whatever order the sort leaves them in
    x = np.sort(np.asarray(values, dtype=np.float64))
    x += 0.0
    ones = np.ones(x.size, dtype=np.int64)
    if x.size <= keep:
        return MergedQuantiles(x, ones, 0.0)
    items, weights = _compact(x, ones, keep)
    return MergedQuantiles(items, weights, 1.0 / (2 * keep) + 1.0 / x.size)


def _compact(items: np.ndarray, weights: np.ndarray, keep: int = KEEP) -> tuple[np.ndarray, np.ndarray]:
    """``keep`` items at the midpoints of evenly spaced rank slices, weighted by their
    slice: every rank moves by at most half a slice (plus one for integer weights)."""
    KEEP = keep  # noqa: N806 (the module constant's name, for the formulas below)
    cum = np.cumsum(weights)
    total = int(cum[-1])
    j = np.arange(KEEP, dtype=np.float64)
    targets = np.ceil((j + 0.5) * total / KEEP)
    picked = items[np.minimum(np.searchsorted(cum, targets, side="left"), len(items) - 1)]
    edges = np.floor(np.arange(KEEP + 1, dtype=np.float64) * total / KEEP).astype(np.int64)
    w = np.diff(edges)
    nonzero = w > 0
    picked, w = picked[nonzero], w[nonzero]
    # equal neighbours (a heavy value) become one item
    starts = np.flatnonzero(np.concatenate(([True], picked[1:] != picked[:-1])))
    return picked[starts], np.add.reduceat(w, starts)
