"""The text the feedback write path stores per row, written directly rather than through
the JSON encoder, and the batch decoding of what it reads.

A batch of 1,000 events stores 1,000 event texts and up to 1,000 scored pairs; the encoder
costs a few microseconds per small object (bench/feedback_join.py). These writers give
exactly the encoder's text (tests/store/test_feedback_encoding.py), so stored rows read the
same whichever wrote them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from telltale.feedback.event import FeedbackEvent
from telltale.performance.fold import PairColumns
from telltale.store import _json


def loads_all(texts: Sequence[str | None]) -> list[Any]:
    """JSON texts (None for SQL NULL) decoded with one ``json.loads`` for the whole batch."""
    return json.loads("[" + ",".join("null" if t is None else t for t in texts) + "]")  # type: ignore[no-any-return]


def pair_texts(cols: PairColumns) -> list[str]:
    """The stored form of each scored pair, ``[kind, actual, predicted, confidence, p_pos,
    y_pos, delay_s]`` as ``_json.dumps`` writes it (``_feedback._pair`` reads it back to un-fold it),
    written directly: the columns hold only class-key strings or finite floats, floats or NaN."""
    memo: dict[str, str] = {}

    def key(v: Any) -> str:  # a class key (a batch has few distinct ones), or a regressor's float
        if type(v) is not str:
            return _json.scalar(v)
        t = memo.get(v)
        if t is None:
            t = memo[v] = _json.scalar(v)
        return t

    head = "[" + _json.scalar(cols.kind) + ","
    conf = ["null" if c != c else float.__repr__(c) for c in cols.confidence.tolist()]
    pp = cols.p_pos.tolist()
    return [f"{head}{key(a)},{key(p)},{c},{'null,null' if q != q else float.__repr__(q) + (',true' if y else ',false')},{float.__repr__(d)}]"
            for a, p, c, q, y, d in zip(cols.actual, cols.predicted, conf, pp, cols.y_pos.tolist(), cols.delay.tolist())]


def event_json(e: FeedbackEvent) -> str:
    """``_json.dumps(e.to_dict())``, written field by field (a third of the encoder's time)."""
    v = _json.scalar
    return (f'{{"id":{v(e.prediction_id)},"ts":{v(e.ts)},"label":{v(e.label)},"action":{v(e.action)},'
            f'"value":{v(e.value)},"actor":{v(e.actor)},"key":{v(e.key)}}}')
