"""Decisions as OpenTelemetry spans, for teams that already trace (the ``[otel]`` extra).

``traced(recorder)`` wraps any recorder: every record it is handed still goes to the
recorder, and is also turned into spans on a background thread (building an SDK span
costs tens of microseconds: never on the guard's hot path). One decision is a span
``predict <service>`` from the call's start to its end, with the decision's source, the
guard that took it from the model, the model and component versions, latency, cost and
attempts as ``telltale.*`` attributes, its stages as child spans laid end to end in the
order they ran (records keep each stage's duration, not its start), status ERROR when a
model error or a deadline took the call, and the GenAI token attributes of the
semantic conventions pinned below when the model reported usage.

>>> from telltale.record.memory import MemoryRecorder
>>> r = traced(MemoryRecorder())
>>> r.close()
"""

from __future__ import annotations

import threading
from collections import deque
from typing import Any

from telltale.types import PredictionRecord

#: The semantic-conventions version the GenAI attribute names follow.
SEMCONV_SCHEMA = "https://opentelemetry.io/schemas/1.44.0"
_GENAI = {  # record field -> attribute (gen_ai.* names as of semantic conventions 1.44.0)
    "input_tokens": "gen_ai.usage.input_tokens",
    "output_tokens": "gen_ai.usage.output_tokens",
    "cached_tokens": "gen_ai.usage.cache_read.input_tokens",
}
#: Guards whose taking a call means the model failed, not that a gate said no.
_ERRORS = frozenset({"model_error", "deadline"})
#: Records waiting to become spans, at most; past it the oldest are dropped and counted.
MAX_PENDING = 10_000
_POLL_S = 0.05


class TracedRecorder:
    """A recorder that also exports each record as spans (see the module docstring)."""

    def __init__(self, inner: Any, *, tracer_provider: Any = None, max_pending: int = MAX_PENDING) -> None:
        from opentelemetry import trace

        self._inner = inner
        provider = tracer_provider or trace.get_tracer_provider()
        self._provider = provider
        self._tracer = provider.get_tracer("telltale", schema_url=SEMCONV_SCHEMA)
        self._pending: deque[PredictionRecord] = deque(maxlen=max_pending)
        self._max = max_pending
        self.spans = 0
        self.dropped_spans = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="telltale-otel", daemon=True)
        self._thread.start()

    def submit(self, record: PredictionRecord) -> None:
        self._inner.submit(record)
        if len(self._pending) >= self._max:
            self.dropped_spans += 1  # the deque drops its oldest; say so
        self._pending.append(record)

    def flush(self, timeout: float | None = None) -> bool:
        ok = self._inner.flush(timeout)
        self._drain()
        flush = getattr(self._provider, "force_flush", None)
        return bool(flush(int((timeout or 30) * 1000))) and ok if flush else ok

    def close(self, timeout: float | None = None) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._drain()
        flush = getattr(self._provider, "force_flush", None)
        if flush:
            flush(int((timeout or 30) * 1000))
        self._inner.close(timeout)

    @property
    def stats(self) -> Any:
        return self._inner.stats

    def _run(self) -> None:
        while not self._stop.wait(_POLL_S):
            self._drain()

    def _drain(self) -> None:
        while True:
            try:
                rec = self._pending.popleft()
            except IndexError:
                return
            emit(self._tracer, rec)
            self.spans += 1


def traced(recorder: Any, *, tracer_provider: Any = None) -> TracedRecorder:
    """``recorder``, also exporting every decision as spans through ``tracer_provider``
    (default: the global one, as set up by the application)."""
    return TracedRecorder(recorder, tracer_provider=tracer_provider)


def emit(tracer: Any, rec: PredictionRecord) -> None:
    """One decision's span and its stages' child spans, timed from the record."""
    from opentelemetry import trace
    from opentelemetry.trace import Status, StatusCode

    end = int(rec.ts * 1e9)
    start = end - int((rec.latency_ms or 0.0) * 1e6)
    span = tracer.start_span(f"predict {rec.service}", start_time=start, attributes=attributes(rec))
    ctx = trace.set_span_in_context(span)
    t = start
    for name, ms in rec.stages.items():
        d = int(ms * 1e6)
        tracer.start_span(f"stage {name}", context=ctx, start_time=t,
                          attributes={"telltale.stage": name, "telltale.stage_ms": float(ms)}).end(end_time=t + d)
        t += d
    if rec.guard in _ERRORS:
        span.set_status(Status(StatusCode.ERROR, rec.reasons[0] if rec.reasons else rec.guard))
    span.end(end_time=max(end, start))


def attributes(rec: PredictionRecord) -> dict[str, Any]:
    """A record's span attributes: ``telltale.*`` always, ``gen_ai.*`` when it has usage."""
    out: dict[str, Any] = {
        "telltale.decision.id": rec.id,
        "telltale.service": rec.service,
        "telltale.source": rec.source,
    }
    optional = {"telltale.guard": rec.guard, "telltale.model.version": rec.model_version,
                "telltale.latency_ms": rec.latency_ms, "telltale.cost": rec.cost, "telltale.attempts": rec.attempts,
                "telltale.segment": rec.segment, "telltale.actor": rec.actor}
    out.update({k: v for k, v in optional.items() if v is not None})
    out.update({f"telltale.component.{k}": v for k, v in rec.components.items()})
    if rec.violations:
        out["telltale.violations"] = [f"{v.field}: {v.kind}" for v in rec.violations]
    usage = {attr: getattr(rec, name) for name, attr in _GENAI.items() if getattr(rec, name) is not None}
    if usage:
        out.update(usage)
        if rec.model_version:
            out["gen_ai.request.model"] = rec.model_version
    return out
