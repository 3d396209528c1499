"""Prometheus metrics for a recorder: what was queued, written, spilled, replayed, dropped.

A collector reads the recorder's counters at scrape time, so the hot path pays nothing
for being observed. Register it into the registry you expose:

>>> from prometheus_client import CollectorRegistry, generate_latest
>>> from telltale.record import MemoryRecorder
>>> registry = CollectorRegistry()
>>> _ = register_metrics(MemoryRecorder(), registry)
>>> b"telltale_recorder_queued_total 0.0" in generate_latest(registry)
True
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from telltale.record.base import DROP_REASONS, Recorder

if TYPE_CHECKING:
    from prometheus_client.core import Metric
    from prometheus_client.registry import CollectorRegistry


class RecorderCollector:
    """A prometheus_client collector over one recorder's ``stats``.

    ``labels`` (for example ``{"service": "eta"}``) are added to every sample, so several
    recorders can share one registry.
    """

    def __init__(self, recorder: Recorder, labels: dict[str, str] | None = None) -> None:
        self._recorder = recorder
        self._labels = dict(labels or {})

    def describe(self) -> list[Metric]:
        return []  # collected at scrape time only; nothing to check at registration

    def collect(self) -> Iterator[Metric]:
        from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

        s = self._recorder.stats
        names, values = list(self._labels), list(self._labels.values())

        def counter(name: str, doc: str, value: float) -> CounterMetricFamily:
            m = CounterMetricFamily(f"telltale_recorder_{name}", doc, labels=names)
            m.add_metric(values, value)
            return m

        yield counter("queued", "Records handed to the recorder by the guard.", s.queued)
        yield counter("written", "Records written to the sink straight from the queue.", s.written)
        yield counter("spilled", "Records written to the local spill while the sink was down or slow.", s.spilled)
        yield counter("replayed", "Spilled records later written to the sink.", s.replayed)
        yield counter("dead_lettered", "Records the destination refused, kept in the dead-letter file.", s.dead_lettered)
        dropped = CounterMetricFamily("telltale_recorder_dropped", "Records dropped, by reason.", labels=[*names, "reason"])
        for reason in sorted(set(DROP_REASONS) | set(s.dropped)):
            dropped.add_metric([*values, reason], s.dropped.get(reason, 0))
        yield dropped
        gauges = (
            ("queue_depth", "Records waiting in memory for the writer.", s.queue_depth),
            ("spill_pending", "Spilled records not yet replayed.", s.spill_pending),
            ("spill_bytes", "Bytes in the spill directory.", s.spill_bytes),
            ("sink_up", "1 if the last write to the sink succeeded, else 0.", 1 if s.sink_up else 0),
        )
        for name, doc, value in gauges:
            g = GaugeMetricFamily(f"telltale_recorder_{name}", doc, labels=names)
            g.add_metric(values, value)
            yield g


def register_metrics(recorder: Recorder, registry: CollectorRegistry, labels: dict[str, str] | None = None) -> RecorderCollector:
    """Register a ``RecorderCollector`` for ``recorder`` into ``registry`` and return it."""
    collector = RecorderCollector(recorder, labels)
    registry.register(collector)
    return collector
