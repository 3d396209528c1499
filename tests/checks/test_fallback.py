"""The fallback-rate check: hand-counted shares against the SLO or the default limit."""

from __future__ import annotations

from telltale.checks import fallback, run_checks
from telltale.profile import Profile
from telltale.spec import parse_spec

BASE = "service: eta\nowner: me\ninputs:\n  x: {type: float}\n"


def _profile(sources: dict[str, int]) -> Profile:
    return Profile(n=sum(sources.values()), sources=sources)


def test_over_the_slo_with_enough_fallbacks_is_critical():
    spec = parse_spec(BASE + "slos:\n  - {name: fb, metric: fallback_rate, max: 0.1}\n")
    (f,) = fallback.check(spec, _profile({"model": 60, "rules": 30, "default": 10}), None, None)
    assert (f.kind, f.severity, f.statistic) == ("fallback", "critical", "fallback_rate")
    assert f.value == 0.4 and f.threshold == 0.1  # 40 of 100
    assert "40% of 100 decisions" in f.message and "(rules 30, default 10)" in f.message and "'fb'" in f.message


def test_under_the_limit_or_all_model_finds_nothing():
    spec = parse_spec(BASE)
    assert fallback.check(spec, _profile({"model": 96, "rules": 4}), None, None) == []  # 4% <= 5% default
    assert fallback.check(spec, _profile({"model": 10}), None, None) == []
    assert fallback.check(spec, _profile({}), None, None) == []


def test_few_fallbacks_over_the_limit_only_warn_and_shadows_do_not_count():
    spec = parse_spec(BASE)
    (f,) = fallback.check(spec, _profile({"model": 20, "abstain": 3, "shadow": 500}), None, None)
    assert f.severity == "warning" and f.value == 3 / 23


def test_run_checks_includes_it():
    spec = parse_spec(BASE)
    kinds = {f.kind for f in run_checks(spec, _profile({"model": 50, "review": 50}))}
    assert "fallback" in kinds
