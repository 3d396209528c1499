"""Retries: retryable errors only, backoff inside the deadline, and a budget that keeps
an outage from multiplying load."""

from __future__ import annotations

import pytest

from telltale.clock import ManualClock
from telltale.guard import Guard
from telltale.guard.retry import RetryBudget
from tests.guard.conftest import GOOD, make_spec, rules

RETRY = {"max_attempts": 3, "retry_on": ["ConnectionError"], "backoff_s": 0.01, "max_backoff_s": 0.1, "jitter": True,
         "budget": {"ratio": 0.1, "max_tokens": 10}}


class Counting:
    def __init__(self, fail_first: int | None = None, exc: type[Exception] = ConnectionError) -> None:
        self.calls = 0
        self.fail_first = fail_first  # None: fail every call
        self.exc = exc

    def __call__(self, r):
        self.calls += 1
        if self.fail_first is None or self.calls <= self.fail_first:
            raise self.exc("reset by peer")
        return 9.0


def test_outage_of_1000_calls_stays_inside_the_retry_budget(recorder):
    model = Counting()
    g = Guard(make_spec(guard={"retry": RETRY}), model, rules, recorder=recorder, clock=ManualClock(), seed=1)
    sources = {g.predict(GOOD).source for _ in range(1000)}
    # By hand, tokens start at 10 and every failed attempt costs 1; a retry needs > 5 left:
    # call 1: 10->9 retry, 9->8 retry, 8->7 (3rd attempt, the maximum); call 2: 7->6 retry,
    # 6->5 stop; every later call: one attempt. So 3 + 2 + 998 = 1003 attempts.
    attempts_per_call = model.calls / 1000
    print(f"\nretry budget under a total outage: {model.calls} attempts for 1000 calls ({attempts_per_call:.3f} per call); "
          f"without the budget: {3 * 1000}")
    assert model.calls == 1003
    assert model.calls <= 1000 + 10 / 2  # the general bound: max_tokens / 2 retries without successes
    assert sources == {"rules"} and g.stats.retries == 3
    assert g.stats.events["retries_denied_by_budget"] == 1000 - 1  # every call after the first wanted one
    assert g.stats.retry_tokens == 0.0


def test_successes_refill_the_budget_by_ratio():
    b = RetryBudget(ratio=0.1, max_tokens=10)
    for _ in range(10):
        b.failed_can_retry()
    assert b.tokens == 0.0
    for _ in range(51):
        b.succeeded()
    assert b.tokens == pytest.approx(5.1)
    assert b.failed_can_retry() is False  # 4.1 left
    for _ in range(100):
        b.succeeded()
    assert b.tokens == 10.0  # capped


def test_transient_error_is_retried_and_served(recorder):
    model = Counting(fail_first=1)
    spec = make_spec(guard={"retry": RETRY}, cost={"per_call": 0.002})
    g = Guard(spec, model, rules, recorder=recorder, clock=ManualClock(), seed=1)
    d = g.predict(GOOD)
    assert (d.value, d.source, d.reasons) == (9.0, "model", [])
    assert model.calls == 2 and d.cost == pytest.approx(0.004)  # both attempts are paid for


def test_non_retryable_error_is_not_retried(recorder):
    model = Counting(exc=ValueError)
    g = Guard(make_spec(guard={"retry": RETRY}), model, rules, recorder=recorder, clock=ManualClock())
    d = g.predict(GOOD)
    assert model.calls == 1 and d.reasons[0] == "model v2 raised ValueError: reset by peer"


def test_subclass_of_a_retryable_error_is_retried(recorder):
    model = Counting(fail_first=1, exc=ConnectionResetError)
    g = Guard(make_spec(guard={"retry": RETRY}), model, rules, recorder=recorder, clock=ManualClock())
    assert g.predict(GOOD).source == "model" and model.calls == 2


def test_backoff_never_crosses_the_deadline(recorder):
    clock = ManualClock()
    retry = {**RETRY, "backoff_s": 0.08, "max_backoff_s": 1.0, "jitter": False}
    model = Counting()
    g = Guard(make_spec(guard={"retry": retry, "budget_ms": 100}), model, rules, recorder=recorder, clock=clock)
    try:
        t0 = clock.monotonic()
        d = g.predict(GOOD)
        # attempt 1 fails at 0, backs off 80 ms (< 100), attempt 2 fails; the next backoff
        # (160 ms) would end past the deadline, so no third attempt
        assert model.calls == 2 and clock.monotonic() - t0 == pytest.approx(0.08, abs=1e-6)
        assert d.reasons[0] == "model v2 raised ConnectionError: reset by peer after 2 attempts"
        assert g.stats.events["retries_denied_by_deadline"] == 1
    finally:
        g.close()


def test_backoff_is_exponential_capped_and_jittered():
    from telltale.guard.retry import RetryPolicy
    from telltale.spec.model import RetrySettings

    p = RetryPolicy(RetrySettings(backoff_s=0.01, max_backoff_s=0.05, jitter=False))
    assert [p.backoff(a) for a in (1, 2, 3, 4, 5)] == [0.01, 0.02, 0.04, 0.05, 0.05]
    pj = RetryPolicy(RetrySettings(backoff_s=0.01, max_backoff_s=0.05, jitter=True), seed=3)
    draws = [pj.backoff(3) for _ in range(200)]
    assert all(0 <= x <= 0.04 for x in draws) and len(set(draws)) > 150
