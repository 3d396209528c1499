"""What every served prediction's confidence looks like, per minute: the input of the
confidence-based performance estimate, which must see predictions whose labels have not
arrived (and may never).

Counts and sums of top-label confidence in the summaries' twenty bins, for predictions
the model served (``model``, ``canary``) with a confidence. Beside them, while at most two
classes have been served, ``fine``: counts per served class in the summaries' thousand
score bins, from which a binary classifier's positive-class score distribution follows
once the spec names the positive class (the ROC AUC estimate needs it). A third class
drops ``fine`` for good (a multi-class model is estimated from the twenty bins), so a
minute row stays under about 2,000 entries whatever the traffic. Mergeable by addition.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field

from telltale.performance.pairs import class_key
from telltale.performance.summary import CONF_BINS, SCORE_BINS
from telltale.types import PredictionRecord

SERVED = ("model", "canary")
MAX_FINE_CLASSES = 2


@dataclass(slots=True)
class ConfHist:
    n: list[int] = field(default_factory=lambda: [0] * CONF_BINS)
    total: list[float] = field(default_factory=lambda: [0.0] * CONF_BINS)
    fine: dict[str, dict[int, int]] | None = field(default_factory=dict)  # served class -> {score bin: count}; None past two classes

    def add(self, r: PredictionRecord) -> None:
        c = r.confidence
        if r.source in SERVED and isinstance(c, (int, float)) and math.isfinite(c) and 0.0 <= c <= 1.0:
            b = min(int(c * CONF_BINS), CONF_BINS - 1)
            self.n[b] += 1
            self.total[b] += float(c)
            if self.fine is not None:
                try:
                    key = None if r.output is None or isinstance(r.output, (dict, list)) else class_key(r.output)
                except ValueError:  # an integer too long to spell (over Python's 4,300 digits)
                    key = None
                if key is None:
                    self.fine = None  # a served prediction the fine bins cannot place: they no longer cover every one
                    return
                bins = self.fine.setdefault(key, {})
                fb = min(int(c * SCORE_BINS), SCORE_BINS - 1)
                bins[fb] = bins.get(fb, 0) + 1
                if len(self.fine) > MAX_FINE_CLASSES:
                    self.fine = None

    def absorb(self, other: ConfHist) -> None:
        for i in range(CONF_BINS):
            self.n[i] += other.n[i]
            self.total[i] += other.total[i]
        if self.fine is None or other.fine is None:
            self.fine = None
            return
        for cls, bins in other.fine.items():
            mine = self.fine.setdefault(cls, {})
            for b, k in bins.items():
                mine[b] = mine.get(b, 0) + k
        if len(self.fine) > MAX_FINE_CLASSES:
            self.fine = None

    @property
    def count(self) -> int:
        return sum(self.n)

    def to_json(self) -> str:
        """``fine`` as, per class, its bins and their counts in two lists (parsed back by ``dict(zip(...))``, at C speed)."""
        fine = None if self.fine is None else {cls: [sorted(bins), [bins[b] for b in sorted(bins)]] for cls, bins in self.fine.items()}
        return json.dumps({"n": self.n, "total": self.total, "fine": fine}, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> ConfHist:
        d = json.loads(text)
        if "fine" not in d:  # a row written before the fine bins existed: it does not cover its predictions
            return cls(d["n"], d["total"], None if sum(d["n"]) else {})
        fine = d["fine"]
        return cls(d["n"], d["total"], None if fine is None else {c: dict(zip(b, k)) for c, (b, k) in fine.items()})
