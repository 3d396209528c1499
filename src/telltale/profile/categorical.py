"""Summary of a categorical (string or bool) column: the frequent items and their counts.

Built on DataSketches' frequent-items sketch, which is exact while the column has fewer
distinct values than 0.75 * 2**LG_MAX_K (768 here) and otherwise keeps the heavy
hitters with a stated error; category sets in specs are far below that.
"""

from __future__ import annotations

import numpy as np
from datasketches import frequent_items_error_type, frequent_strings_sketch

#: 2**10 map slots: 768 exactly-counted items, a few KB serialised.
LG_MAX_K = 10


class CategoricalSummary:
    """Counts of string values; ``count`` is the exact number of values seen."""

    __slots__ = ("count", "sketch")

    def __init__(self) -> None:
        self.count = 0
        self.sketch = frequent_strings_sketch(LG_MAX_K)

    def update(self, values: list[str] | np.ndarray, counts: np.ndarray | None = None) -> None:
        """Add distinct ``values`` with their ``counts`` (each value once if counts is None)."""
        if counts is None:
            counts = np.ones(len(values), dtype=np.int64)
        for v, c in zip(values, counts.tolist()):
            if c > 0:
                self.sketch.update(v, int(c))
        self.count += int(counts.sum())

    def merge(self, other: CategoricalSummary) -> CategoricalSummary:
        out = CategoricalSummary()
        for part in (self, other):
            if part.count:
                out.sketch.merge(part.sketch)
                out.count += part.count
        return out

    @property
    def exact(self) -> bool:
        """True while every distinct value is counted exactly (the sketch never purged)."""
        if self.count == 0:
            return True
        items = self.sketch.get_frequent_items(frequent_items_error_type.NO_FALSE_NEGATIVES, 0)
        return sum(est for _, est, _, _ in items) == self.count and all(lb == ub for _, _, lb, ub in items)

    def items(self) -> dict[str, int]:
        """Every value the sketch holds with its estimated count, most frequent first."""
        if self.count == 0:
            return {}
        items = self.sketch.get_frequent_items(frequent_items_error_type.NO_FALSE_NEGATIVES, 0)
        return {item: int(est) for item, est, _lb, _ub in items}

    def shares(self) -> dict[str, float]:
        if self.count == 0:
            return {}
        return {k: v / self.count for k, v in self.items().items()}

    def to_bytes(self) -> bytes:
        return bytes(self.sketch.serialize())

    @classmethod
    def from_state(cls, count: int, data: bytes) -> CategoricalSummary:
        out = cls()
        out.count = int(count)
        out.sketch = frequent_strings_sketch.deserialize(data)
        return out
