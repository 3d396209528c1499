"""A Hypothesis state machine over the guard: whatever the model, the inputs, the clock
and the concurrency do, the breaker stays in a legal state, the bulkhead never admits
more than its limit, retries never exceed the budget, and every finished call leaves
exactly one record."""

from __future__ import annotations

import threading

from hypothesis import HealthCheck, settings, strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from telltale.clock import ManualClock
from telltale.guard import Guard
from telltale.record.memory import MemoryRecorder
from tests.guard.conftest import GOOD, make_spec, rules

LIMIT = 2
MAX_TOKENS, RATIO = 4.0, 0.5
SPEC = make_spec(guard={
    "breaker": {"window_size": 5, "min_calls": 3, "failure_rate": 0.5, "open_wait_s": 10, "half_open_calls": 2},
    "retry": {"max_attempts": 3, "retry_on": ["ConnectionError"], "backoff_s": 0.001, "budget": {"ratio": RATIO, "max_tokens": MAX_TOKENS}},
    "bulkhead": {"max_concurrent": LIMIT, "max_wait_ms": 0},
})
SOURCES = {"model", "rules", "default", "abstain", "review"}


class Model:
    """A real model function whose behaviour the machine sets; held calls block in it."""

    def __init__(self) -> None:
        self.behaviour = "ok"
        self.successes = 0
        self.inside = 0
        self._lock = threading.Lock()

    def __call__(self, r):
        hold = r.get("hold")
        if hold is not None:
            entered, release = hold
            with self._lock:
                self.inside += 1
            entered.set()
            release.wait(10)
            with self._lock:
                self.inside -= 1
                self.successes += 1
            return 5.0
        if self.behaviour == "fail":
            raise ConnectionError("down")
        if self.behaviour == "value_error":
            raise ValueError("bug")
        if self.behaviour == "bad":
            return 10_000.0
        with self._lock:
            self.successes += 1
        return 5.0


class GuardMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.clock = ManualClock()
        self.model = Model()
        self.recorder = MemoryRecorder()
        self.guard = Guard(SPEC, self.model, rules, recorder=self.recorder, clock=self.clock, seed=0)
        self.finished = 0
        self.held: list[tuple[threading.Thread, threading.Event]] = []
        self.done_lock = threading.Lock()

    def _finish(self, d) -> None:
        assert d.source in SOURCES, d
        with self.done_lock:
            self.finished += 1

    @rule(behaviour=st.sampled_from(["ok", "fail", "value_error", "bad"]))
    def call(self, behaviour):
        self.model.behaviour = behaviour
        self._finish(self.guard.predict(GOOD))

    @rule()
    def invalid_call(self):
        d = self.guard.predict({"distance_km": "far", "city": "Lyon"})
        assert d.source == "rules"
        self._finish(d)

    @rule(seconds=st.floats(0, 15))
    def advance(self, seconds):
        self.clock.advance(seconds)

    @precondition(lambda self: len(self.held) < LIMIT + 1)
    @rule()
    def hold(self):
        entered, release = threading.Event(), threading.Event()
        returned = threading.Event()

        def run():
            self._finish(self.guard.predict({**GOOD, "hold": (entered, release)}))
            returned.set()

        t = threading.Thread(target=run, daemon=True)
        t.start()
        end = 0
        while not (entered.is_set() or returned.is_set()) and end < 1000:
            entered.wait(0.005)
            end += 1
        assert entered.is_set() or returned.is_set()
        self.held.append((t, release))

    @precondition(lambda self: self.held)
    @rule()
    def release(self):
        t, release = self.held.pop(0)
        release.set()
        t.join(10)
        assert not t.is_alive()

    @invariant()
    def breaker_state_is_legal(self):
        b = self.guard.breaker
        assert b.state in ("closed", "open", "half_open")
        assert b.window_calls <= 5

    @invariant()
    def in_flight_never_above_the_limit(self):
        bh = self.guard.bulkhead
        assert 0 <= bh.in_flight <= LIMIT and bh.peak <= LIMIT
        assert self.model.inside <= LIMIT

    @invariant()
    def retries_never_above_the_budget(self):
        # tokens start at MAX_TOKENS, a retry needs more than half, successes refill RATIO:
        # at most MAX_TOKENS / 2 + RATIO * successes retries, ever
        assert self.guard.stats.retries <= MAX_TOKENS / 2 + RATIO * self.model.successes

    @invariant()
    def every_finished_call_has_exactly_one_record(self):
        with self.done_lock:
            finished = self.finished
        ids = [r.id for r in self.recorder.records]
        assert len(ids) == len(set(ids)) == finished == self.guard.stats.calls

    def teardown(self):
        for t, release in self.held:
            release.set()
            t.join(10)
        self.guard.close()


GuardMachine.TestCase.settings = settings(max_examples=60, stateful_step_count=40, deadline=None,
                                          suppress_health_check=[HealthCheck.too_slow])
TestGuardMachine = GuardMachine.TestCase
