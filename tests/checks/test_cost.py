"""The cost check: the spec's budgets per decision and per hour, the hour before, and the
driver each finding names."""

from __future__ import annotations

import pytest

from telltale.checks import cost
from telltale.guard.cost import CostModel
from telltale.profile import Profile
from telltale.spec import parse_spec
from telltale.types import PredictionRecord, Window

BASE = "service: s\nowner: me\ninputs:\n  x: {type: float}\n"
WINDOW = Window.from_epoch(1_767_225_600, 1_767_225_900)  # 5 minutes


def _spec(cost_yaml: str):
    return parse_spec(BASE + f"cost: {{{cost_yaml}}}\n")


def _p(spec, n: int, *, tin: int = 500, tout: int = 400, cached: int = 0, attempts: int = 1) -> Profile:
    prices = CostModel(spec.cost)
    usage = {"prompt_tokens": tin, "completion_tokens": tout, "prompt_tokens_details": {"cached_tokens": cached}}
    return Profile.from_records(spec, [PredictionRecord(f"r{i}", "s", 0.0, {"x": 1.0}, cost=prices.cost(attempts, usage),
                                                        attempts=attempts, input_tokens=tin, output_tokens=tout, cached_tokens=cached)
                                       for i in range(n)])


PRICES = "per_1k_input_tokens: 0.001, per_1k_output_tokens: 0.01"


def test_cost_per_decision_over_its_budget_names_the_driver():
    spec = _spec(PRICES + ", budget_per_call: 0.005")
    assert cost.check(spec, _p(spec, 40), None, WINDOW) == []  # 0.0005 + 0.004 = 0.0045
    (f,) = cost.check(spec, _p(spec, 40, tout=600), None, WINDOW)  # 0.0005 + 0.006
    assert (f.kind, f.feature, f.severity, f.statistic, f.threshold) == ("cost", "output tokens", "critical", "cost_per_call", 0.005)
    assert f.value == pytest.approx(0.0065)
    assert f.message == ("cost per decision is 0.0065 usd, above the budget (cost.budget_per_call) of 0.005: "
                         "driven by output tokens (600 tokens per decision)")
    assert cost.check(spec, _p(spec, 19, tout=600), None, WINDOW) == []  # too few priced calls to say


def test_spend_per_hour_over_its_budget_driven_by_calls():
    spec = _spec(PRICES + ", budget_per_call: 0.005, budget_per_hour: 1.0")
    (f,) = cost.check(spec, _p(spec, 40), None, WINDOW)
    # 40 decisions at 0.0045 in 5 minutes: 0.18 * 12 = 2.16 per hour; each decision within its budget
    assert (f.feature, f.statistic, f.threshold) == ("calls", "cost_per_hour", 1.0)
    assert f.value == pytest.approx(2.16)
    assert f.message == ("spend is 2.16 usd per hour (40 decisions in 300 s), above the budget (cost.budget_per_hour) of 1: "
                         "driven by calls (480 decisions per hour)")


def test_a_rise_against_the_hour_before_from_fewer_cache_hits():
    spec = _spec("per_1k_input_tokens: 0.001, per_1k_output_tokens: 0.01, per_1k_cached_tokens: 0.0001")
    before = _p(spec, 100, tout=50, cached=400)  # 100 * 0.001 + 400 * 0.0001 + 50 * 0.01, per 1k: 0.00064
    (f,) = cost.check(spec, _p(spec, 40, tout=50, cached=0), before, WINDOW)  # 0.0005 + 0.0005 = 0.001
    assert (f.feature, f.severity, f.value) == ("cached tokens", "warning", pytest.approx(0.001))
    assert f.threshold == pytest.approx(1.5 * 0.00064)
    assert f.message == ("cost per decision rose to 0.001 usd from 0.00064 in the hour before: "
                         "driven by cached tokens (0 tokens per decision, against 400 in the hour before)")


def test_retries_as_the_driver():
    spec = _spec("per_call: 0.001")
    (f,) = cost.check(spec, _p(spec, 40, attempts=2), _p(spec, 100), WINDOW)
    assert (f.feature, f.value) == ("retries", pytest.approx(0.002))
    assert f.message.endswith("driven by retries (2 attempts per decision, against 1 in the hour before)")


def test_budgets_are_validated():
    with pytest.raises(ValueError, match="budget_per_call"):
        _spec("per_call: 0.001, budget_per_call: -1")
    with pytest.raises(ValueError, match="per_1k_cached_tokens"):
        _spec("per_1k_cached_tokens: -0.1")
