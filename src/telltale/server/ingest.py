"""``/v1/services/{service}/predictions``: batches in, records out.

A batch is answered only after it is committed. Malformed records are listed in
``errors`` (index, field, reason) and every good record of the same batch is stored
exactly once; records that break the contract are stored with their violations. A key
that is not a record field is dropped and named in ``warnings`` (index, key, reason).
"""

from __future__ import annotations

import logging
import math
import threading
from collections import Counter
from typing import Any

from fastapi import APIRouter, HTTPException, Query, Request
from starlette.concurrency import run_in_threadpool

from telltale.contract import Contract
from telltale.errors import StoreError
from telltale.server.auth import Project, service_spec, store_of
from telltale.server.parse import BodyError, RecordError, RecordWarning, parse_body, parse_record, unknown_keys
from telltale.server.record_schema import batch_openapi
from telltale.server.timeparse import query_span, time_query
from telltale.spec import ServiceSpec
from telltale.types import PredictionRecord
from telltale.wire import DEFAULT_LIMITS, RecordLimits

router = APIRouter()

_contracts: dict[int, tuple[ServiceSpec, Contract]] = {}
_contracts_lock = threading.Lock()


_BATCH_SCHEMA = batch_openapi()
_log = logging.getLogger("telltale.server")


@router.post("/v1/services/{service}/predictions", openapi_extra=_BATCH_SCHEMA)
async def post_predictions(service: str, request: Request, project: str = Project) -> dict[str, Any]:
    store = store_of(request)
    spec = await run_in_threadpool(service_spec, store, project, service)
    body = await request.body()
    return await run_in_threadpool(_ingest, request, project, spec, body)


def _ingest(request: Request, project: str, spec: ServiceSpec, body: bytes) -> dict[str, Any]:
    limits: RecordLimits = getattr(request.app.state, "record_limits", DEFAULT_LIMITS)
    try:
        raw = parse_body(body, limits)  # here, off the event loop: a 10 MB body takes a while
    except BodyError as e:
        raise HTTPException(422, str(e)) from None
    clock = request.app.state.clock
    metrics = request.app.state.metrics
    contract = _contract_for(spec)
    now = clock.now()
    good: list[tuple[int, PredictionRecord]] = []
    errors: list[RecordError] = []
    warnings: list[RecordWarning] = []
    n_violations = 0
    for i, item in enumerate(raw):
        parsed = parse_record(item, i, spec.service, now, limits)
        if isinstance(parsed, RecordError):
            errors.append(parsed)
            metrics.malformed.labels(project, spec.service, _field_label(parsed.field, spec)).inc()
            continue
        warnings += unknown_keys(item, i)
        parsed.violations = contract.check(parsed.inputs)
        for v in parsed.violations:
            metrics.violations.labels(project, spec.service, v.field if v.field in spec.inputs else "(unexpected)", v.kind).inc()
        n_violations += len(parsed.violations)
        good.append((i, parsed))
    new: list[PredictionRecord] = []
    inserted, duplicates = _write(store_of(request), project, good, errors, new)
    metrics.ingested.labels(project, spec.service).inc(inserted)
    metrics.duplicates.labels(project, spec.service).inc(duplicates)
    _count_decisions(metrics, project, spec.service, new)
    return {
        "accepted": inserted,
        "duplicates": duplicates,
        "errors": [e.to_dict() for e in sorted(errors, key=lambda e: e.index)],
        "warnings": [w.to_dict() for w in warnings],
        "violations": n_violations,
    }


def _count_decisions(metrics: Any, project: str, service: str, new: list[PredictionRecord]) -> None:
    """Decisions by source and guard triggers by guard, of the records newly stored."""
    sources = Counter(r.source for r in new)
    guards = Counter(r.guard for r in new if r.guard)
    for source, n in sources.items():
        metrics.decisions.labels(project, service, source).inc(n)
    for guard, n in guards.items():
        metrics.guard_triggers.labels(project, service, guard).inc(n)


def _write(store: Any, project: str, good: list[tuple[int, PredictionRecord]], errors: list[RecordError],
           new: list[PredictionRecord]) -> tuple[int, int]:
    """Store the batch; if the store refuses it for a reason other than being down, halve
    it until the records it refuses are found, and answer each as its own error. The
    records newly stored are appended to ``new``.

    The parser should leave nothing a store cannot keep; this is the net under it, so a
    record nobody foresaw costs its own place in the batch, never the batch (a 500).
    """
    if not good:
        return 0, 0
    try:
        res = store.write_predictions(project, [r for _, r in good])
        new.extend(res.new)
        return res.inserted, res.duplicates
    except StoreError:
        raise  # down or busy: 503 with Retry-After, the whole batch may succeed later
    except Exception as e:  # noqa: BLE001 (answered per record below)
        if len(good) == 1:
            i, r = good[0]
            _log.warning("telltale: record %d (id %r) could not be stored: %s: %s", i, r.id, type(e).__name__, e)
            errors.append(RecordError(i, None, f"the store could not keep this record ({type(e).__name__}: {str(e)[:200]})"))
            return 0, 0
    mid = len(good) // 2
    a, b = _write(store, project, good[:mid], errors, new), _write(store, project, good[mid:], errors, new)
    return a[0] + b[0], a[1] + b[1]


@router.get("/v1/services/{service}/predictions")
def get_predictions(
    service: str,
    request: Request,
    project: str = Project,
    since: str | None = time_query("epoch seconds or ISO 8601; default: an hour before until"),
    until: str | None = time_query("epoch seconds or ISO 8601; default: now"),
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
