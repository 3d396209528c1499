"""Label marks: the feedback write path marks the minutes of prediction time it scores."""

from __future__ import annotations

import math

from telltale.feedback import FeedbackEvent
from telltale.spec import parse_spec
from telltale.store import Store
from telltale.store._findings import Cursor
from telltale.store._label_updates import LabelMark
from telltale.types import PredictionRecord

T0 = 1_767_225_600.0
SPEC = parse_spec("service: s\nowner: me\ninputs:\n  x: {type: float}\noutput: {type: category, classes: [stay, leave]}\n")


def test_a_join_marks_its_minute_and_a_mark_clears_only_at_the_version_the_monitor_read(db_url, clock) -> None:
    store = Store.open(db_url, clock=clock)
    store.put_service("p", SPEC)
    store.write_feedback("p", [FeedbackEvent("a", "s", T0 + 7200, label="leave")])
    assert store.label_marks("p", "s", math.inf) == []  # waiting for its prediction: no minute to re-judge yet
    store.write_predictions("p", [PredictionRecord(id="a", service="s", ts=T0 + 65, inputs={"x": 1.0}, output="stay", confidence=0.9)])
    assert store.label_marks("p", "s", math.inf) == [LabelMark(int(T0) + 60, 1)]  # joined: the prediction's minute
    read = store.label_marks("p", "s", math.inf)
    store.write_feedback("p", [FeedbackEvent("a", "s", T0 + 9000, label="stay")])  # replaced while the monitor judged
    assert store.label_marks("p", "s", math.inf) == [LabelMark(int(T0) + 60, 2)]
    assert store.record_windows("p", "s", [], window_s=300, expect=None, advance=Cursor(T0, 0.0), labels_judged=read)
    assert store.label_marks("p", "s", math.inf) == [LabelMark(int(T0) + 60, 2)]  # the newer label keeps its mark
    assert store.record_windows("p", "s", [], window_s=300, expect=Cursor(T0, 0.0), advance=Cursor(T0, 0.0),
                                labels_judged=store.label_marks("p", "s", math.inf))
    assert store.label_marks("p", "s", math.inf) == []
    assert store.label_marks("p", "s", T0 + 60) == []  # before: only minutes strictly before it
    store.close()
