"""The guard end to end on one process: contract, fallback chain, sources and reasons,
recording, sync/async/batch/decorator forms, cost, stages."""

from __future__ import annotations

import asyncio
import dataclasses
import subprocess
import sys

import pytest

from telltale.clock import ManualClock
from telltale.guard import Guard, Output
from telltale.types import Decision, PredictionRecord
from tests.guard.conftest import GOOD, eta_model, make_spec, rules


def test_clean_call_is_served_by_the_model_and_recorded_once(recorder, clock):
    g = Guard(make_spec(), eta_model, rules, recorder=recorder, clock=clock)
    d = g.predict(GOOD)
    assert (d.value, d.source, d.reasons, d.model_version) == (16.0, "model", [], "v2")
    assert d.served_by_model
    [rec] = recorder.records
    assert (rec.id, rec.output, rec.source, rec.service, rec.ts) == (d.id, 16.0, "model", "eta", clock.now())
    assert rec.inputs == GOOD and rec.inputs is not GOOD  # a copy: the caller may reuse its dict
    assert rec.segment == "Lyon"
    assert g.stats.calls == 1 and g.stats.by_source == {"model": 1}


def test_ids_are_unique(recorder):
    g = Guard(make_spec(), eta_model, rules, recorder=recorder)
    ids = {g.predict(GOOD).id for _ in range(2000)}
    assert len(ids) == 2000


def test_blocking_violation_serves_the_rules_fallback_and_names_the_field(recorder):
    calls = []
    g = Guard(make_spec(), lambda r: calls.append(r) or 1.0, rules, recorder=recorder)
    d = g.predict({"distance_km": 5400.0, "city": "Lyon"})
    assert calls == []  # the model never saw the bad record
    assert (d.value, d.source) == (20.0, "rules")
    assert d.reasons == ["input distance_km value 5400.0 is above the maximum 60.0"]
    assert [v.field for v in d.violations] == ["distance_km"]
    assert recorder.records[0].violations == d.violations


def test_non_required_violation_is_recorded_but_the_model_serves(recorder):
    g = Guard(make_spec(), eta_model, rules, recorder=recorder)
    d = g.predict({**GOOD, "rain_mm": -3.0})
    assert d.source == "model"
    assert [(v.field, v.kind, v.required) for v in d.violations] == [("rain_mm", "range", False)]


def test_fallback_chain_runs_in_order_with_reasons(recorder):
    def broken_rules(r):
        raise KeyError("zone")

    def failing(r):
        raise RuntimeError("model down")

    g = Guard(make_spec(), failing, broken_rules, recorder=recorder)
    d = g.predict(GOOD)
    assert (d.value, d.source) == (35.0, "default")
    assert d.reasons == ["model v2 raised RuntimeError: model down", "rules fallback raised KeyError: 'zone'"]

    g2 = Guard(make_spec(fallback=["rules", "abstain", {"default": 1.0}]), failing, lambda r: None, recorder=recorder)
    d2 = g2.predict(GOOD)
    assert (d2.value, d2.source) == (None, "abstain")
    assert d2.reasons[-2:] == ["rules fallback had no answer", "abstained: no confident answer"]


def test_review_step_queues_the_record_and_tells_the_caller(recorder):
    queued = []
    g = Guard(make_spec(fallback=["review"]), lambda r: 1000.0, recorder=recorder, on_review=queued.append)
    d = g.predict(GOOD)
    assert (d.value, d.source) == (None, "review")
    assert d.reasons == ["model output 1000.0 is above the output range maximum 240.0", "queued for human review"]
    assert queued == [GOOD] and recorder.records[0].source == "review"


def test_empty_chain_abstains_and_says_so(recorder):
    g = Guard(make_spec(fallback=[]), lambda r: -1.0, recorder=recorder)
    d = g.predict(GOOD)
    assert (d.value, d.source) == (None, "abstain")
    assert d.reasons[-1] == "fallback chain exhausted: abstaining"


def test_rules_step_without_a_function_is_refused_at_construction():
    with pytest.raises(ValueError, match=r"fallback\[0\] is 'rules' but no rules function was given"):
        Guard(make_spec(), eta_model)


def test_output_gates_count_triggers_by_name(recorder):
    outs = iter([1000.0, "soon", float("nan"), 50.0])
    g = Guard(make_spec(), lambda r: next(outs), rules, recorder=recorder)
    sources = [g.predict(GOOD).source for _ in range(4)]
    assert sources == ["rules", "rules", "rules", "model"]
    assert g.stats.triggers == {"range": 1, "type": 2}


def test_confidence_gate_and_predict_proba_rows(recorder):
    spec = make_spec(output={"type": "category", "classes": ["no", "yes"], "confidence": {"min": 0.7}},
                     fallback=["abstain"])
    probs = iter([[0.1, 0.9], [0.4, 0.6]])
    g = Guard(spec, lambda r: next(probs), recorder=recorder)
    d1, d2 = g.predict(GOOD), g.predict(GOOD)
    assert (d1.value, d1.confidence, d1.source) == ("yes", 0.9, "model")
    assert (d2.value, d2.source) == (None, "abstain")
    assert d2.reasons[0] == "confidence 0.6 is below the minimum 0.7"
    assert g.stats.triggers == {"confidence": 1}


def test_async_model_and_apredict(recorder):
    async def amodel(r):
        await asyncio.sleep(0)
        return eta_model(r)

    g = Guard(make_spec(), amodel, rules, recorder=recorder)
    d = asyncio.run(g.apredict(GOOD))
    assert (d.value, d.source) == (16.0, "model")
    ds = asyncio.run(g.apredict_batch([GOOD, {"distance_km": -1.0, "city": "Lyon"}]))
    assert [x.source for x in ds] == ["model", "rules"]
    assert len(recorder.records) == 3


def test_sync_model_under_apredict_and_batch(recorder):
    g = Guard(make_spec(), eta_model, rules, recorder=recorder)
    assert asyncio.run(g.apredict(GOOD)).value == 16.0
    ds = g.predict_batch([GOOD, {**GOOD, "distance_km": 1.0}])
    assert [x.value for x in ds] == [16.0, 12.0]


def test_wrap_decorator_with_mapping_or_keywords(recorder):
    g = Guard(make_spec(), fallback=rules, recorder=recorder)

    @g.wrap
    def eta(distance_km, city, rain_mm=None):
        return 10.0 + distance_km

    d = eta(distance_km=2.0, city="Paris")
    assert isinstance(d, Decision) and (d.value, d.source) == (12.0, "model")
    assert eta(distance_km=99.0, city="Paris").source == "rules"

    @g.wrap
    async def aeta(r):
        return 1.5

    assert asyncio.run(aeta(GOOD)).value == 1.5
    with pytest.raises(TypeError, match="no model"):
        g.predict(GOOD)


def test_cost_per_call_and_llm_usage(recorder):
    spec = make_spec(cost={"per_call": 0.001, "per_1k_input_tokens": 0.5, "per_1k_output_tokens": 1.5})
    g = Guard(spec, lambda r: Output(42.0, usage={"prompt_tokens": 1200, "completion_tokens": 300}), rules, recorder=recorder)
    d = g.predict(GOOD)
    # by hand: 0.001 + 1.2 * 0.5 + 0.3 * 1.5 = 1.051
    assert d.cost == pytest.approx(1.051)
    assert recorder.records[0].cost == pytest.approx(1.051)

    class Usage:  # an SDK-style object
        input_tokens, output_tokens = 1000, 0

    g2 = Guard(spec, lambda r: Output(42.0, usage=Usage()), rules, recorder=recorder)
    assert g2.predict(GOOD).cost == pytest.approx(0.501)
    assert Guard(spec, eta_model, rules, recorder=recorder).predict({"distance_km": -5.0, "city": "Lyon"}).cost is None
    assert Guard(make_spec(), eta_model, rules, recorder=recorder).predict(GOOD).cost is None  # no prices, no cost


def test_stages_are_timed_and_carry_the_deadline(recorder):
    clock = ManualClock()
    spec = make_spec(guard={"stages": {"retrieval": 50}})
    g = Guard(spec, lambda r: clock.advance(0.004) or 7.0, rules, recorder=recorder, clock=clock)
    with g.stage("retrieval"):
        clock.advance(0.080)
    d = g.predict(GOOD)
    assert d.stages["retrieval"] == pytest.approx(80.0, abs=1e-3)
    assert d.stages["model"] == pytest.approx(4.0, abs=1e-3)
    assert d.latency_ms == pytest.approx(84.0, abs=1e-3)  # the call started with its first stage
    assert d.reasons == ["stage retrieval took 80.0 ms, over its budget of 50 ms"]
    assert g.predict(GOOD).stages == {"model": pytest.approx(4.0, abs=1e-3)}  # consumed: nothing leaks into the next call


def test_stage_inside_the_model_and_decorator_form(recorder):
    clock = ManualClock()
    g = Guard(make_spec(), None, rules, recorder=recorder, clock=clock)

    @g.stage("embed")
    def embed(r):
        clock.advance(0.002)
        return 1.0

    d = g.wrap(lambda r: embed(r) + 1.0)(GOOD)
    assert d.value == 2.0 and d.stages["embed"] == pytest.approx(2.0, abs=1e-3)


def test_deadline_spent_by_stages_serves_the_fallback_without_calling(recorder):
    clock = ManualClock()
    called = []
    g = Guard(make_spec(guard={"budget_ms": 100}), lambda r: called.append(1) or 1.0, rules, recorder=recorder, clock=clock)
    with g.stage("retrieval"):
        clock.advance(0.150)
    d = g.predict(GOOD)
    assert called == [] and d.source == "rules"
    assert d.reasons == ["deadline of 100 ms passed before the model call (stages: retrieval 150.0 ms)"]


def test_record_and_decision_field_order_is_pinned():
    # the guard builds both positionally for speed; a reordering must fail here, loudly
    assert [f.name for f in dataclasses.fields(PredictionRecord)] == [
        "id", "service", "ts", "inputs", "output", "confidence", "source", "model_version", "components",
        "latency_ms", "stages", "cost", "violations", "reasons", "segment", "event_ts", "guard",
        "attempts", "input_tokens", "output_tokens", "cached_tokens", "actor", "tags"]
    assert [f.name for f in dataclasses.fields(Decision)] == [
        "id", "value", "source", "confidence", "reasons", "latency_ms", "stages", "violations", "model_version", "cost"]


def test_default_recorder_writes_to_a_sqlite_file(tmp_path):
    url = f"sqlite:///{tmp_path / 'g.db'}"
    g = Guard(make_spec(), eta_model, rules, record_to=url)
    ids = [g.predict(GOOD).id for _ in range(5)]
    g.close()
    from telltale.store import Store

    store = Store.open(url)
    try:
        got = store.read_predictions("default", "eta", 0, 1e12)
        assert sorted(r.id for r in got) == sorted(ids)
    finally:
        store.close()


def test_import_does_not_pull_server_dependencies():
    code = ("import sys, telltale, telltale.guard, telltale.control\n"
            "from tests.guard.conftest import make_spec, eta_model, rules, GOOD\n"
            "from telltale.record.memory import MemoryRecorder\n"
            "telltale.Guard(make_spec(), eta_model, rules, recorder=MemoryRecorder()).predict(GOOD)\n"
            "bad = [m for m in ('fastapi', 'uvicorn', 'sqlalchemy', 'starlette', 'pandas') if m in sys.modules]\n"
            "print(bad); sys.exit(1 if bad else 0)\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=str(__import__('pathlib').Path(__file__).parents[2]))
    assert r.returncode == 0, r.stdout + r.stderr


def test_async_stage_and_async_retries(recorder):
    clock = ManualClock()
    calls = []

    async def flaky(r):
        calls.append(clock.monotonic())
        if len(calls) == 1:
            raise ConnectionError("reset")
        return 4.0

    spec = make_spec(guard={"retry": {"max_attempts": 2, "retry_on": ["ConnectionError"], "backoff_s": 0.01, "jitter": False}})
    g = Guard(spec, flaky, rules, recorder=recorder, clock=clock)

    async def main():
        async with g.stage("fetch"):
            clock.advance(0.005)
        return await g.apredict(GOOD)

    d = asyncio.run(main())
    assert (d.value, d.source) == (4.0, "model")
    assert d.stages["fetch"] == pytest.approx(5.0, abs=1e-3)
    assert calls[1] - calls[0] == pytest.approx(0.01, abs=1e-6)  # backed off on the injected clock
    assert g.stats.retries == 1


def test_a_failing_recorder_never_fails_the_call():
    class Broken:
        def submit(self, r):
            raise OSError("disk full")

    g = Guard(make_spec(), eta_model, rules, recorder=Broken())
    assert g.predict(GOOD).value == 16.0
    assert g.stats.events["record_errors"] == 1 and g.last_record_error == "OSError: disk full"


def test_a_call_that_raises_leaves_no_timing_behind(recorder):
    clock = ManualClock()
    g = Guard(make_spec(), None, rules, recorder=recorder, clock=clock)
    with pytest.raises(TypeError, match="no model"):
        g.predict(GOOD)
    clock.advance(10)
    d = g.wrap(eta_model)(GOOD)
    assert d.latency_ms == 0.0  # not 10 s from the failed call's start


def test_each_record_names_the_guard_that_took_the_call(recorder, clock):
    from telltale.control import ControlState, MemoryControlSource

    def failing(r):
        raise RuntimeError("model down")

    g = Guard(make_spec(), eta_model, rules, recorder=recorder, clock=clock)
    g.predict(GOOD)
    g.predict({**GOOD, "distance_km": 5400.0})
    Guard(make_spec(), failing, rules, recorder=recorder, clock=clock).predict(GOOD)
    Guard(make_spec(), lambda r: 999.0, rules, recorder=recorder, clock=clock).predict(GOOD)
    source = MemoryControlSource()
    source.set("eta", ControlState("fallback", "incident 42", clock.now()))
    controlled = Guard(make_spec(), eta_model, rules, recorder=recorder, clock=clock, control=source)
    controlled.refresh_control()
    controlled.predict(GOOD)
    assert [(r.source, r.guard) for r in recorder.records] == [
        ("model", None), ("rules", "contract"), ("rules", "model_error"), ("rules", "output_range"), ("rules", "control")]


def test_an_open_breaker_and_a_full_bulkhead_are_named_too(recorder, clock):
    def failing(r):
        raise RuntimeError("model down")

    spec = make_spec(guard={"breaker": {"window_size": 4, "min_calls": 4, "failure_rate": 0.5, "open_wait_s": 60}})
    g = Guard(spec, failing, rules, recorder=recorder, clock=clock)
    for _ in range(5):
        g.predict(GOOD)
    assert [r.guard for r in recorder.records] == ["model_error"] * 4 + ["breaker"]
