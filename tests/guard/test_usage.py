"""The guard fills each record's attempts and token usage (cached tokens in OpenAI's and
Anthropic's namings), on the plain fast path and the full one, sync and async."""

from __future__ import annotations

import asyncio

import pytest

from telltale.guard import Guard, Output
from telltale.guard.cost import Tokens, usage_tokens
from tests.guard.conftest import GOOD, eta_model, make_spec, rules

PLAIN = {"distance_km": {"type": "float", "range": [0, 60]}}  # no segment field: the plain finishing path


def test_attempts_on_the_plain_path_and_none_when_the_model_was_not_called(recorder):
    g = Guard(make_spec(inputs=PLAIN), eta_model, rules, recorder=recorder)
    g.predict({"distance_km": 3.0})
    g.predict({"distance_km": -1.0})  # the contract sends it to the fallback
    assert [(r.attempts, r.input_tokens, r.source) for r in recorder.records] == [(1, None, "model"), (None, None, "rules")]


def test_retries_are_counted_in_attempts(recorder):
    calls = []

    def flaky(r):
        calls.append(1)
        if len(calls) == 1:
            raise ConnectionError("reset")
        return 7.0

    g = Guard(make_spec(guard={"retry": {"max_attempts": 3, "backoff_s": 0}}), flaky, rules, recorder=recorder)
    assert g.predict(GOOD).value == 7.0
    assert recorder.records[0].attempts == 2


def test_usage_is_recorded_without_prices_openai_naming(recorder):
    usage = {"prompt_tokens": 1200, "completion_tokens": 300, "prompt_tokens_details": {"cached_tokens": 1000}}
    g = Guard(make_spec(inputs=PLAIN), lambda r: Output(42.0, usage=usage), rules, recorder=recorder)
    d = g.predict({"distance_km": 3.0})
    r = recorder.records[0]
    assert (r.input_tokens, r.output_tokens, r.cached_tokens, r.attempts, r.cost, d.cost) == (1200, 300, 1000, 1, None, None)


def test_cached_tokens_are_priced_apart_anthropic_naming(recorder):
    spec = make_spec(cost={"per_1k_input_tokens": 3.0, "per_1k_output_tokens": 15.0, "per_1k_cached_tokens": 0.3})
    usage = {"input_tokens": 200, "cache_read_input_tokens": 800, "output_tokens": 100}
    d = Guard(spec, lambda r: Output(42.0, usage=usage), rules, recorder=recorder).predict(GOOD)
    r = recorder.records[0]
    assert (r.input_tokens, r.cached_tokens, r.output_tokens) == (1000, 800, 100)
    # by hand: 200 * 3 / 1000 + 800 * 0.3 / 1000 + 100 * 15 / 1000 = 0.6 + 0.24 + 1.5
    assert d.cost == pytest.approx(2.34)


def test_tokens_of_an_answer_the_output_gate_refused_are_still_spent(recorder):
    spec = make_spec(cost={"per_1k_output_tokens": 10.0})
    d = Guard(spec, lambda r: Output(999.0, usage={"output_tokens": 100}), rules, recorder=recorder).predict(GOOD)
    assert d.source == "rules" and d.cost == pytest.approx(1.0)
    assert recorder.records[0].output_tokens == 100


def test_the_async_path_fills_the_same_fields(recorder):
    async def model(r):
        return Output(5.0, usage={"input_tokens": 10, "output_tokens": 2})

    g = Guard(make_spec(), model, rules, recorder=recorder)
    asyncio.run(g.apredict(GOOD))
    r = recorder.records[0]
    assert (r.attempts, r.input_tokens, r.output_tokens, r.cached_tokens) == (1, 10, 2, 0)


def test_usage_namings():
    class SDKUsage:  # an SDK object whose details are an object too
        prompt_tokens, completion_tokens = 50, 5

        class prompt_tokens_details:
            cached_tokens = 20

    assert usage_tokens(SDKUsage()) == Tokens(50, 5, 20)
    assert usage_tokens({"input_tokens": 7}) == Tokens(7, 0, 0)
    assert usage_tokens({"input_tokens": 10, "cache_creation_input_tokens": 90}) == Tokens(100, 0, 0)
    assert usage_tokens({"prompt_tokens": "n/a"}) == Tokens(0, 0, 0)
