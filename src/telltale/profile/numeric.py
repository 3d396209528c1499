"""Summary of a numeric column: exact count, min, max, mean and spread, plus a KLL
quantile sketch (Apache DataSketches) for everything distribution-shaped.

``merge`` uses the KLL sketch's own merge, whose compaction is randomised: it is for
folding a batch into a stored minute row, where the result is written once.
``combine`` is the deterministic merge every query uses: its quantiles are read from a
:class:`~telltale.profile.quantiles.MergedQuantiles` (same parts, same answer, within
the parts' stated error).

Mean and spread are kept as (count, mean, M2) and merged with Chan's parallel formula
rather than as raw sums of squares: epoch timestamps squared overflow float64's
precision and would give negative variances.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from datasketches import kll_doubles_sketch

from telltale.profile.quantiles import MergedQuantiles

#: KLL accuracy parameter: k=200 gives a normalised rank error of about 1.65% (the
#: DataSketches default) in about 5 KB per column however many rows were seen.
KLL_K = 200


class NumericSummary:
    """Finite values only; NaN and infinities are counted by the column, not here.

    ``kll`` is a DataSketches KLL sketch, or after ``combine`` a ``MergedQuantiles``:
    both answer the same reading calls (``get_quantiles``, ``get_cdf``...)."""

    __slots__ = ("count", "min", "max", "mean", "m2", "kll")

    def __init__(self) -> None:
        self.count = 0
        self.min = math.inf
        self.max = -math.inf
        self.mean = 0.0
        self.m2 = 0.0
        self.kll: kll_doubles_sketch | MergedQuantiles = kll_doubles_sketch(KLL_K)

    def update(self, values: np.ndarray) -> None:
        """Add finite float64 values (the caller has removed NaN and inf)."""
        n = len(values)
        if n == 0:
            return
        x = np.ascontiguousarray(values, dtype=np.float64)
        if not x.flags.writeable:  # the sketch binding refuses read-only buffers (Arrow's zero-copy views)
            x = x.copy()
        with np.errstate(over="ignore", invalid="ignore"):  # values near 1e308 overflow the moments, not the sketch
            mean = float(x.mean())
            m2 = float(np.square(x - mean).sum())
        if isinstance(self.kll, MergedQuantiles):
            raise TypeError("a combined (query-time) summary is read-only: profile the new values and combine them")
        self._combine(n, mean, m2, float(x.min()), float(x.max()))
        self.kll.update(x)

    def _combine(self, n: int, mean: float, m2: float, lo: float, hi: float) -> None:
        total = self.count + n
        delta = mean - self.mean
        self.m2 = self.m2 + m2 + delta * delta * self.count * n / total
        self.mean = self.mean + delta * n / total
        self.count = total
        self.min = min(self.min, lo)
        self.max = max(self.max, hi)

    def merge(self, other: NumericSummary) -> NumericSummary:
        """Both summaries in one, by KLL's own (randomised, compacting) merge: for the
        store's write path. A combined summary on either side makes it ``combine``."""
        if isinstance(self.kll, MergedQuantiles) or isinstance(other.kll, MergedQuantiles):
            return NumericSummary.combine([self, other])
        out = NumericSummary()
        for part in (self, other):
            if part.count:
                out._combine(part.count, part.mean, part.m2, part.min, part.max)
                out.kll.merge(part.kll)  # type: ignore[union-attr]  # both are KLL sketches: a MergedQuantiles took the branch above
        return out

    @classmethod
    def combine(cls, parts: list[NumericSummary]) -> NumericSummary:
        """All ``parts`` in one, deterministically (in their order): what queries use."""
        out = cls()
        used = [p for p in parts if p.count]
        for part in used:
            out._combine(part.count, part.mean, part.m2, part.min, part.max)
        if len(used) == 1:
            out.kll = used[0].kll  # nothing to merge: the part's own sketch (read-only from here on)
        elif used:
            out.kll = MergedQuantiles.combine([p.kll for p in used])
        return out

    @classmethod
    def of_batch(cls, values: np.ndarray) -> NumericSummary:
        """A whole batch's summary with deterministic quantiles (``quantiles.of_values``):
        what batch profiles (``Profile.from_columns``) build. Read-only, like a combined one."""
        from telltale.profile.quantiles import of_values

        out = cls()
        n = len(values)
        if n:
            x = np.asarray(values, dtype=np.float64)
            with np.errstate(over="ignore", invalid="ignore"):
                mean = float(x.mean())
                m2 = float(np.square(x - mean).sum())
            out._combine(n, mean, m2, float(x.min()), float(x.max()))
            out.kll = of_values(x)
        return out

    @property
    def sum(self) -> float:
        return self.mean * self.count

    @property
    def std(self) -> float:
        """Population standard deviation (ddof=0); 0.0 when fewer than two values."""
        return math.sqrt(max(self.m2, 0.0) / self.count) if self.count > 1 else 0.0

    def quantile(self, q: float) -> float:
        """The q-quantile (0..1) from the KLL sketch; NaN when empty."""
        if self.count == 0:
            return math.nan
        return float(self.kll.get_quantile(q))

    def quantiles(self, qs: Sequence[float] | np.ndarray) -> np.ndarray:
        if self.count == 0:
            return np.full(len(qs), np.nan)
        return np.asarray(self.kll.get_quantiles(list(map(float, qs))), dtype=np.float64)

    def cdf(self, points: Sequence[float] | np.ndarray) -> np.ndarray:
        """Estimated share of values <= each point (points must be increasing)."""
        pts = [float(p) for p in points]
        if self.count == 0 or not pts:
            return np.full(len(pts), np.nan)
        return np.asarray(self.kll.get_cdf(pts, True)[:-1], dtype=np.float64)

    @property
    def rank_error(self) -> float:
        """The sketch's stated normalised rank error (0 while it still holds every value)."""
        if not self.kll.is_estimation_mode():
            return 0.0
        return float(self.kll.normalized_rank_error(False))

    @property
    def combined(self) -> bool:
        """True when the quantiles come from a deterministic merge (not one KLL sketch)."""
        return isinstance(self.kll, MergedQuantiles)

    def state(self) -> dict[str, Any]:
        return {"count": self.count, "min": self.min if self.count else None, "max": self.max if self.count else None,
                "mean": self.mean, "m2": self.m2}

    @classmethod
    def from_state(cls, state: dict[str, Any], kll_bytes: bytes | None) -> NumericSummary:
        out = cls()
        out.count = int(state["count"])
        out.min = float(state["min"]) if state["min"] is not None else math.inf
        out.max = float(state["max"]) if state["max"] is not None else -math.inf
        out.mean = float(state["mean"])
        out.m2 = float(state["m2"])
        if kll_bytes is not None:
            out.kll = kll_doubles_sketch.deserialize(kll_bytes)
        return out
