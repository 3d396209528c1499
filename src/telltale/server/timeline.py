"""``/v1/services/{service}/timeline``: the incident timeline, one ordered list of events."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Query, Request

from telltale.server.auth import Project, service_spec, store_of
from telltale.server.timeparse import query_span, time_query
from telltale.timeline import MAX_EVENTS, SOURCES, timeline

router = APIRouter()


@router.get("/v1/services/{service}/timeline")
def get_timeline(
    service: str,
    request: Request,
    project: str = Project,
    since: str | None = time_query("epoch seconds, ISO 8601 or -1h; default: an hour before until"),
    until: str | None = time_query("default: now"),
    kind: list[str] | None = Query(None, description="only these kinds", json_schema_extra={"items": {"enum": list(SOURCES)}}),
    limit: int = Query(1000, ge=1, le=MAX_EVENTS, description="the newest events kept"),
) -> dict[str, Any]:
    store = store_of(request)
    service_spec(store, project, service)
    # an empty or unknown kind is refused by timeline() with a 422 naming the sources,
    # as the schema's enum predicts
    t0, t1 = query_span(since, until, request.app.state.clock.now())
    try:
        events = timeline(store, project, service, t0, t1, kinds=kind, limit=limit)
    except ValueError as e:
        raise HTTPException(422, str(e)) from None
    return {"events": [e.to_dict() for e in events], "since": t0, "until": t1, "kinds": kind or list(SOURCES)}
