"""``/v1/reviews``: the human-review queue over HTTP.

``GET /v1/reviews/{service}`` lists items oldest first with the queue's size and the
age of its oldest item; ``POST .../claim`` hands the oldest free items to a reviewer;
``POST .../{id}/decision`` records the verdict as feedback from that reviewer.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, HTTPException, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from telltale.feedback.event import ACTIONS, MAX_ACTOR_LEN, MAX_FLAGS, validate
from telltale.server.auth import Project, service_spec, store_of
from telltale.store._reviews import ReviewConflict

router = APIRouter()

#: A reviewer's name: non-empty, no NUL (a database text column cannot hold one).
_REVIEWER = r"^[^\x00]+$"
#: What :func:`validate` accepts, as a schema: a label or an action (or both); an override
#: carries its value; a label is a class, a number or 1 to MAX_FLAGS named true/false flags.
_DECISION_RULES: dict[str, Any] = {
    "anyOf": [
        {"required": ["label"], "properties": {"label": {"not": {"type": "null"}}}},
        {"required": ["action"], "properties": {"action": {"type": "string"}}},
    ],
    "if": {"required": ["action"], "properties": {"action": {"const": "overridden"}}},
    "then": {"required": ["value"], "properties": {"value": {"not": {"type": "null"}}}},
}


_LABEL_SCHEMA: dict[str, Any] = {"anyOf": [
    {"type": ["boolean", "number", "string", "null"]},
    {"type": "object", "minProperties": 1, "maxProperties": MAX_FLAGS,
     "propertyNames": {"minLength": 1, "maxLength": 64}, "additionalProperties": {"type": "boolean"}},
]}


class DecisionBody(BaseModel):
    """A reviewer's verdict. ``label`` and ``action`` are typed in the schema only: ``validate``
    checks them, so a bad one gets its message naming the field and the accepted values."""

    model_config = ConfigDict(json_schema_extra=_DECISION_RULES)

    reviewer: str = Field(min_length=1, max_length=MAX_ACTOR_LEN, pattern=_REVIEWER)
    label: Any = Field(None, description=f"a class, a number, or 1 to {MAX_FLAGS} flags such as {{\"hallucination\": true}}",
                       json_schema_extra=_LABEL_SCHEMA)
    action: str | None = Field(None, json_schema_extra={"enum": [*ACTIONS, None]})
    value: Any = Field(None, description="what the reviewer chose instead (required for overridden)")


@router.get("/v1/reviews/{service}")
def list_reviews(service: str, request: Request, project: str = Project,
                 state: str = Query("open", pattern="^(open|decided|all)$"), limit: int = Query(100, ge=1, le=1000)) -> dict[str, Any]:
    store = store_of(request)
    service_spec(store, project, service)
    items = store.review_items(project, service, state=state, limit=limit)
    return {"items": [i.to_dict() for i in items], **store.review_stats(project, service).to_dict()}


@router.post("/v1/reviews/{service}/claim")
def claim_reviews(service: str, request: Request, project: str = Project,
                  reviewer: str = Body(..., embed=True, min_length=1, max_length=MAX_ACTOR_LEN, pattern=_REVIEWER),
                  n: int = Body(1, embed=True, ge=1, le=100)) -> dict[str, Any]:
    store = store_of(request)
    service_spec(store, project, service)
    items = store.claim_reviews(project, service, reviewer, n)
    return {"items": [i.to_dict() for i in items], **store.review_stats(project, service).to_dict()}


_CONFLICT: dict[int | str, dict[str, Any]] = {409: {"description": "The decision is not in the review queue, or another reviewer holds or decided it.",
                   "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}}


@router.post("/v1/reviews/{service}/{prediction_id}/decision", responses=_CONFLICT)
def decide_review(service: str, prediction_id: str, body: DecisionBody, request: Request, project: str = Project) -> dict[str, Any]:
    store = store_of(request)
    service_spec(store, project, service)
    reviewer, label, action, value = body.reviewer, body.label, body.action, body.value
    problem = validate(label, action, value, reviewer)
    if problem is not None:
        raise HTTPException(422, f"{problem[0]} {problem[1]}")
    try:
        result = store.decide_review(project, service, prediction_id, reviewer, label=label, action=action, value=value)
    except ReviewConflict as e:
        raise HTTPException(409, str(e)) from None
    return {**result.to_dict(), **store.review_stats(project, service).to_dict()}
