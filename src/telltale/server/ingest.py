"""``/v1/services/{service}/predictions``: batches in, records out.

A batch is answered only after it is committed. Malformed records are listed in
``errors`` (index, field, reason) and every good record of the same batch is stored
exactly once; records that break the contract are stored with their violations.
"""

from __future__ import annotations

import math
import threading
from typing import Any

from fastapi import APIRouter, HTTPException, Query, Request
from starlette.concurrency import run_in_threadpool

from telltale.contract import Contract
from telltale.server.auth import Project, service_spec, store_of
from telltale.server.parse import BodyError, RecordError, parse_body, parse_record
from telltale.server.timeparse import query_span
from telltale.spec import ServiceSpec
from telltale.types import PredictionRecord

router = APIRouter()

_contracts: dict[int, tuple[ServiceSpec, Contract]] = {}
_contracts_lock = threading.Lock()


_BATCH_SCHEMA = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": {
            "type": "object",
            "required": ["records"],
            "properties": {"records": {"type": "array", "items": {
                "type": "object",
                "required": ["id", "inputs"],
                "properties": {
                    "id": {"type": "string", "maxLength": 200, "description": "unique per project: a replay is stored once"},
                    "ts": {"type": "number", "description": "epoch seconds; default: when the server received it"},
                    "inputs": {"type": "object"}, "output": {}, "confidence": {"type": "number"},
                    "source": {"type": "string"}, "model_version": {"type": "string"},
                    "components": {"type": "object"}, "latency_ms": {"type": "number"},
                    "stages": {"type": "object"}, "cost": {"type": "number"},
                    "reasons": {"type": "array", "items": {"type": "string"}},
                    "segment": {"type": "string"}, "event_ts": {"type": "number"},
                },
            }}},
        }}},
    },
}


@router.post("/v1/services/{service}/predictions", openapi_extra=_BATCH_SCHEMA)
async def post_predictions(service: str, request: Request, project: str = Project) -> dict[str, Any]:
    store = store_of(request)
    spec = await run_in_threadpool(service_spec, store, project, service)
    body = await request.body()
    return await run_in_threadpool(_ingest, request, project, spec, body)


def _ingest(request: Request, project: str, spec: ServiceSpec, body: bytes) -> dict[str, Any]:
    try:
        raw = parse_body(body)  # here, off the event loop: a 10 MB body takes a while
    except BodyError as e:
        raise HTTPException(422, str(e)) from None
    clock = request.app.state.clock
    metrics = request.app.state.metrics
    contract = _contract_for(spec)
    now = clock.now()
    good: list[PredictionRecord] = []
    errors: list[RecordError] = []
    n_violations = 0
    for i, item in enumerate(raw):
        parsed = parse_record(item, i, spec.service, now)
        if isinstance(parsed, RecordError):
            errors.append(parsed)
            metrics.malformed.labels(spec.service, _field_label(parsed.field, spec)).inc()
            continue
        parsed.violations = contract.check(parsed.inputs)
        for v in parsed.violations:
            metrics.violations.labels(spec.service, v.field if v.field in spec.inputs else "(unexpected)", v.kind).inc()
        n_violations += len(parsed.violations)
        good.append(parsed)
    result = store_of(request).write_predictions(project, good)
    metrics.ingested.labels(spec.service).inc(result.inserted)
    metrics.duplicates.labels(spec.service).inc(result.duplicates)
    return {
        "accepted": result.inserted,
        "duplicates": result.duplicates,
        "errors": [e.to_dict() for e in errors],
        "violations": n_violations,
    }


@router.get("/v1/services/{service}/predictions")
def get_predictions(
    service: str,
    request: Request,
    project: str = Project,
    since: str | None = Query(None, description="epoch seconds or ISO 8601; default: an hour before until"),
    until: str | None = Query(None, description="epoch seconds or ISO 8601; default: now"),
    limit: int = Query(1000, ge=1, le=10_000),
    source: str | None = Query(None, description="only records served by this step, e.g. review (the review queue) or rules"),
    cursor: str | None = Query(None, description="next_cursor of the previous page: pages continue where it ended"),
) -> dict[str, Any]:
    store = store_of(request)
    service_spec(store, project, service)
    t0, t1 = query_span(since, until, request.app.state.clock.now())
    # paging (issue 8): a keyset cursor over (ts, id) instead of a hard cap; see store/_pages.py
    from telltale.store._pages import decode_cursor

    try:
        after = decode_cursor(cursor) if cursor else None
    except ValueError as e:
        raise HTTPException(422, f"query parameter cursor: {e}") from None
    page = store.page_predictions(project, service, t0, t1, limit, after=after, source=source)
    return {"records": [_finite(r.to_dict()) for r in page.records], "since": t0, "until": t1, "next_cursor": page.next_cursor}


def _finite(node: Any) -> Any:
    """NaN and infinities (kept from in-process guards) as null: JSON has no spelling for them."""
    if isinstance(node, float):
        return node if math.isfinite(node) else None
    if isinstance(node, dict):
        return {k: _finite(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_finite(v) for v in node]
    return node


def _field_label(path: str | None, spec: ServiceSpec) -> str:
    """A bounded metric label for an error path: field names a client invents collapse."""
    if path is None:
        return "(record)"
    head, _, rest = path.partition(".")
    if head != "inputs" or not rest:
        return head.partition("[")[0]
    name = rest.partition("[")[0]
    return f"inputs.{name}" if name in spec.inputs else "inputs.(unexpected)"


def _contract_for(spec: ServiceSpec) -> Contract:
    with _contracts_lock:
        hit = _contracts.get(id(spec))
        if hit is not None and hit[0] is spec:
            return hit[1]
        if len(_contracts) > 256:
            _contracts.clear()
        contract = Contract(spec)
        _contracts[id(spec)] = (spec, contract)
        return contract
