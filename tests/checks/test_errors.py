"""The errors check on hand-counted windows: model errors and timeouts against the
default limit, an SLO and the hour before."""

from __future__ import annotations

from telltale.checks import errors
from telltale.profile import Profile
from telltale.spec import parse_spec

SPEC = parse_spec("service: s\nowner: me\ninputs:\n  x: {type: float}\n")


def _p(n: int, **guards: int) -> Profile:
    return Profile(n=n, sources={"model": n}, guards=guards)


def test_errors_above_the_default_limit():
    (f,) = errors.check(SPEC, _p(100, model_error=4, deadline=2), None, None)
    # 6% against 1%: z = 0.05 / sqrt(0.01 * 0.99 / 100) = 5.0; 6 errors, fewer than 10: a warning
    assert (f.kind, f.feature, f.severity, f.statistic, f.value, f.threshold) == ("errors", None, "warning", "error_rate", 0.06, 0.01)
    assert f.message == ("6 of 100 model calls failed (6.0%: 4 raised, 2 timed out), above the default limit of 1.0%: "
                         "read the reasons on these records; a dependency of the model is failing or slow")
    (f,) = errors.check(SPEC, _p(100, model_error=12), None, None)
    assert f.severity == "critical"


def test_few_errors_are_not_a_finding():
    assert errors.check(SPEC, _p(20, model_error=4), None, None) == []  # 20%, but 4 calls
    assert errors.check(SPEC, _p(1000, model_error=12), None, None) == []  # 1.2%: z = 0.64
    assert errors.check(SPEC, _p(100, breaker=40), None, None) == []  # the breaker's own calls are the guard check's


def test_an_slo_sets_the_limit_and_timeouts_can_have_their_own():
    spec = parse_spec("service: s\nowner: me\ninputs:\n  x: {type: float}\nslos:\n"
                      "  - {name: errors, metric: error_rate, max: 0.1}\n  - {name: timeouts, metric: timeout_rate, max: 0.01}\n")
    (f,) = errors.check(spec, _p(200, model_error=4, deadline=8), None, None)  # 6% is under 10%; 4% timeouts over 1%
    assert (f.feature, f.statistic, f.value, f.threshold) == ("deadline", "timeout_rate", 0.04, 0.01)
    assert f.message.startswith("8 of 200 model calls failed (4.0%: 8 timed out), above the SLO 'timeouts' of 1.0%")


def test_a_rise_against_the_hour_before_under_the_limit():
    spec = parse_spec("service: s\nowner: me\ninputs:\n  x: {type: float}\nslos:\n  - {name: e, metric: error_rate, max: 0.2}\n")
    (f,) = errors.check(spec, _p(100, model_error=8), _p(1000, model_error=10), None)
    assert (f.severity, f.value, f.threshold) == ("warning", 0.08, 0.01 + 0.02)
    assert f.message.startswith("8 of 100 model calls failed (8.0%: 8 raised), against 1.0% of 1000 in the hour before")
    assert errors.check(spec, _p(100, model_error=8), _p(1000, model_error=60), None) == []  # as before


def test_shadow_calls_are_not_served_decisions():
    p = Profile(n=200, sources={"model": 100, "shadow": 100}, guards={"model_error": 6})
    (f,) = errors.check(SPEC, p, None, None)
    assert f.value == 0.06
