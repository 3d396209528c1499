"""``/v1/services/{service}/findings``: the checks' verdicts per window."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Query, Request

from telltale.server.auth import Project, service_spec, store_of
from telltale.server.timeparse import query_span
from telltale.monitor import findings_for

router = APIRouter()


@router.get("/v1/services/{service}/findings")
def get_findings(
    service: str,
    request: Request,
    project: str = Project,
    since: str | None = Query(None, description="epoch seconds, ISO 8601 or -1h; default: an hour before until"),
    until: str | None = Query(None, description="epoch seconds, ISO 8601 or -5m; default: now"),
    window: float = Query(300.0, description="window length in seconds (at least 60)"),
) -> dict[str, Any]:
    store = store_of(request)
    spec = service_spec(store, project, service)
    t0, t1 = query_span(since, until, request.app.state.clock.now())
    try:
        result = findings_for(store, project, spec, t0, t1, window)
    except ValueError as e:
        raise HTTPException(422, str(e)) from None
    return {"findings": [f.to_dict() for f in result.findings], "windows": result.windows, "since": t0, "until": t1, "window": window}
