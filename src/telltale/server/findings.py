"""``/v1/services/{service}/findings``: stored findings as incidents, or the checks' verdicts per window.

Without ``window`` the route answers from the monitor's memory: the stored findings
overlapping [since, until) in ``state`` (open, resolved or all), grouped as incidents
with their cause first. With ``window=<seconds>`` it computes every window of the span
afresh from the minute profiles (any span, any window length), as before the monitor
kept state; nothing is stored by that.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Query, Request

from telltale.monitor import findings_for
from telltale.monitor.incidents import finding_dict, incidents
from telltale.server.auth import Project, service_spec, store_of
from telltale.server.timeparse import parse_time, query_span, time_query

router = APIRouter()

#: Stored findings without ``since``: those still open, and those that ended in the last day.
RECENT_S = 86400.0


@router.get("/v1/services/{service}/findings")
def get_findings(
    service: str,
    request: Request,
    project: str = Project,
    since: str | None = time_query("epoch seconds, ISO 8601 or -1h; default: an hour before until (stored findings: a day)"),
    until: str | None = time_query("epoch seconds, ISO 8601 or -5m; default: now"),
    state: Literal["open", "resolved", "all"] = Query("all", description="stored findings in this state"),
    window: float | None = Query(None, description="compute findings per window of this many seconds (at least 60) instead of reading stored ones"),
) -> dict[str, Any]:
    store = store_of(request)
    spec = service_spec(store, project, service)
    now = request.app.state.clock.now()
    if window is not None:
        w0, w1 = query_span(since, until, now)
        try:
            result = findings_for(store, project, spec, w0, w1, window)
        except ValueError as e:
            raise HTTPException(422, str(e)) from None
        return {"findings": [f.to_dict() for f in result.findings], "windows": result.windows, "since": w0, "until": w1, "window": window}
    t1 = parse_time(until, now, "until") if until else None
    t0 = parse_time(since, now, "since") if since else (t1 if t1 is not None else now) - RECENT_S
    found = store.findings(project, service, state=state, since=t0, until=t1)
    groups = incidents(found)
    cursor = store.monitor_cursor(project, service)
    return {
        "state": state, "since": t0, "until": t1,
        "evaluated_until": cursor.evaluated_until if cursor else None,
        "open": sum(i.is_open for i in groups), "resolved": sum(not i.is_open for i in groups),
        "incidents": [i.to_dict() for i in groups],
    }


@router.get("/v1/services/{service}/findings/{finding_id}")
def get_finding(service: str, finding_id: str, request: Request, project: str = Project,
                limit: int = Query(2016, ge=1, le=2016, description="most windows of evidence, the newest kept")) -> dict[str, Any]:
    store = store_of(request)
    service_spec(store, project, service)
    f = store.finding(project, finding_id)
    if f is None or f.service != service:
        raise HTTPException(404, f"no finding {finding_id!r} in service {service!r}; list them with GET /v1/services/{service}/findings")
    related = store.findings(project, service, state="all", since=f.opened, until=(f.resolved or f.last_seen) + 1)
    return {
        **finding_dict(f),
        "consequences": [finding_dict(g) for g in related if g.cause == f.id],
        "evidence": [e.to_dict() for e in store.finding_evidence(project, finding_id, limit)],
    }
