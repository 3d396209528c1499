"""The demo's story is a test too: each injected fault is caught by its kind, in its window,
clean windows stay quiet, and the guard contained every bad record."""

from __future__ import annotations

import pytest

from telltale.demo.story import run_demo


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    return run_demo(tmp_path_factory.mktemp("demo"), end=1_767_225_600.0, hours=5.5, step_s=20.0, window_s=900.0)


@pytest.mark.slow
def test_every_fault_is_caught_by_its_kind_within_one_window(result):
    for c in result.caught:
        assert c.detected_after_min is not None, f"{c.fault.name} was missed"
        assert c.detected_after_min <= 15.0, c


@pytest.mark.slow
def test_bad_records_never_reach_the_model(result):
    shares = {c.fault.expect: c.contained_share for c in result.caught}
    assert shares["nulls"] == 1.0 and shares["unit"] == 1.0 and shares["category"] == 1.0
    # a flaky backend: with 2 attempts at 70% failure, about half the calls still succeed
    # (1 - 0.7**2 = 0.51) until the breaker opens; the rest must be served by a fallback
    assert 0.49 <= shares["guard"] < 1.0


@pytest.mark.slow
def test_windows_without_a_fault_have_no_critical_finding(result):
    quiet = [w for w in result.windows if not w.faults]
    assert len(quiet) >= 8
    for w in quiet:
        assert [f for f in w.findings if f.severity == "critical"] == [], w
        # the model serves every call, except one whose real-time 150 ms budget a starved
        # CPU ran out (the guard's deadline is wall time even under the replay's clock)
        assert w.n - w.sources.get("model", 0) == w.guards.get("deadline", 0) <= 1, w


@pytest.mark.slow
def test_unit_finding_names_milliseconds_and_the_factor(result):
    unit = [f for w in result.windows for f in w.findings if f.kind == "unit"]
    assert unit and {f.feature for f in unit} == {"prep_time_s"}
    assert all("milliseconds" in f.message and "1000" in f.message for f in unit)


@pytest.mark.slow
def test_the_failing_backend_is_named_by_the_guard_that_took_the_calls(result):
    during = [w for w in result.windows if "the model backend fails 70% of calls" in w.faults]
    critical = {f.feature for w in during for f in w.findings if f.kind == "guard" and f.severity == "critical"}
    assert critical == {"model_error"}
