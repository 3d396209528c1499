"""``/v1/services/{service}/timeline``: the incident timeline, one ordered list of events."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Query, Request

from telltale.server.auth import Project, service_spec, store_of
from telltale.server.timeparse import query_span
from telltale.timeline import SOURCES, timeline

router = APIRouter()


@router.get("/v1/services/{service}/timeline")
def get_timeline(
    service: str,
    request: Request,
    project: str = Project,
    since: str | None = Query(None, description="epoch seconds, ISO 8601 or -1h; default: an hour before until"),
    until: str | None = Query(None, description="default: now"),
    kind: list[str] | None = Query(None, description=f"only these kinds: {', '.join(SOURCES)}"),
    limit: int = Query(1000, description="the newest events kept (at most 5000)"),
) -> dict[str, Any]:
    store = store_of(request)
    service_spec(store, project, service)
    t0, t1 = query_span(since, until, request.app.state.clock.now())
    try:
        events = timeline(store, project, service, t0, t1, kinds=kind, limit=limit)
    except ValueError as e:
        raise HTTPException(422, str(e)) from None
    return {"events": [e.to_dict() for e in events], "since": t0, "until": t1, "kinds": kind or list(SOURCES)}
