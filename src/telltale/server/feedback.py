"""Feedback over HTTP, and what it shows: realized performance and trust per window.

``POST /v1/services/{service}/feedback`` takes ``{"feedback": [{"id", "label", "action",
"value", "actor", "ts", "key"}]}``; malformed items are answered in ``errors`` (index,
field, reason) and the good ones kept. The answer comes after the commit.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Query, Request
from starlette.concurrency import run_in_threadpool

from telltale.feedback.event import FeedbackEvent
from telltale.feedback.trust import HOUR, trust_report
from telltale.performance.report import performance_report
from telltale.server.auth import Project, service_spec, store_of
from telltale.server.feedback_parse import parse_feedback, parse_feedback_body
from telltale.server.parse import BodyError, RecordError
from telltale.server.timeparse import query_span, time_query

router = APIRouter()

#: Items are checked one by one (a bad one is an entry of ``errors`` in the 200 answer), so
#: their fields are documentation (``x-item-fields``), not a schema promising a 422: as for
#: ingestion's records (``server/openapi.py``).
_ITEM_FIELDS = {
    "id": {"type": "string", "maxLength": 200, "description": "the decision's id (decision.id)"},
    "label": {"description": "the truth (a class or a number), or flags such as {\"hallucination\": true}"},
    "action": {"type": "string", "enum": ["accepted", "overridden", "ignored", "corrected"]},
    "value": {"description": "what the person chose instead (overridden) or the corrected output"},
    "actor": {"type": "string"}, "ts": {"type": "number", "description": "when it was given; default: now"},
    "key": {"type": "string", "maxLength": 64, "description": "idempotency key; default: derived from the item"},
}
_BODY = {
    "requestBody": {"required": True, "content": {"application/json": {"schema": {
        "type": "object", "required": ["feedback"],
        "properties": {"feedback": {"type": "array", "items": {
            "description": "an item: `id` required, and a label, an action or both; each bad item is reported in `errors` (index, field, reason) and the rest are kept",
            "x-item-fields": _ITEM_FIELDS,
        }}},
    }}}},
}


@router.post("/v1/services/{service}/feedback", openapi_extra=_BODY)
async def post_feedback(service: str, request: Request, project: str = Project) -> dict[str, Any]:
    store = store_of(request)
    spec = await run_in_threadpool(service_spec, store, project, service)
    body = await request.body()
    return await run_in_threadpool(_ingest, request, project, spec.service, body)


def _ingest(request: Request, project: str, service: str, body: bytes) -> dict[str, Any]:
    try:
        raw = parse_feedback_body(body)
    except BodyError as e:
        raise HTTPException(422, str(e)) from None
    now = request.app.state.clock.now()
    good: list[FeedbackEvent] = []
    errors: list[RecordError] = []
    for i, item in enumerate(raw):
        parsed = parse_feedback(item, i, service, now)
        if isinstance(parsed, RecordError):
            errors.append(parsed)
        else:
            good.append(parsed)
    result = store_of(request).write_feedback(project, good)
    return {**result.to_dict(), "errors": [e.to_dict() for e in errors]}


@router.get("/v1/services/{service}/feedback/{prediction_id}")
def get_feedback(service: str, prediction_id: str, request: Request, project: str = Project) -> dict[str, Any]:
    store = store_of(request)
    service_spec(store, project, service)
    state = store.feedback_state(project, service, prediction_id)
    if state is None:
        raise HTTPException(404, f"no feedback for decision {prediction_id!r} of service {service!r}")
    return {"current": state.current.to_dict(), "joined": state.joined, "history": [e.to_dict() for e in state.history]}


@router.get("/v1/services/{service}/performance")
def get_performance(
    service: str, request: Request, project: str = Project,
    since: str | None = time_query("prediction time: epoch seconds, ISO 8601 or -1d; default: an hour before until"),
    until: str | None = time_query("default: now"), window: float = Query(3600.0, ge=60, description="window length in seconds"),
) -> dict[str, Any]:
    """Realized performance per window of prediction time, with label coverage, delay and findings."""
    store = store_of(request)
    spec = service_spec(store, project, service)
    t0, t1 = query_span(since, until, request.app.state.clock.now())
    try:
        return performance_report(store, project, spec, t0, t1, window)
    except ValueError as e:
        raise HTTPException(422, str(e)) from None


@router.get("/v1/services/{service}/trust")
def get_trust(
    service: str, request: Request, project: str = Project,
    since: str | None = time_query("feedback time; default: an hour before until"),
    until: str | None = time_query("default: now"), window: float = Query(3600.0, ge=HOUR, multiple_of=HOUR, description="whole hours, in seconds"),
) -> dict[str, Any]:
    """Override, ignore and correction rates (and flag rates) per window and actor, with findings."""
    store = store_of(request)
    spec = service_spec(store, project, service)
    t0, t1 = query_span(since, until, request.app.state.clock.now())
    try:
        return trust_report(store, project, spec, t0, t1, window)
    except ValueError as e:
        raise HTTPException(422, str(e)) from None
