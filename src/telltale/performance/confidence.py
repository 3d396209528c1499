"""What every served prediction's confidence looks like, per minute: the input of the
confidence-based performance estimate, which must see predictions whose labels have not
arrived (and may never).

Counts and sums of top-label confidence in the summaries' twenty bins, for predictions
the model served (``model``, ``canary``) with a confidence. Mergeable by addition.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field

from telltale.performance.summary import CONF_BINS
from telltale.types import PredictionRecord

SERVED = ("model", "canary")


@dataclass(slots=True)
class ConfHist:
    n: list[int] = field(default_factory=lambda: [0] * CONF_BINS)
    total: list[float] = field(default_factory=lambda: [0.0] * CONF_BINS)

    def add(self, r: PredictionRecord) -> None:
        c = r.confidence
        if r.source in SERVED and isinstance(c, (int, float)) and math.isfinite(c) and 0.0 <= c <= 1.0:
            b = min(int(c * CONF_BINS), CONF_BINS - 1)
            self.n[b] += 1
            self.total[b] += float(c)

    def absorb(self, other: ConfHist) -> None:
        for i in range(CONF_BINS):
            self.n[i] += other.n[i]
            self.total[i] += other.total[i]

    @property
    def count(self) -> int:
        return sum(self.n)

    def to_json(self) -> str:
        return json.dumps({"n": self.n, "total": self.total}, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> ConfHist:
        d = json.loads(text)
        return cls(d["n"], d["total"])
