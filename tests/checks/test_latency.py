"""The latency check on hand-counted windows: budgets per stage, SLOs, the hour before,
small windows and the sketch's error."""

from __future__ import annotations

import numpy as np

from telltale.checks import latency
from telltale.profile import Profile
from telltale.spec import parse_spec
from telltale.types import PredictionRecord

SPEC = parse_spec("service: s\nowner: me\ninputs:\n  x: {type: float}\nguard:\n  stages: {retrieval: 200}\n")


def _p(retrieval: list[float], spec=SPEC) -> Profile:
    return Profile.from_records(spec, [PredictionRecord(f"r{i}", "s", 0.0, {"x": 1.0}, latency_ms=v + 10.0,
                                                        stages={"retrieval": v, "model": 10.0})
                                       for i, v in enumerate(retrieval)])


def test_a_stage_whose_p95_passes_its_budget_is_critical_and_named():
    (f,) = latency.check(SPEC, _p([50.0] * 90 + [300.0] * 10), None, None)
    assert (f.kind, f.feature, f.severity, f.statistic, f.value, f.threshold) == (
        "latency", "retrieval", "critical", "latency_p95_ms", 300.0, 200.0)
    assert f.message == ("p95 latency of stage 'retrieval' is 300 ms, above its budget (guard.stages.retrieval) of 200 ms: "
                         "10 of 100 calls (10%) took longer; these calls are served late or by the fallback: "
                         "look at what this stage waits on")


def test_only_the_p99_past_the_budget_is_a_warning():
    # 400 calls (the sketch compacts: 1.33% rank error): 4% slow counts as 2.67%, past 1% but not 5%
    (f,) = latency.check(SPEC, _p([50.0] * 384 + [300.0] * 16), None, None)
    assert (f.severity, f.statistic, f.value) == ("warning", "latency_p99_ms", 300.0)


def test_three_slow_requests_or_a_tiny_window_are_not_a_finding():
    assert latency.check(SPEC, _p([50.0] * 17 + [900.0] * 3), None, None) == []  # p95 is 900 ms, but 3 calls
    assert latency.check(SPEC, _p([900.0] * 19), None, None) == []  # under 20 timed calls


def test_the_sketch_error_is_taken_off_before_a_verdict():
    # 10,000 calls: the KLL sketch compacts (stated rank error 1.33%); 5.5% slow reads as 4.2%, under 5%
    rng = np.random.default_rng(0)
    fast = list(rng.uniform(10, 100, 9450))
    quiet = _p(fast + list(rng.uniform(250, 400, 550)))
    assert quiet.fields["__stage_ms__:retrieval"].numeric.rank_error > 0.013
    assert [f.statistic for f in latency.check(SPEC, quiet, None, None)] == ["latency_p99_ms"]  # 4.2% > 1%: a warning only
    loud = _p(fast[:9200] + list(rng.uniform(250, 400, 800)))  # 8%
    assert [(f.severity, f.statistic) for f in latency.check(SPEC, loud, None, None)] == [("critical", "latency_p95_ms")]


def test_slos_for_the_whole_call_and_for_a_stage():
    spec = parse_spec("service: s\nowner: me\ninputs:\n  x: {type: float}\nslos:\n"
                      "  - {name: fast, metric: latency_p99_ms, max: 250}\n"
                      "  - {name: quick-model, metric: 'latency_p95_ms:model', max: 5}\n")
    found = latency.check(spec, _p([50.0] * 145 + [300.0] * 5, spec), None, None)
    assert [(f.feature, f.severity, f.statistic, f.threshold) for f in found] == [
        (None, "critical", "latency_p99_ms", 250.0), ("model", "critical", "latency_p95_ms", 5.0)]
    assert found[0].message.startswith("p99 latency of the whole call is 310 ms, above the SLO 'fast' of 250 ms: 5 of 150 calls (3.3%)")


def test_a_clear_rise_against_the_hour_before_is_a_warning():
    spec = parse_spec("service: s\nowner: me\ninputs:\n  x: {type: float}\n")
    before = _p([50.0] * 200, spec)
    (f,) = [f for f in latency.check(spec, _p([50.0] * 70 + [120.0] * 30, spec), before, None) if f.feature == "retrieval"]
    assert (f.severity, f.statistic, f.value, f.threshold) == ("warning", "latency_p95_ms", 120.0, 100.0)
    assert f.message == ("p95 latency of stage 'retrieval' rose to 120 ms from 50 ms in the hour before: "
                         "30% of 100 calls took longer than the old p95; look for what changed")
    assert latency.check(spec, _p([50.0] * 97 + [120.0] * 3, spec), before, None) == []  # 3 slow calls: no
