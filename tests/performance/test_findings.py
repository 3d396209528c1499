"""``performance`` findings: a floor crossed on enough labels is critical, on too few a
warning that says so; a window clearly below the reference period is a warning."""

from __future__ import annotations

import pytest

from telltale.errors import SpecError
from telltale.performance.findings import check
from telltale.performance.summary import Pair, Summary
from telltale.performance.windows import performance_of
from telltale.spec import parse_spec
from telltale.types import Window

SPEC = parse_spec("service: churn\nowner: me\ninputs:\n  x: {type: float}\noutput: {type: category, classes: [stay, leave]}\n"
                  "performance: {metrics: {accuracy: {min: 0.8}}, min_labels: 100}\n")
W = Window.from_epoch(1_767_225_600.0, 1_767_229_200.0)


def _window(hits: int, n: int, predictions: int | None = None):
    s = Summary()
    for i in range(n):
        actual = "leave" if i < hits else "stay"
        s.add_pair(Pair(kind="classification", actual=actual, predicted="leave", confidence=0.9, delay_s=3600.0))
    return performance_of(SPEC, W, s, predictions if predictions is not None else n)


def test_floor_crossed_on_enough_labels_is_critical() -> None:
    (f,) = check(SPEC, _window(140, 200, predictions=400), None)
    assert (f.kind, f.feature, f.severity, f.value, f.threshold) == ("performance", "accuracy", "critical", 0.7, 0.8)
    assert f.message.startswith("realized accuracy 0.7 (95% CI 0.633 to 0.759) on 200 labels, coverage 50%, mean label delay 1.0 h is below the floor 0.8")


def test_too_few_labels_is_said_not_judged() -> None:
    (f,) = check(SPEC, _window(7, 12), None)
    assert f.severity == "warning"
    assert "but on only 12 labels, coverage 100%, mean label delay 1.0 h: too few for a verdict (performance.min_labels is 100)" in f.message


def test_clearly_below_the_reference_without_crossing_the_floor() -> None:
    current, reference = _window(170, 200), _window(1900, 2000)  # 0.85 against 0.95
    (f,) = check(SPEC, current, reference)
    assert (f.severity, f.feature, f.value, f.threshold) == ("warning", "accuracy", 0.85, 0.95)
    assert "clearly worse than 0.95 over the 2000 labelled predictions of the reference period" in f.message
    assert check(SPEC, _window(185, 200), reference) == []  # 0.925: its interval reaches past 0.95 - 0.05


@pytest.mark.parametrize(("perf", "message"), [
    ("{metrics: {accuracy: {max: 0.8}}}", "metrics.accuracy: give min only (accuracy is higher is better), e.g. {min: 0.8}"),
    ("{metrics: {auc: {min: 0.8}}}", "metrics.auc: unknown metric; use one of accuracy, precision, recall, f1, roc_auc"),
    ("{metrics: {mae: {max: 3}}}", "performance.metrics.mae: the output describes a classifier"),
])
def test_bad_performance_keys_are_refused_naming_the_key(perf: str, message: str) -> None:
    text = f"service: churn\nowner: me\ninputs:\n  x: {{type: float}}\noutput: {{type: category, classes: [a, b]}}\nperformance: {perf}\n"
    with pytest.raises(SpecError, match=message.replace("{", r"\{").replace("}", r"\}").replace("(", r"\(").replace(")", r"\)")):
        parse_spec(text)
