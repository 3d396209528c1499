"""Decisions exported as OpenTelemetry spans over OTLP/HTTP, received by a real OTLP
receiver on loopback (a stdlib HTTP server decoding the protocol's own protobuf)."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

pytest.importorskip("opentelemetry.sdk")

from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter  # noqa: E402
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest  # noqa: E402
from opentelemetry.sdk.resources import Resource  # noqa: E402
from opentelemetry.sdk.trace import TracerProvider  # noqa: E402
from opentelemetry.sdk.trace.export import BatchSpanProcessor  # noqa: E402

from telltale.clock import ManualClock  # noqa: E402
from telltale.guard import Guard, Output  # noqa: E402
from telltale.otel import SEMCONV_SCHEMA, traced  # noqa: E402
from telltale.record.memory import MemoryRecorder  # noqa: E402

from .guard.conftest import GOOD, make_spec  # noqa: E402


class _Receiver(BaseHTTPRequestHandler):
    requests: list[ExportTraceServiceRequest] = []

    def do_POST(self) -> None:  # noqa: N802 (the stdlib's name)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        req = ExportTraceServiceRequest()
        req.ParseFromString(body)
        type(self).requests.append(req)
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def receiver():
    _Receiver.requests = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1/traces", _Receiver.requests
    server.shutdown()


def _spans(requests):
    out = {}
    for req in requests:
        for rs in req.resource_spans:
            resource = {a.key: a.value.string_value for a in rs.resource.attributes}
            for ss in rs.scope_spans:
                for s in ss.spans:
                    attrs = {a.key: getattr(a.value, a.value.WhichOneof("value")) for a in s.attributes}
                    out.setdefault(s.name, []).append((s, attrs, resource, ss.schema_url))
    return out


def test_each_decision_is_a_span_with_its_stages_versions_and_tokens(receiver):
    endpoint, requests = receiver
    provider = TracerProvider(resource=Resource.create({"service.name": "eta-api"}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint), schedule_delay_millis=50))
    clock = ManualClock(1_800_000_000.0)
    recorder = traced(MemoryRecorder(), tracer_provider=provider)

    def llm(r):
        clock.advance(0.040)
        return Output(12.5, usage={"prompt_tokens": 900, "completion_tokens": 40, "prompt_tokens_details": {"cached_tokens": 300}})

    spec = make_spec(components={"retrieval": "v4"})
    g = Guard(spec, llm, lambda r: 30.0, recorder=recorder, clock=clock)
    with g.stage("retrieval"):
        clock.advance(0.010)
    ok = g.predict(GOOD)

    def broken(r):
        raise ConnectionError("upstream reset")

    bad = Guard(spec, broken, lambda r: 30.0, recorder=recorder, clock=clock).predict(GOOD)
    recorder.close(timeout=10)
    provider.shutdown()

    spans = _spans(requests)
    (decision, attrs, resource, schema), (failed, fattrs, _, _) = spans["predict eta"]
    assert resource["service.name"] == "eta-api" and schema == SEMCONV_SCHEMA
    assert attrs["telltale.decision.id"] == ok.id and attrs["telltale.source"] == "model"
    assert attrs["telltale.model.version"] == "v2" and attrs["telltale.component.retrieval"] == "v4"
    assert decision.end_time_unix_nano - decision.start_time_unix_nano == pytest.approx(50e6, abs=1e3)
    stage_names = sorted(name for name in spans if name.startswith("stage "))
    assert stage_names == ["stage model", "stage retrieval"]
    retrieval = spans["stage retrieval"][0][0]
    model = next(s for s, _, _, _ in spans["stage model"] if s.parent_span_id == decision.span_id)
    assert retrieval.parent_span_id == decision.span_id and retrieval.trace_id == decision.trace_id
    assert retrieval.start_time_unix_nano == decision.start_time_unix_nano
    assert model.start_time_unix_nano == retrieval.end_time_unix_nano  # laid end to end, in the order they ran
    assert model.end_time_unix_nano - model.start_time_unix_nano == pytest.approx(40e6, abs=1e3)
    assert decision.status.code == 0  # unset: the model answered
    assert fattrs["telltale.decision.id"] == bad.id and fattrs["telltale.guard"] == "model_error"
    assert fattrs["telltale.source"] == "rules"
    assert failed.status.code == 2 and "ConnectionError: upstream reset" in failed.status.message
    assert "gen_ai.usage.input_tokens" not in fattrs


def test_token_usage_becomes_genai_attributes():
    from telltale.otel import attributes
    from telltale.types import PredictionRecord

    rec = PredictionRecord("d1", "chat", 1.0, {}, "hi", model_version="gpt-x", input_tokens=900, output_tokens=40,
                           cached_tokens=300, attempts=2, cost=0.01)
    a = attributes(rec)
    assert a["gen_ai.usage.input_tokens"] == 900 and a["gen_ai.usage.output_tokens"] == 40
    assert a["gen_ai.usage.cache_read.input_tokens"] == 300 and a["gen_ai.request.model"] == "gpt-x"
    assert a["telltale.attempts"] == 2 and a["telltale.cost"] == 0.01
    plain = attributes(PredictionRecord("d2", "eta", 1.0, {}, 3.0, model_version="v1"))
    assert not [k for k in plain if k.startswith("gen_ai.")]
