"""Output gates and the out-of-distribution score, worked by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from telltale.guard import Guard, Output
from telltale.guard.ood import OODScorer
from telltale.guard.output import OutputGates, unpack
from telltale.spec.model import OutputSpec
from tests.guard.conftest import GOOD, make_spec, rules


@pytest.mark.parametrize("value,expected", [
    (5.0, None),
    (np.float32(5.0), None),
    (np.int64(3), None),
    (0.5, ("range", "model output 0.5 is below the output range minimum 1.0")),
    (241, ("range", "model output 241 is above the output range maximum 240.0")),
    (math.inf, ("type", "model output inf is not a finite number")),
    (True, ("type", "model output bool True is not a number (output type float)")),
    ("12", ("type", "model output str '12' is not a number (output type float)")),
    (None, ("type", "model output NoneType None is not a number (output type float)")),
])
def test_float_gates(value, expected):
    assert OutputGates(OutputSpec(type="float", range=[1, 240])).check(value, None) == expected


def test_int_class_bool_and_confidence_gates():
    assert OutputGates(OutputSpec(type="int")).check(2.5, None) == ("type", "model output 2.5 is not an integer (output type int)")
    assert OutputGates(OutputSpec(type="int")).check(2.0, None) is None
    g = OutputGates(OutputSpec(type="category", classes=["a", "b"], confidence={"min": 0.6}))
    assert g.check("c", 0.9) == ("classes", "model output 'c' is not one of the allowed classes ['a', 'b']")
    assert g.check("a", 0.59) == ("confidence", "confidence 0.59 is below the minimum 0.6")
    assert g.check("a", None) is None  # no confidence reported: nothing to gate on
    assert OutputGates(OutputSpec(type="bool")).check(np.bool_(True), None) is None
    assert OutputGates(OutputSpec(type="bool")).check(1, None)[0] == "type"


def test_unpack_forms():
    assert unpack(Output(3.0, 0.8, {"input_tokens": 1}), None) == (3.0, 0.8, {"input_tokens": 1})
    assert unpack(np.array([[0.2, 0.7, 0.1]]), ("x", "y", "z")) == ("y", pytest.approx(0.7), None)
    assert unpack([0.2, 0.8], None) == ([0.2, 0.8], None, None)  # no classes: a list is just a value
    assert unpack("yes", ("no", "yes")) == ("yes", None, None)


def test_ood_score_against_a_reference_by_hand():
    spec = make_spec()
    s = OODScorer(spec, {"distance_km": (2.0, 12.0), "city": ["Lyon"]})
    assert s.score(GOOD | {"distance_km": 7.0}) == (0.0, "")
    score, why = s.score(GOOD | {"distance_km": 37.0})  # (37 - 12) / (12 - 2) = 2.5 widths above
    assert score == pytest.approx(2.5) and why.startswith("distance_km=37.0 is 2.5 widths above the reference profile interval [2, 12]")
    score, why = s.score(GOOD | {"city": "Paris"})
    assert score == 1.0 and why == "city='Paris' was never seen in the reference profile"


def test_ood_score_against_a_real_profile():
    from telltale.profile import Profile

    spec = make_spec()
    rng = np.random.default_rng(0)
    ref = Profile.from_columns(spec, {"distance_km": rng.uniform(0, 10, 20000),
                                      "city": np.array(["Lyon"] * 20000, dtype=object),
                                      "rain_mm": rng.uniform(0, 5, 20000)})
    s = OODScorer(spec, ref)
    assert s.source == "reference profile"
    assert s.score(GOOD | {"distance_km": 5.0, "rain_mm": 2.0})[0] == 0.0
    # the reference's central 99% is about [0.05, 9.95]: 30 km is about 2 widths above
    assert s.score(GOOD | {"distance_km": 30.0, "rain_mm": 2.0})[0] == pytest.approx((30 - 9.95) / 9.9, rel=0.05)


def test_ood_gate_in_the_guard_serves_the_fallback(recorder):
    spec = make_spec(output={"type": "float", "range": [1, 240], "ood_max": 1.0})
    g = Guard(spec, lambda r: 5.0, rules, recorder=recorder, reference={"distance_km": (2.0, 12.0)})
    assert g.predict(GOOD | {"distance_km": 20.0}).source == "model"  # 0.8 widths: inside the limit
    d = g.predict(GOOD | {"distance_km": 40.0})
    assert d.source == "rules" and d.reasons[0].startswith("input is out of distribution (score 2.8 > 1)")
    assert g.stats.triggers == {"ood": 1}
