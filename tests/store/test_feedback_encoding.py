"""The feedback write path's direct JSON writers give exactly the text the encoder gives."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest

from telltale.feedback import FeedbackEvent
from telltale.performance.fold import score
from telltale.performance.pairs import pair_of
from telltale.performance.summary import Pair
from telltale.store import _json
from telltale.store._feedback import _pair
from telltale.store._feedback_text import event_json, pair_texts

VALUES: list[Any] = ["plain", "é \"quoted\"\n\t\\", "", 0.1, 1e300, -0.0, 1767225600.123456, float("nan"), float("inf"),
                     3, -(2**70), True, False, None, {"a": True}, [1, "x"], np.float64(0.25), np.int64(4)]


@pytest.mark.parametrize("value", VALUES, ids=repr)
def test_scalar_writes_what_dumps_writes(value: Any) -> None:
    assert _json.scalar(value) == _json.dumps(value)


def test_array_writes_what_dumps_writes() -> None:
    assert _json.array(VALUES) == _json.dumps(VALUES)
    assert _json.array([]) == "[]"


@pytest.mark.parametrize("event", [
    FeedbackEvent("p1", "s", 1767225600.5, label="leave", actor="team-1"),
    FeedbackEvent("p\u00e9\"1", "s", 17, label={"hallucination": True, "unsafe": False}),
    FeedbackEvent("p1", "s", 1.0, label=3.5, action="overridden", value=2, key="caller-key"),
    FeedbackEvent("p1", "s", 1.0, action="corrected", value={"text": "fixed"}),
    FeedbackEvent("p1", "s", 1.0, label=np.float64(0.1), action="accepted"),
], ids=["class", "flags", "numbers", "object-value", "numpy"])
def test_an_event_is_written_as_dumps_of_its_dict(event: FeedbackEvent) -> None:
    assert event_json(event) == _json.dumps(event.to_dict())
    assert json.loads(event_json(event))["key"] == event.key


def test_a_pair_text_is_dumps_of_the_pair_and_reads_back_as_it() -> None:
    rows: list[tuple[Any, Any, Any, Any]] = [("yes", 0.9, "yes", 60.5), ("no", 0.19999999999999996, "yes", 0.0),
                                             ("no", None, "no", 10.0), ("no", 2.0, "maybe", 1.0)]
    cols = score("classification", "yes", [r[0] for r in rows], [r[1] for r in rows], [None] * 4, [0.0] * 4,
                 [r[2] for r in rows], [r[3] for r in rows])
    want = [pair_of(o, c, None, 0.0, lab, lts, "classification", "yes") for o, c, lab, lts in rows]
    texts = pair_texts(cols)
    assert texts == [_json.dumps([p.kind, p.actual, p.predicted, p.confidence, p.p_pos, p.y_pos, p.delay_s]) for p in want if p]
    assert [_pair(t) for t in texts] == want
    assert texts[2] == '["classification","no","no",null,null,null,10.0]'


def test_a_regression_pair_text_reads_back_as_the_pair() -> None:
    cols = score("regression", None, [2.5, "4"], [None, 0.3], [None, None], [0.0, 0.0], [3, 4.5], [5.0, 0.0])
    assert pair_texts(cols) == ['["regression",3.0,2.5,null,null,null,5.0]', '["regression",4.5,4.0,null,null,null,0.0]']
    assert _pair(pair_texts(cols)[0]) == Pair("regression", 3.0, 2.5, None, None, None, 5.0)
