"""The spec's owners and alerting routes: validated when loaded, required by `telltale check`."""

from __future__ import annotations

from pathlib import Path

import pytest

from telltale.errors import SpecError
from telltale.spec import check_spec, parse_spec
from telltale.spec.families import families_raised, slo_family
from telltale.spec.model import SLO

READY = """\
service: eta
owner: ml@example.com
owners:
  data: data-eng@example.com
  platform: oncall@example.com
alerting:
  receivers:
    hook: {webhook: {url: "https://hooks.example.com/t"}}
  routes:
    data: [hook]
inputs:
  prep_time_s: {type: float, range: [0, 3600]}
fallback: [abstain]
slos:
  - {name: latency, metric: latency_p99_ms, max: 150}
rules:
  - {name: unit, when: {kind: unit}, action: fallback}
  - {name: acc, when: {kind: drift}, action: rollback}
"""


def test_each_family_a_rule_or_slo_raises_needs_an_owner_and_a_route(tmp_path: Path):
    path = tmp_path / "telltale.yaml"
    path.write_text(READY)
    assert [str(p) for p in check_spec(path)] == [
        f"{path}:18 owners.drift: rules[1] raises drift alerts but no one owns the drift family: name its owner",
        f"{path}:18 alerting.routes.drift: rules[1] raises drift alerts but they are routed nowhere: list a receiver under alerting.routes.drift",
        f"{path}:15 alerting.routes.platform: slos[0] raises platform alerts but they are routed nowhere: list a receiver under alerting.routes.platform",
    ]
    fixed = READY.replace("    data: [hook]\n", "    data: [hook]\n    drift: [hook]\n    platform: [hook]\n").replace(
        "  data: data-eng@example.com\n", "  data: data-eng@example.com\n  drift: ml@example.com\n")
    path.write_text(fixed)
    assert check_spec(path) == []


@pytest.mark.parametrize(("alerting", "key", "message"), [
    ("routes: {data: [nobody]}", "alerting", "routes.data: receiver 'nobody' is not declared under alerting.receivers (none are declared)"),
    ("routes: {database: []}", "alerting", "routes.database: 'database' is not a signal family; use one of data, drift, model, platform, cost, trust"),
    ("receivers: {x: {slack: {url: 'https://a.example'}, webhook: {url: 'https://b.example'}}}", "alerting.receivers.x",
     "a receiver needs exactly one of webhook, slack, pagerduty or alertmanager, got 2 (webhook, slack)"),
    ("receivers: {x: {pagerduty: {}}}", "alerting.receivers.x.pagerduty", "give exactly one of routing_key or routing_key_env"),
    ("receivers: {x: {webhook: {url: 'ftp://a.example'}}}", "alerting.receivers.x.webhook",
     "url 'ftp://a.example' must be an http:// or https:// URL with a host"),
    ("group_wait: 30", "alerting.group_wait", "unknown key 'group_wait'; did you mean 'group_wait_s'?"),
])
def test_bad_alerting_sections_name_the_key(alerting, key, message):
    text = READY.split("alerting:")[0] + f"alerting: {{{alerting}}}\n" + "inputs:" + READY.split("inputs:")[1]
    with pytest.raises(SpecError) as e:
        parse_spec(text)
    assert [(p.key, p.message) for p in e.value.problems] == [(key, message)]
    assert e.value.problems[0].line == 6


def test_slo_alerts_belong_to_the_family_of_their_indicator():
    assert [slo_family(SLO(name="x", metric=m, max=1)) for m in ("latency_p99_ms", "fallback_rate", "accuracy", "cost_per_1k", "drift", "unknown")] == [
        "platform", "platform", "model", "cost", "drift", None]
    spec = parse_spec(READY)
    assert families_raised(spec) == {"data": [("rules", 0)], "drift": [("rules", 1)], "platform": [("slos", 0)]}


def test_rules_naming_an_indicator_or_an_slo_take_its_family():
    from types import SimpleNamespace as NS

    spec = NS(slos=[NS(name="lat", indicator="latency_p95_ms")],
              rules=[NS(when=NS(kind=None, indicator="cost_per_1k", slo=None)), NS(when=NS(kind=None, indicator=None, slo="lat"))])
    assert families_raised(spec) == {"cost": [("rules", 0)], "platform": [("rules", 1), ("slos", 0)]}
