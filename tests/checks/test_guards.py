"""The guard trigger-rate check, on hand-counted windows against the hour before."""

from __future__ import annotations

from telltale.checks import guards, run_checks
from telltale.profile import Profile
from telltale.spec import parse_spec

SPEC = parse_spec("service: eta\nowner: me\ninputs:\n  x: {type: float}\n")


def _p(n: int, **counts: int) -> Profile:
    return Profile(n=n, guards=counts)


def test_a_guard_that_suddenly_takes_most_calls_is_critical():
    (f,) = guards.check(SPEC, _p(90, breaker=55), _p(600, breaker=2), None)
    assert (f.kind, f.feature, f.severity, f.statistic) == ("guard", "breaker", "critical", "trigger_rate")
    assert f.value == 55 / 90 and f.threshold == 2 / 600 + 0.05
    assert "took 55 of 90 calls (61%)" in f.message and "0.33% of 600 in the hour before" in f.message


def test_a_small_significant_rise_warns():
    # 5 of 200 against 0 of 600: z = 0.025 / sqrt(.0025*.9975*(1/200 + 1/600)) = 6.1
    (f,) = guards.check(SPEC, _p(200, range=5), _p(600), None)
    assert f.severity == "warning" and f.value == 0.025


def test_noise_in_a_small_window_is_not_a_finding():
    # 2 of 90 against 0 of 600: z = 0.0222 / sqrt(.00556*.99444*(1/90 + 1/600)) = 2.6 < 4
    assert guards.check(SPEC, _p(90, range=2), _p(600), None) == []
    assert guards.check(SPEC, _p(90, range=9), _p(600, range=60), None) == []  # 10% as before


def test_a_guard_gone_silent_warns():
    # 0 of 100 against 10% of 600: the chance of no trigger at the old rate is 0.9**100 = 2.7e-5
    (f,) = guards.check(SPEC, _p(100), _p(600, contract=60), None)
    assert (f.feature, f.severity, f.value, f.threshold) == ("contract", "warning", 0.0, 0.1)
    assert "took none of 100 calls" in f.message
    assert guards.check(SPEC, _p(20), _p(600, contract=60), None) == []  # 0.9**20 = 12%: could be chance


def test_without_traffic_before_there_is_no_change_to_report():
    assert guards.check(SPEC, _p(90, breaker=55), None, None) == []
    assert guards.check(SPEC, _p(90, breaker=55), _p(0), None) == []


def test_run_checks_passes_the_baseline_through():
    kinds = {f.kind for f in run_checks(SPEC, _p(90, breaker=55), baseline=_p(600))}
    assert "guard" in kinds
    assert "guard" not in {f.kind for f in run_checks(SPEC, _p(90, breaker=55))}
