"""Alerts over HTTP: a service's alerts and delivery attempts, and the project's silences."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Request
from pydantic import BaseModel, Field, StringConstraints

from telltale.alerts.duration import DURATION_PATTERN, parse_duration
from telltale.alerts.notification import alert_to_dict
from telltale.alerts.silences import MAX_SILENCE_S, SilenceRequest, new_silence
from telltale.server.auth import Project, service_spec, store_of
from telltale.server.timeparse import query_span, time_query

router = APIRouter()


@router.get("/v1/services/{service}/alerts")
def get_alerts(service: str, request: Request, project: str = Project,
               state: Literal["firing", "resolved", "all"] = Query("all")) -> dict[str, Any]:
    """Each alert's latest state (one per fingerprint), most recently changed first."""
    store = store_of(request)
    service_spec(store, project, service)
    items = store.alerts(project, service, state=None if state == "all" else state)
    return {"alerts": [alert_to_dict(a) for a in items]}


@router.get("/v1/services/{service}/deliveries")
def get_deliveries(service: str, request: Request, project: str = Project,
                   since: str | None = time_query("epoch seconds, ISO 8601 or -1h; default: an hour before until"),
                   until: str | None = time_query("default: now"),
                   limit: int = Query(1000, ge=1, le=10000)) -> dict[str, Any]:
    """Every delivery attempt to the service's receivers: receiver, status, error, time."""
    store = store_of(request)
    service_spec(store, project, service)
    t0, t1 = query_span(since, until, request.app.state.clock.now())
    return {"deliveries": [d.to_dict() for d in store.alert_deliveries(project, service, t0, t1, limit)], "since": t0, "until": t1}


class SilenceBody(BaseModel):
    """A silence as the schema states it; :func:`new_silence` checks the rest with a 422
    naming it: the 31-day limit of a duration written with a unit (``7d``), and that
    ``created_by`` and ``comment`` are more than spaces."""

    matchers: dict[Annotated[str, StringConstraints(min_length=1, max_length=200)], Annotated[str, StringConstraints(min_length=1, max_length=2000)]] = Field(
        min_length=1, description="name -> value; all must match (service, family, severity, fingerprint, incident, source or a label)")
    duration: Annotated[float, Field(strict=True, gt=0, le=MAX_SILENCE_S)] | Annotated[str, StringConstraints(pattern=DURATION_PATTERN)] = Field(
        description=f"how long, at most {MAX_SILENCE_S / 86400:g} days: seconds, or 30m, 2h, 7d")
    created_by: str = Field(min_length=1, max_length=200)
    comment: str = Field(min_length=1, max_length=2000)
    starts_at: float | None = Field(None, strict=True, ge=0, le=4102444800, description="epoch seconds (before 2100); default: now")


@router.get("/v1/silences")
def get_silences(request: Request, project: str = Project, expired: bool = Query(False, description="include expired silences")) -> dict[str, Any]:
    store = store_of(request)
    now = request.app.state.clock.now()
    return {"silences": [s.to_dict() for s in store.silences(project, now=None if expired else now)]}


@router.post("/v1/silences", status_code=201)
def post_silence(body: SilenceBody, request: Request, project: str = Project) -> dict[str, Any]:
    store = store_of(request)
    try:
        seconds = parse_duration(body.duration)
        silence = new_silence(project, SilenceRequest(body.matchers, seconds, body.created_by, body.comment, body.starts_at),
                              request.app.state.clock.now())
    except ValueError as e:
        raise HTTPException(422, str(e)) from None
    store.put_silence(silence)
    return silence.to_dict()


@router.delete("/v1/silences/{silence_id}")
def delete_silence(silence_id: str, request: Request, project: str = Project) -> dict[str, Any]:
    """Expire a silence now (it stays listed with ``expired=true``)."""
    if not store_of(request).expire_silence(project, silence_id):
        raise HTTPException(404, f"no running silence {silence_id!r} in project {project!r}; list them with GET /v1/silences")
    return {"expired": silence_id}
