"""``/v1/services/{service}/findings``: the checks' verdicts per window."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Query, Request

from telltale.server.auth import Project, service_spec, store_of
from telltale.server.timeparse import parse_time
from telltale.monitor import ChecksUnavailable, findings_for

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
    now = request.app.state.clock.now()
    t1 = parse_time(until, now, "until") if until else now
    t0 = parse_time(since, now, "since") if since else t1 - 3600
    try:
        result = findings_for(store, project, spec, t0, t1, window)
    except ValueError as e:
        raise HTTPException(422, str(e)) from None
    except ChecksUnavailable as e:
        raise HTTPException(503, str(e)) from None
    return {"findings": [f.to_dict() for f in result.findings], "windows": result.windows, "since": t0, "until": t1, "window": window}
