"""``/v1/services/{service}/predictions``: batches in, records out.

A batch is answered only after it is committed. Malformed records are listed in
``errors`` (index, field, reason) and every good record of the same batch is stored
exactly once; records that break the contract are stored with their violations.
"""

from __future__ import annotations

import threading
from typing import Any

from fastapi import APIRouter, HTTPException, Query, Request
from starlette.concurrency import run_in_threadpool

from telltale.contract import Contract
from telltale.server.auth import Project, service_spec, store_of
from telltale.server.parse import BodyError, RecordError, parse_body, parse_record
from telltale.server.timeparse import parse_time
from telltale.spec import ServiceSpec
from telltale.types import PredictionRecord

router = APIRouter()

_contracts: dict[int, tuple[ServiceSpec, Contract]] = {}
_contracts_lock = threading.Lock()


@router.post("/v1/services/{service}/predictions")
async def post_predictions(service: str, request: Request, project: str = Project) -> dict[str, Any]:
    store = store_of(request)
    spec = await run_in_threadpool(service_spec, store, project, service)
    body = await request.body()
    try:
        raw = parse_body(body)
    except BodyError as e:
        raise HTTPException(422, str(e)) from None
    return await run_in_threadpool(_ingest, request, project, spec, raw)


def _ingest(request: Request, project: str, spec: ServiceSpec, raw: list[Any]) -> dict[str, Any]:
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
            metrics.malformed.labels(spec.service, parsed.field or "(record)").inc()
            continue
        parsed.violations = contract.check(parsed.inputs)
        for v in parsed.violations:
            metrics.violations.labels(spec.service, v.field, v.kind).inc()
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
) -> dict[str, Any]:
    store = store_of(request)
    service_spec(store, project, service)
    now = request.app.state.clock.now()
    t1 = parse_time(until, now, "until") if until else now
    t0 = parse_time(since, now, "since") if since else t1 - 3600
    records = store.read_predictions(project, service, t0, t1, limit)
    return {"records": [r.to_dict() for r in records], "since": t0, "until": t1}


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
