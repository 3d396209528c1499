"""Summary of a categorical (string or bool) column: the frequent items and their counts.

Built on DataSketches' frequent-items sketch, which is exact while the column has fewer
distinct values than 0.75 * 2**LG_MAX_K (768 here) and otherwise keeps the heavy
hitters with a stated error; category sets in specs are far below that.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from datasketches import frequent_items_error_type, frequent_strings_sketch

#: 2**10 map slots: 768 exactly-counted items, a few KB serialised.
LG_MAX_K = 10
#: At most this many distinct values of one batch are fed to the sketch (4x its capacity).
FEED_LIMIT = 3072


class CategoricalSummary:
    """Counts of string values; ``count`` is the exact number of values seen."""

    __slots__ = ("count", "sketch")

    def __init__(self) -> None:
        self.count = 0
        self.sketch = frequent_strings_sketch(LG_MAX_K)

    def update(self, values: Any, counts: np.ndarray | None = None) -> None:
        """Add distinct ``values`` (a list or a pyarrow string array) with their
        ``counts`` (each value once if counts is None).

        Only the FEED_LIMIT most frequent values reach the sketch: it keeps at most 768
        anyway, and a 10-million-value ID column must not become 10 million Python
        strings. Skipped values are each rarer than every value fed, which is within the
        sketch's own error for them; ``count`` stays exact."""
        if counts is None:
            counts = np.ones(len(values), dtype=np.int64)
        counts = np.asarray(counts, dtype=np.int64)
        if len(values) > FEED_LIMIT:
            top = np.argpartition(-counts, FEED_LIMIT)[:FEED_LIMIT]
            if hasattr(values, "take"):
                from telltale.profile.arrow import from_numpy

                chosen = values.take(from_numpy(top.astype(np.int64))).to_pylist()
            else:
                chosen = [values[i] for i in top.tolist()]
            pairs = zip(chosen, counts[top].tolist())
        else:
            pairs = zip(values.to_pylist() if hasattr(values, "to_pylist") else values, counts.tolist())
        for v, c in pairs:
            if c > 0:
                self.sketch.update(v, int(c))
        self.count += int(counts.sum())

    def merge(self, other: CategoricalSummary) -> CategoricalSummary:
        return CategoricalSummary.combine([self, other])

    @classmethod
    def combine(cls, parts: list[CategoricalSummary]) -> CategoricalSummary:
        """All ``parts`` in one, in their order. Deterministic: the frequent-items merge
        has no randomness (fixed-seed hashing, and purges at the median of a fixed sample
        of counters), so the same parts in the same order give the same bytes."""
        out = cls()
        for part in parts:
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
