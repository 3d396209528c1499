"""``/v1/reviews``: the human-review queue over HTTP.

``GET /v1/reviews/{service}`` lists items oldest first with the queue's size and the
age of its oldest item; ``POST .../claim`` hands the oldest free items to a reviewer;
``POST .../{id}/decision`` records the verdict as feedback from that reviewer.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, HTTPException, Query, Request

from telltale.feedback.event import validate
from telltale.server.auth import Project, service_spec, store_of
from telltale.store._reviews import ReviewConflict

router = APIRouter()


@router.get("/v1/reviews/{service}")
def list_reviews(service: str, request: Request, project: str = Project,
                 state: str = Query("open", pattern="^(open|decided|all)$"), limit: int = Query(100, ge=1, le=1000)) -> dict[str, Any]:
    store = store_of(request)
    service_spec(store, project, service)
    items = store.review_items(project, service, state=state, limit=limit)
    return {"items": [i.to_dict() for i in items], **store.review_stats(project, service).to_dict()}


@router.post("/v1/reviews/{service}/claim")
def claim_reviews(service: str, request: Request, project: str = Project,
                  reviewer: str = Body(..., embed=True, min_length=1, max_length=200),
                  n: int = Body(1, embed=True, ge=1, le=100)) -> dict[str, Any]:
    store = store_of(request)
    service_spec(store, project, service)
    items = store.claim_reviews(project, service, reviewer, n)
    return {"items": [i.to_dict() for i in items], **store.review_stats(project, service).to_dict()}


@router.post("/v1/reviews/{service}/{prediction_id}/decision")
def decide_review(service: str, prediction_id: str, request: Request, project: str = Project,
                  reviewer: str = Body(..., embed=True, min_length=1, max_length=200), label: Any = Body(None, embed=True),
                  action: str | None = Body(None, embed=True), value: Any = Body(None, embed=True)) -> dict[str, Any]:
    store = store_of(request)
    service_spec(store, project, service)
    problem = validate(label, action, value, reviewer)
    if problem is not None:
        raise HTTPException(422, f"{problem[0]} {problem[1]}")
    try:
        result = store.decide_review(project, service, prediction_id, reviewer, label=label, action=action, value=value)
    except ReviewConflict as e:
        raise HTTPException(409, str(e)) from None
    return {**result.to_dict(), **store.review_stats(project, service).to_dict()}
