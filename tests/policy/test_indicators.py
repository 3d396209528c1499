"""Every indicator of the one table evaluates from stored data, per minute, on SQLite and
PostgreSQL, with values worked by hand; the feedback, label, queue and finding
indicators say "not enough events" and "no data" as the traffic ones do, and drive rules.

The world (``_world``), all in the first minute T0..T0+60 unless said:

- 20 decisions r00..r19, each 5 ms and 0.002: r00..r18 served by the model, output ``leave``, confidence 0.8,
  r19 routed to review (output none): the queue's one item.
- feedback at T0+50: r00..r05 label ``leave`` (6 hits), r06 and r07 overridden to
  ``stay``, r08 corrected to ``stay`` (3 misses), r09 ignored, r10..r13 flag
  ``hallucination`` true, false, false, true. 14 feedback events, 9 scored pairs.
- the day before (T0-3600): 20 decisions at confidence 0.8 of which 15 were right: the
  reference the confidence estimate calibrates on (0.8 becomes 0.75).
- a stored drift finding on ``plan`` (statistic 0.3) and on ``tenure`` (0.1) over [T0, T0+300).
"""

from __future__ import annotations

import pytest

from telltale.clock import ManualClock
from telltale.feedback.event import FeedbackEvent
from telltale.indicators import TABLE, accepted, resolve
from telltale.policy import tick
from telltale.policy.rules import RuleInputs, evaluate
from telltale.policy.slo import status_of
from telltale.policy.sources import merged, read
from telltale.spec import parse_spec
from telltale.spec.model import ServiceSpec
from telltale.spec.policy import Rule
from telltale.store import Store
from telltale.store._findings import Cursor, Evaluated
from telltale.types import Finding, PredictionRecord, Window

SPEC = """\
service: churn
owner: me@example.com
inputs:
  plan: {type: category}
output: {type: category, classes: [stay, leave]}
fallback: [abstain]
"""

#: One spelling per table entry, with the bound an SLO needs.
SLOS = {
    "error_rate": "max: 0.01", "timeout_rate": "max: 0.01", "fallback_rate": "max: 0.05", "abstain_rate": "max: 0.05",
    "review_rate": "max: 0.01", "latency_p{q}_ms": "max: 4", "cost_per_1k": "max: 1, objective: 0.99",
    "accuracy": "min: 0.9", "estimated_accuracy": "objective: 0.9", "override_rate": "max: 0.1", "ignore_rate": "max: 0.1",
    "correction_rate": "max: 0.1", "label": "max: 0.1", "review_queue_age_s": "max: 30, objective: 0.99",
    "review_queue_size": "max: 0, objective: 0.99", "finding": "max: 0.2, objective: 0.99",
}
SPELLING = {"latency_p{q}_ms": "latency_p95_ms", "label": "label:hallucination", "finding": "finding:drift:plan"}


def _spec(extra: str = "", rules: str = "") -> ServiceSpec:
    slos = "".join(f"  - {{name: s{i}, indicator: '{SPELLING.get(k, k)}', {v}}}\n" for i, (k, v) in enumerate(SLOS.items()))
    return parse_spec(SPEC + "slos:\n" + slos + extra + rules)


def _rec(pid: str, ts: float, **kw: object) -> PredictionRecord:
    base: dict = {"output": "leave", "confidence": 0.8, "source": "model", "latency_ms": 5.0, "cost": 0.002}
    base.update(kw)
    return PredictionRecord(id=pid, service="churn", ts=ts, inputs={"plan": "a"}, **base)


def _world(store: Store, t0: float, spec: ServiceSpec) -> None:
    store.put_service("p", spec)
    ref = [_rec(f"y{i:02d}", t0 - 3600 + i) for i in range(20)]
    recs = [_rec(f"r{i:02d}", t0 + i) for i in range(19)] + [_rec("r19", t0 + 19, output=None, confidence=None, source="review")]
    store.write_predictions("p", ref + recs)
    fb = [FeedbackEvent(f"y{i:02d}", "churn", t0 - 3500, label="leave" if i < 15 else "stay") for i in range(20)]
    at = t0 + 50
    fb += [FeedbackEvent(f"r{i:02d}", "churn", at, label="leave") for i in range(6)]
    fb += [FeedbackEvent(f"r{i:02d}", "churn", at, action="overridden", value="stay") for i in (6, 7)]
    fb += [FeedbackEvent("r08", "churn", at, action="corrected", value="stay"), FeedbackEvent("r09", "churn", at, action="ignored")]
    fb += [FeedbackEvent(f"r{10 + i:02d}", "churn", at, label={"hallucination": v}) for i, v in enumerate((True, False, False, True))]
    assert store.write_feedback("p", fb).accepted == 34
    window = Window.from_epoch(t0, t0 + 300)
    found = tuple(Finding("drift", f, "warning", "psi", v, 0.2, window, f"{f} drifted") for f, v in (("plan", 0.3), ("tenure", 0.1)))
    assert store.record_windows("p", "churn", [Evaluated(t0, t0 + 300, 20, found)], window_s=300, expect=None, advance=Cursor(t0 + 300, 0.0))


@pytest.fixture
def world(db_url: str, clock: ManualClock):
    store = Store.open(db_url, clock=clock)
    t0 = clock.now()
    _world(store, t0, _spec())
    yield store, t0
    store.close()


def _minute0(store: Store, t0: float, now: float) -> dict[str, tuple[float, float, int]]:
    spec = store.get_service("p", "churn")
    assert spec is not None and spec.service == "churn" and len(spec.slos) == len(SLOS)
    status_of(store, "p", spec, now)
    out = {}
    for i, k in enumerate(SLOS):
        rows = [r for r in store.read_slo_minutes("p", "churn", f"s{i}", t0, t0 + 60)]
        out[SPELLING.get(k, k)] = (round(rows[0].bad, 6), rows[0].total, rows[0].records) if rows else None
    return out


def test_every_accepted_name_evaluates_to_the_hand_worked_events(world):
    store, t0 = world
    got = _minute0(store, t0, t0 + 120)
    assert got == {
        "error_rate": (0, 20, 20), "timeout_rate": (0, 20, 20),
        "fallback_rate": (1, 20, 20),  # r19 went to review
        "abstain_rate": (0, 20, 20), "review_rate": (1, 20, 20),
        "latency_p95_ms": (20, 20, 20),  # every call (the review routing too) took 5 ms, above the 4 ms line
        "cost_per_1k": (1, 1, 20),  # 20 x 0.002 over 20 decisions, x 1000 = 2 > 1
        "accuracy": (3, 9, 20),  # 6 of 9 scored pairs right
        "estimated_accuracy": (4.75, 19, 20),  # 19 x (0.8 - 0.05 calibration gap) = 14.25 expected hits
        "override_rate": (2, 14, 20), "ignore_rate": (1, 14, 20), "correction_rate": (1, 14, 20),
        "label:hallucination": (2, 4, 20),
        "review_queue_age_s": (1, 1, 20),  # r19 (ts T0+19) open at T0+60: 41 s > 30
        "review_queue_size": (1, 1, 20),
        "finding:drift:plan": (1, 1, 20),  # 0.3 > 0.2
    }
    assert len(got) == len(TABLE) == len(accepted())  # one per entry: nothing accepted that nothing computes


def test_values_over_a_span_as_rules_read_them(world):
    store, t0 = world
    spec = store.get_service("p", "churn")
    expect = {"accuracy": 6 / 9, "estimated_accuracy": 0.75, "override_rate": 2 / 14, "ignore_rate": 1 / 14,
              "label:hallucination": 0.5, "review_queue_age_s": 41.0, "review_queue_size": 1.0,
              "finding:drift:plan": 0.3, "finding:drift:tenure": 0.1, "finding:drift": 0.3, "finding:nulls": 0.0,
              "fallback_rate": 0.05, "cost_per_1k": 2.0}
    for name, value in expect.items():
        r = resolve(name)
        rows = read(store, "p", spec, r.indicator.source, t0, t0 + 60)
        assert r.value(merged(r.indicator.source, rows, t0, t0 + 60)) == pytest.approx(value), name


def test_the_queue_ages_until_the_item_is_decided(world, clock):
    store, t0 = world
    clock.advance(150)
    store.decide_review("p", "churn", "r19", "ana", label="stay")
    spec = store.get_service("p", "churn")
    rows = [(m - t0, q.size, q.oldest_age_s) for m, q, _ in read(store, "p", spec, "reviews", t0, t0 + 240)]
    # open at the end of minutes 0 and 1 (41 s, 101 s), decided at T0+150: gone by the end of minute 2
    assert rows == [(0, 1, 41.0), (60, 1, 101.0)]


def test_few_events_say_so_and_feedback_that_stops_is_no_data(world):
    store, t0 = world
    spec = parse_spec(SPEC + "slos:\n"
                      "  - {name: tight, indicator: override_rate, max: 0.001}\n"
                      "  - {name: paged, indicator: override_rate, max: 0.001, min_events: 10}\n"
                      "  - {name: flags, indicator: 'label:hallucination', max: 0.001, min_events: 4, no_data_after: 10m}\n")
    store.put_service("p", spec)
    # burn 2/14 / 0.001 = 143x over 1 h and 5 min: past 14.4, but on 14 events of the 100 asked
    assert {s.compiled.name: s.verdict.status for s in status_of(store, "p", spec, t0 + 120)} == {
        "tight": "not enough events", "paged": "page", "flags": "page"}
    # decisions keep coming, feedback does not: after 10 minutes the flag SLO has no data
    store.write_predictions("p", [_rec(f"z{i}", t0 + 660 + i) for i in range(5)])
    got = {s.compiled.name: s.verdict.status for s in status_of(store, "p", spec, t0 + 720)}
    assert got["flags"] == "no data"
    r = tick(store, t0 + 720, notify=lambda p, a: None)
    assert "alert/churn/slo/flags/no_data" in {a.fingerprint for a in r.alerts}
    assert {a.family for a in r.alerts if a.fingerprint.startswith("alert/churn/slo/flags")} == {"trust"}


def test_rules_act_on_feedback_queue_and_finding_indicators(world):
    store, t0 = world
    rule = Rule.model_validate({"name": "trust", "when": {"indicator": "override_rate", "above": 0.1}, "then": "alert"})
    spec = store.get_service("p", "churn")
    series = {"feedback": read(store, "p", spec, "feedback", t0, t0 + 60)}
    v = evaluate(rule, RuleInputs(t0 + 60, [], [], series=series))
    assert (v.holds, v.family, v.reason) == (True, "trust", "override_rate above 0.1 in 1 of the last 1 checks of 1m (needs 1): 0.1429")
    rules = """rules:
  - {name: stale-queue, when: {indicator: review_queue_age_s, above: 60, for: 2m}, then: [review, alert]}
  - {name: drifted, when: {indicator: 'finding:drift:plan', above: 0.25}, then: alert}
"""
    store.put_service("p", _spec(rules=rules))
    got = tick(store, t0 + 120, notify=lambda p, a: None)
    held = {v.rule.name: (v.holds, v.reason) for v in got.rules}
    # minute 0 ends with the item 41 s old, minute 1 with 101 s: only one of two checks above 60
    assert held["stale-queue"] == (False, "review_queue_age_s above 60 in 1 of the last 2 checks of 1m (needs 2): 41, 101")
    # the drift finding covers minutes 0..4 but records only came in minute 0: minute 1 has no data
    assert held["drifted"] == (False, "finding:drift:plan above 0.25 in 0 of the last 1 checks of 1m (needs 1): no data")
    drifted = next(r for r in store.get_service("p", "churn").rules if r.name == "drifted")
    findings = {"findings": read(store, "p", spec, "findings", t0, t0 + 60)}
    assert evaluate(drifted, RuleInputs(t0 + 60, [], [], series=findings)).holds  # minute 0: 0.3 > 0.25


def test_a_late_label_counts_on_the_next_top_of_the_hour(world, clock):
    store, t0 = world
    assert _minute0(store, t0, t0 + 120)["accuracy"] == (3, 9, 20)
    clock.advance(3 * 3600)
    store.write_predictions("p", [_rec("later", t0 + 3 * 3600 + 30)])  # traffic goes on, and the SLO is counted up to it
    assert _minute0(store, t0, t0 + 3 * 3600 + 60)["accuracy"] == (3, 9, 20)
    store.write_feedback("p", [FeedbackEvent("r14", "churn", t0 + 3 * 3600, label="stay")])  # r14 said leave: a miss
    assert _minute0(store, t0, t0 + 3 * 3600 + 120)["accuracy"] == (3, 9, 20)  # three hours late: beyond the hourly recount
    assert _minute0(store, t0, t0 + 4 * 3600)["accuracy"] == (4, 10, 20)  # the top of the hour recounts the day
