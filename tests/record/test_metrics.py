"""The recorder's counts as Prometheus metrics."""

from __future__ import annotations

from pathlib import Path

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from telltale.record import BackgroundRecorder, MemorySink, register_metrics
from tests.record.helpers import make_records


def _samples(registry: CollectorRegistry) -> dict[tuple[str, tuple], float]:
    text = generate_latest(registry).decode()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for fam in text_string_to_metric_families(text) for s in fam.samples
    }


def test_the_collector_exposes_queued_written_spilled_replayed_and_drops_by_reason(tmp_path: Path) -> None:
    sink = MemorySink()
    rec = BackgroundRecorder(sink, spill_dir=tmp_path / "spill", batch_size=100, probe_interval_s=0.05, max_probe_interval_s=0.1)
    for r in make_records(300):
        rec.submit(r)
    assert rec.flush(10.0)  # 300 written
    sink.down = True
    for r in make_records(200):
        rec.submit(r)
    assert rec.flush(10.0)  # 200 spilled
    sink.down = False
    assert rec.wait_idle(20.0)  # 200 replayed
    rec.close()
    rec.submit(make_records(1)[0])
    rec.submit(make_records(1)[0])  # 2 dropped: closed

    registry = CollectorRegistry()
    register_metrics(rec, registry, labels={"service": "eta"})
    got = _samples(registry)
    svc = (("service", "eta"),)
    assert got[("telltale_recorder_queued_total", svc)] == 502
    assert got[("telltale_recorder_written_total", svc)] == 300
    assert got[("telltale_recorder_spilled_total", svc)] == 200
    assert got[("telltale_recorder_replayed_total", svc)] == 200
    assert got[("telltale_recorder_dropped_total", (("reason", "closed"), ("service", "eta")))] == 2
    assert got[("telltale_recorder_dropped_total", (("reason", "queue_full"), ("service", "eta")))] == 0
    assert got[("telltale_recorder_queue_depth", svc)] == 0
    assert got[("telltale_recorder_spill_pending", svc)] == 0
    assert got[("telltale_recorder_sink_up", svc)] == 1


def test_queue_depth_is_read_at_scrape_time() -> None:
    sink = MemorySink()
    rec = BackgroundRecorder(sink, batch_size=1_000, flush_interval_s=60.0)  # holds a partial batch
    registry = CollectorRegistry()
    register_metrics(rec, registry)
    for r in make_records(5):
        rec.submit(r)
    assert _samples(registry)[("telltale_recorder_queue_depth", ())] == 5
    rec.submit(make_records(1)[0])
    assert _samples(registry)[("telltale_recorder_queue_depth", ())] == 6
    rec.close()
    got = _samples(registry)
    assert got[("telltale_recorder_queue_depth", ())] == 0
    assert got[("telltale_recorder_written_total", ())] == 6 == len(sink.by_id)
