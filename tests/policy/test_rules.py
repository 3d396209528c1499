"""Rules that act: conditions on findings, indicators (for a duration, N of M) and SLOs;
the mode changes once on the rising edge, is audited, yields to a person, and returns to
normal after ``return_after`` only if it is still the mode the rule set."""

from __future__ import annotations

import pytest

from telltale.control import ControlState
from telltale.policy import tick
from telltale.policy.rules import RuleInputs, evaluate
from telltale.profile import Profile
from telltale.spec.policy import Rule
from telltale.store import Store
from telltale.types import Finding, PredictionRecord, StoredFinding
from tests.guard.conftest import GOOD, make_spec

T0 = 1_767_225_600.0


def _finding(kind="unit", severity="critical", feature="prep_time_s", opened=T0, resolved=None, fid="f1", cause=None):
    latest = Finding(kind, feature, severity, "scale", 1000.0, 10.0, None, f"{feature} looks like milliseconds")
    return StoredFinding(fid, f"eta/{kind}/{feature}", "eta", kind, feature, severity, opened, opened, resolved, cause, None, latest)


def _rule(**when):
    then = when.pop("then", ["fallback", "alert"])
    return Rule.model_validate({"name": "r", "when": when, "then": then})


@pytest.mark.parametrize(("when", "findings", "holds"), [
    ({"kind": "unit"}, [_finding()], True),
    ({"kind": "unit"}, [_finding(severity="warning")], False),  # critical asked, warning open
    ({"kind": "unit", "severity": "warning"}, [_finding()], True),  # warning or worse
    ({"kind": "unit", "feature": "distance_km"}, [_finding()], False),
    ({"kind": "unit"}, [_finding(resolved=T0 + 60)], False),
    ({"kind": "unit", "for": "10m"}, [_finding(opened=T0 + 600 - 599)], False),  # open 599 s of 600
    ({"kind": "unit", "for": "10m"}, [_finding(opened=T0)], True),
    ({"kind": "nulls"}, [_finding()], False),
])
def test_finding_conditions(when, findings, holds):
    v = evaluate(_rule(**when), RuleInputs(T0 + 600, findings, []))
    assert v.holds is holds


def test_a_finding_verdict_names_the_finding_and_its_incident():
    v = evaluate(_rule(kind="range"), RuleInputs(T0 + 60, [_finding(kind="range", fid="f2", cause="f1")], []))
    assert (v.holds, v.family, v.severity, v.incident) == (True, "data", "critical", "f1")
    assert v.reason == "range finding f2 open: prep_time_s looks like milliseconds"


def _minute(errors: int, n: int = 100) -> Profile:
    return Profile(n=n, sources={"model": n - errors, "rules": errors}, guards={"model_error": errors} if errors else {})


def test_n_of_m_counts_failed_checks_as_argo_does():
    rule = _rule(indicator="error_rate", above=0.05, failures=3, of=5)
    end = int(T0 + 300)
    rates = [10, 0, 10, 0, 10]  # errors per 100, minutes end-300 .. end-60
    minutes = [(end - 300 + 60 * i, _minute(e)) for i, e in enumerate(rates)]
    v = evaluate(rule, RuleInputs(end, [], minutes))
    assert v.holds and v.reason == "error_rate above 0.05 in 3 of the last 5 checks of 1m (needs 3): 0.1, 0, 0.1, 0, 0.1"
    minutes[0] = (end - 300, _minute(0))
    v = evaluate(rule, RuleInputs(end, [], minutes))
    assert not v.holds and "in 2 of the last 5" in v.reason


def test_for_needs_every_check_to_fail_and_no_data_is_not_a_failure():
    rule = _rule(indicator="fallback_rate", above=0.05, **{"for": "3m"})
    end = int(T0 + 180)
    minutes = [(end - 180, _minute(10)), (end - 120, _minute(10)), (end - 60, _minute(10))]
    assert evaluate(rule, RuleInputs(end, [], minutes)).holds
    v = evaluate(rule, RuleInputs(end, [], minutes[1:]))
    assert not v.holds and v.reason.endswith("no data, 0.1, 0.1")


def _record(i: int, ts: float, error: bool) -> PredictionRecord:
    return PredictionRecord(f"r{i}", "eta", ts, dict(GOOD), output=None if error else 16.0,
                            source="rules" if error else "model", model_version="v2",
                            guard="model_error" if error else None, latency_ms=5.0)


def _fill(store: Store, start: float, minutes: int, errors_per_minute: int, per_minute: int = 20, first: int = 0) -> int:
    recs, i = [], first
    for m in range(minutes):
        for j in range(per_minute):
            recs.append(_record(i, start + 60 * m + j, j < errors_per_minute))
            i += 1
    store.write_predictions("default", recs)
    return i


def test_an_indicator_rule_acts_once_yields_to_a_person_and_returns_after_calm(db_url, clock):
    store = Store.open(db_url, clock=clock)
    rules = [{"name": "errors-high", "when": {"indicator": "error_rate", "above": 0.2, "for": "2m"},
              "then": ["fallback", "alert"], "return_after": "5m"}]
    store.put_service("default", make_spec(rules=rules))
    t = clock.now()
    sent = []
    notify = lambda project, alert: sent.append(alert)  # noqa: E731
    n = _fill(store, t, 3, 10)  # 50% errors for three minutes
    r = tick(store, t + 180, notify=notify)
    assert [(e.mode_from, e.mode_to, e.actor) for e in r.changes] == [("normal", "fallback", "rule:errors-high")]
    assert [(a.state, a.severity, a.family) for a in sent] == [("firing", "critical", "platform")]
    assert sent[0].message == "error_rate above 0.2 in 2 of the last 2 checks of 1m (needs 2): 0.5, 0.5; then fallback"
    assert store.get_control("default", "eta").mode == "fallback"
    # still holding: nothing new, not even after a person overrides to normal
    store.set_control("default", "eta", ControlState("normal", "checked the upstream, it is fine", t + 200), actor="person:ana")
    n = _fill(store, t + 180, 1, 10, first=n)
    assert tick(store, t + 240, notify=notify).changes == [] and len(sent) == 1
    assert store.get_control("default", "eta").mode == "normal"  # the person's decision stands
    # the person puts it back, the errors stop; the rule only returns a mode it set itself
    store.set_control("default", "eta", ControlState("fallback", "let the rule decide", t + 250), actor="person:ana")
    n = _fill(store, t + 240, 8, 0, first=n)
    for k in range(1, 9):
        tick(store, t + 240 + 60 * k, notify=notify)
    assert store.get_control("default", "eta").mode == "fallback"  # set by ana, not by the rule
    assert [a.state for a in sent] == ["firing", "resolved"]
    log = [(e.mode_from, e.mode_to, e.actor) for e in store.control_audit("default", "eta")]
    assert log == [("normal", "fallback", "rule:errors-high"), ("fallback", "normal", "person:ana"), ("normal", "fallback", "person:ana")]
    store.close()


def test_return_after_restores_normal_when_the_rule_still_holds_the_mode(sqlite_url, clock):
    store = Store.open(sqlite_url, clock=clock)
    rules = [{"name": "errors-high", "when": {"indicator": "error_rate", "above": 0.2}, "then": "fallback", "return_after": "3m"}]
    store.put_service("default", make_spec(rules=rules))
    t = clock.now()
    n = _fill(store, t, 1, 10)
    assert tick(store, t + 60, notify=lambda p, a: None).changes[0].mode_to == "fallback"
    _fill(store, t + 60, 6, 0, first=n)
    changes = [c for k in range(2, 8) for c in tick(store, t + 60 * k, notify=lambda p, a: None).changes]
    # clear from the tick at t+120; 3 minutes of calm later, at t+300, back to normal
    assert [(c.mode_to, c.at, c.reason) for c in changes] == [
        ("normal", t + 300, "rule errors-high: clear for 3m (return_after 3m)")]
    store.close()


def test_a_rule_never_weakens_a_stronger_mode(sqlite_url, clock):
    store = Store.open(sqlite_url, clock=clock)
    rules = [{"name": "canary", "when": {"indicator": "error_rate", "above": 0.2}, "then": ["stop_canary"]}]
    store.put_service("default", make_spec(rules=rules))
    store.set_control("default", "eta", ControlState("fallback", "incident 42", clock.now()), actor="person:ana")
    _fill(store, clock.now(), 1, 10)
    assert tick(store, clock.now() + 60, notify=lambda p, a: None).changes == []
    assert store.get_control("default", "eta").mode == "fallback"
    store.close()
