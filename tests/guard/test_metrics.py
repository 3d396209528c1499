"""The guard's Prometheus metrics, scraped from a real registry and parsed back."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from telltale.clock import ManualClock
from telltale.guard import Guard, register_guard_metrics
from tests.guard.conftest import GOOD, make_spec, rules


def _samples(registry):
    out = {}
    for fam in text_string_to_metric_families(generate_latest(registry).decode()):
        for s in fam.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def test_breaker_opening_and_decisions_are_exported(recorder):
    def down(r):
        raise ConnectionError("down")

    spec = make_spec(guard={"breaker": {"window_size": 4, "min_calls": 4, "failure_rate": 0.5}})
    g = Guard(spec, down, rules, recorder=recorder, clock=ManualClock())
    registry = CollectorRegistry()
    register_guard_metrics(g, registry)
    for _ in range(6):
        g.predict(GOOD)
    g.predict({"distance_km": -1.0, "city": "Lyon"})
    m = _samples(registry)
    svc = ("service", "eta")
    assert m[("telltale_guard_decisions_total", (("service", "eta"), ("source", "rules")))] == 7
    assert m[("telltale_guard_decisions_total", (("service", "eta"), ("source", "model")))] == 0
    assert m[("telltale_guard_breaker_state", (("service", "eta"), ("state", "open")))] == 1
    assert m[("telltale_guard_breaker_state", (("service", "eta"), ("state", "closed")))] == 0
    assert m[("telltale_guard_breaker_changes_total", (svc,))] == 1
    assert m[("telltale_guard_breaker_rejected_total", (svc,))] == 2
    assert m[("telltale_guard_model_errors_total", (svc,))] == 4
