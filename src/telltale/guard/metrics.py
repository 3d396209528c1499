"""Prometheus metrics for a guard: decisions by source, gate triggers, breaker state and
changes, retries, shed calls, timeouts, late answers.

Read from the guard's counters at scrape time, so the hot path pays nothing for being
observed. Register it into the registry you expose, beside the recorder's:

>>> from prometheus_client import CollectorRegistry, generate_latest
>>> from telltale.spec import parse_spec
>>> from telltale.record import MemoryRecorder
>>> from telltale.guard import Guard
>>> g = Guard(parse_spec("service: eta\\nowner: me\\ninputs:\\n  km: {type: float}\\n"), lambda r: 1.0, recorder=MemoryRecorder())
>>> _ = g.predict({"km": 1.0})
>>> registry = CollectorRegistry()
>>> _ = register_guard_metrics(g, registry)
>>> b'telltale_guard_decisions_total{service="eta",source="model"} 1.0' in generate_latest(registry)
True
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from telltale.guard.breaker import STATES
from telltale.guard.output import GATES

if TYPE_CHECKING:
    from telltale.guard.guard import Guard

_SOURCES = ("model", "canary", "rules", "default", "abstain", "review")


class GuardCollector:
    """A prometheus_client collector over one guard's ``stats``, labelled by service."""

    def __init__(self, guard: Guard) -> None:
        self._guard = guard

    def describe(self) -> list[Any]:
        return []

    def collect(self) -> Iterator[Any]:
        from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

        g = self._guard
        s = g.stats
        svc = [g.service]

        def family(kind: type, name: str, doc: str, labels: list[str] | None = None) -> Any:
            return kind(f"telltale_guard_{name}", doc, labels=["service", *(labels or [])])

        m = family(CounterMetricFamily, "decisions", "Decisions by the step that served them.", ["source"])
        for source in sorted(set(_SOURCES) | set(s.by_source)):
            m.add_metric([*svc, source], s.by_source.get(source, 0))
        yield m
        m = family(CounterMetricFamily, "gate_triggers", "Calls stopped by an output or input gate, by gate.", ["gate"])
        for gate in sorted(set(GATES) | set(s.triggers)):
            m.add_metric([*svc, gate], s.triggers.get(gate, 0))
        yield m
        m = family(GaugeMetricFamily, "breaker_state", "1 for the circuit breaker's current state.", ["state"])
        for state in STATES:
            m.add_metric([*svc, state], 1 if s.breaker_state == state else 0)
        yield m
        value: float  # the counters below are ints, the gauges after them may be floats
        for name, doc, value in (
            ("breaker_changes", "Circuit breaker state changes.", s.breaker_changes),
            ("breaker_rejected", "Calls failed fast by an open breaker.", s.breaker_rejected),
            ("retries", "Model retries made (inside the retry budget).", s.retries),
            ("retries_denied", "Retries refused by the retry budget.", s.events.get("retries_denied_by_budget", 0)),
            ("shed", "Calls shed by a full bulkhead.", s.shed),
            ("timeouts", "Model calls past the deadline.", s.timeouts),
            ("late_answers", "Model answers that arrived after the deadline (recorded, not returned).", s.late_answers),
            ("model_errors", "Model calls that raised after their retries.", s.events.get("model_errors", 0)),
        ):
            c = family(CounterMetricFamily, name, doc)
            c.add_metric(svc, value)
            yield c
        for name, doc, value in (
            ("in_flight", "Model calls in flight.", s.in_flight),
            ("retry_tokens", "Tokens left in the retry budget.", s.retry_tokens if s.retry_tokens is not None else 0),
        ):
            gm = family(GaugeMetricFamily, name, doc)
            gm.add_metric(svc, value)
            yield gm


def register_guard_metrics(guard: Guard, registry: Any) -> GuardCollector:
    """Register a ``GuardCollector`` for ``guard`` into ``registry`` and return it."""
    collector = GuardCollector(guard)
    registry.register(collector)
    return collector
