"""Recording: decisions leave the hot path through a bounded queue and reach a store.

``submit`` never blocks and never raises; a background writer batches records to a
``Sink`` (the store, or a telltale server over HTTP), spills them to local disk while the
sink is down, and replays them when it comes back. Every record is written, spilled or
dropped with a counted reason; a record the destination refuses is never retried but
kept in a dead-letter file; ``durable=True`` puts each record on disk before ``submit``
returns. ``register_metrics`` exports those counts to Prometheus.

>>> from telltale.record import BackgroundRecorder, MemorySink
>>> from telltale.types import PredictionRecord
>>> sink = MemorySink()
>>> rec = BackgroundRecorder(sink)
>>> rec.submit(PredictionRecord(id="r1", service="eta", ts=0.0, inputs={"distance_km": 3.2}))
>>> rec.flush(5.0), list(sink.by_id)
(True, ['r1'])
>>> rec.close()
"""

from telltale.record.background import BackgroundRecorder
from telltale.record.base import DROP_REASONS, Recorder, RecorderStats, Rejection, RetryLater, Sink, SinkResult
from telltale.record.factory import AUTO, default_spill_dir, recorder_for
from telltale.record.memory import MemoryRecorder, MemorySink
from telltale.record.metrics import RecorderCollector, register_metrics
from telltale.record.sinks import HttpSink, StoreSink
from telltale.record.spill import SpillLog

__all__ = [
    "AUTO", "DROP_REASONS", "BackgroundRecorder", "HttpSink", "MemoryRecorder", "MemorySink",
    "Recorder", "RecorderCollector", "RecorderStats", "Rejection", "RetryLater", "Sink", "SinkResult", "SpillLog",
    "StoreSink", "default_spill_dir", "recorder_for", "register_metrics",
]
