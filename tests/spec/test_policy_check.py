"""The honest readiness gate (issue 7 item 9): an SLO indicator, a rule kind, a window or
an SLO name that nothing computes is refused with its line, key, value and the accepted
ones; SLO and rule keys parse, including the older spellings."""

from __future__ import annotations

from pathlib import Path

import pytest

from telltale.errors import SpecError
from telltale.indicators import accepted
from telltale.spec import check_spec, parse_spec

HEAD = """\
service: eta
owner: me@example.com
owners: {data: d@example.com, drift: m@example.com, model: m@example.com, platform: oncall@example.com, cost: c@example.com, trust: t@example.com}
inputs:
  km: {type: float}
fallback: [abstain]
"""


#: every family owned and routed, so only the policy's own problems remain
TAIL = """\
alerting:
  receivers: {hook: {webhook: {url: "https://hooks.example.com/t"}}}
  routes: {data: [hook], drift: [hook], model: [hook], platform: [hook], cost: [hook], trust: [hook]}
"""


def _problems(tmp_path: Path, body: str) -> list[str]:
    path = tmp_path / "telltale.yaml"
    path.write_text(HEAD + body + TAIL)
    return [str(p).replace(str(path), "spec") for p in check_spec(path)]


def test_the_three_that_used_to_pass(tmp_path: Path):
    got = _problems(tmp_path, """\
slos:
  - {name: latency, metric: p99_latency, max: 150, window: five minutes}
rules:
  - {name: units, when: {kind: units}, action: fallback}
""")
    assert got == [
        "spec:8 slos[0].window: a duration is a number with a unit (90s, 5m, 1h, 3d, 2w), got 'five minutes'",
        "spec:10 rules[0].when.kind: 'units' is not a finding kind; one of calibration, category, cost, drift, duplicates, "
        "errors, estimated_performance, fallback, freshness, guard, latency, multivariate_drift, nulls, performance, "
        "prediction_drift, range, schema, segment, trust, type, unit",
    ]


def test_what_parses_but_nothing_computes(tmp_path: Path):
    got = _problems(tmp_path, """\
slos:
  - {name: latency, metric: p99_latency, max: 150}
  - {name: errors, indicator: error_rate, objective: 0.999, period: 1h}
  - {name: cost, indicator: cost_per_1k, max: 0.5}
  - {name: accuracy, indicator: realized_accuracy, min: 0.9}
rules:
  - {name: acc, when: {kind: multivariate_drift}, then: rollback}
  - {name: burn, when: {slo: nope}, then: fallback}
  - {name: slow, when: {indicator: latency_p95, above: 3}, then: alert}
""")
    accepted = ("error_rate, timeout_rate, fallback_rate, abstain_rate, review_rate, latency_p99_ms (any percentile)[:<stage>], "
                "cost_per_1k, accuracy, estimated_accuracy, override_rate, ignore_rate, correction_rate, label:<flag>, "
                "review_queue_age_s, review_queue_size, finding:<kind>[:<feature>]")
    assert got == [
        f"spec:8 slos[0].metric: 'p99_latency' is not one telltale computes; one of {accepted}",
        "spec:9 slos[1].period: '1h': period 1h is shorter than the longest alerting window (3d); use 3d or more (30d is the SRE workbook's)",
        "spec:10 slos[2].max: 0.5: 'cost_per_1k' needs objective, the share of minutes within max (e.g. 0.99)",
        f"spec:11 slos[3].indicator: 'realized_accuracy' is not one telltale computes; one of {accepted}",
        "spec:13 rules[0].when.kind: 'multivariate_drift' is a finding kind nothing computes yet, so this rule could never act; one of "
        "calibration, category, cost, drift, duplicates, errors, estimated_performance, fallback, freshness, guard, latency, nulls, performance, prediction_drift, range, schema, segment, trust, type, unit",
        "spec:14 rules[1].when.slo: 'nope' names no SLO of this spec; one of accuracy, cost, errors, latency",
        f"spec:15 rules[2].when.indicator: 'latency_p95' is not one telltale computes; one of {accepted}",
    ]


def test_a_computable_spec_is_ready(tmp_path: Path):
    assert _problems(tmp_path, """\
slos:
  - {name: latency, metric: latency_p99_ms, max: 150}
  - {name: retrieval, indicator: latency_p95_ms, stage: retrieval, max: 80}
  - {name: errors, indicator: error_rate, objective: 0.999, period: 28d, min_events: 50, no_data_after: 30m}
  - {name: cost, indicator: cost_per_1k, max: 0.5, objective: 0.99}
rules:
  - {name: units, when: {kind: unit}, then: [fallback, alert], return_after: 30m}
  - {name: burn, when: {slo: errors, alert: page}, then: [rollback, alert]}
  - {name: slow, when: {indicator: latency_p95_ms, stage: retrieval, above: 80, failures: 3, of: 5}, then: alert}
  - {name: flaky, when: {indicator: error_rate, above: 0.05, for: 10m}, then: [stop_canary]}
""") == []


@pytest.mark.parametrize(("rule", "message"), [
    ("{name: r, when: {kind: unit}}", "rule 'r' needs then: one or more of alert, fallback, rollback, review, stop_canary"),
    ("{name: r, when: {kind: unit}, then: [fallback, rollback]}", "rule 'r' sets more than one mode (fallback, rollback); keep one"),
    ("{name: r, when: {kind: unit, slo: e}, then: alert}", "a rule's when needs exactly one of kind (a finding), indicator (a threshold) or slo (a burn-rate alert), got kind and slo"),
    ("{name: r, when: {indicator: error_rate}, then: alert}", "indicator 'error_rate' needs exactly one of above or below"),
    ("{name: r, when: {indicator: error_rate, above: 1, failures: 3}, then: alert}", "failures and of go together: act on `failures` failed checks of the last `of`"),
    ("{name: r, when: {indicator: error_rate, above: 1, failures: 6, of: 5}, then: alert}", "failures 6 is more than of 5"),
    ("{name: r, when: {indicator: error_rate, above: 1, every: 90s}, then: alert}", "every must be a whole number of minutes (indicators are computed per minute), got 90s"),
    ("{name: r, when: {kind: unit}, then: [panic]}", "Input should be 'alert', 'fallback', 'rollback', 'review' or 'stop_canary', got 'panic'"),
])
def test_malformed_rules_are_refused(rule: str, message: str):
    with pytest.raises(SpecError) as e:
        parse_spec(HEAD + f"rules:\n  - {rule}\n")
    assert [p.message for p in e.value.problems] == [message]


def test_older_spellings_still_parse():
    spec = parse_spec(HEAD + "slos:\n  - {name: fb, metric: fallback_rate, max: 0.05, window: 30d}\n"
                      "rules:\n  - {name: u, when: {kind: unit}, action: fallback}\n")
    assert (spec.slos[0].indicator, spec.slos[0].metric, spec.slos[0].period) == ("fallback_rate", "fallback_rate", 2592000.0)
    assert (spec.rules[0].then, spec.rules[0].action, spec.rules[0].mode) == (["fallback"], "fallback", "fallback")


def test_the_new_indicators_are_refused_where_nothing_computes_them(tmp_path: Path):
    got = _problems(tmp_path, """\
slos:
  - {name: flags, indicator: label, max: 0.01}
  - {name: drift, indicator: 'finding:units', max: 0.2, objective: 0.99}
  - {name: mv, indicator: 'finding:multivariate_drift', max: 0.2, objective: 0.99}
  - {name: acc, indicator: accuracy, max: 0.1}
  - {name: queue, indicator: review_queue_age_s, max: 600}
  - {name: ovr, indicator: 'override_rate:ana', max: 0.1}
  - {name: ok, indicator: 'label:hallucination', max: 0.02, min_events: 20, no_data_after: 1d}
rules:
  - {name: rb, when: {kind: unit}, then: rollback}
  - {name: stage, when: {indicator: 'latency_p95_ms:retrieval', stage: model, above: 80}, then: alert}
""")
    kinds = ("calibration, category, cost, drift, duplicates, errors, estimated_performance, fallback, freshness, guard, latency, "
             "nulls, performance, prediction_drift, range, schema, segment, trust, type, unit")
    assert got == [
        "spec:8 slos[0].indicator: 'label': write the flag after the colon, e.g. label:hallucination "
        "(a name of at most 64 characters, as feedback sends it)",
        "spec:9 slos[1].indicator: 'finding:units': write a finding kind after the colon (finding:drift or finding:drift:<feature>); "
        "one of " + kinds.replace("latency, ", "latency, multivariate_drift, "),
        f"spec:10 slos[2].indicator: 'finding:multivariate_drift' names finding kind 'multivariate_drift', which nothing computes yet, "
        f"so its statistic never arrives; one of {kinds}",
        "spec:11 slos[3].max: 0.1: max has no meaning for 'accuracy' (higher is better); write min or objective",
        "spec:12 slos[4].max: 600: 'review_queue_age_s' needs objective, the share of minutes within max (e.g. 0.99)",
        "spec:13 slos[5].indicator: 'override_rate:ana': 'override_rate' takes no :argument; one of " + ", ".join(accepted()),
        "spec:17 rules[1].when.indicator: 'latency_p95_ms:retrieval' names stage 'retrieval' but stage is 'model'; write one",
    ]
