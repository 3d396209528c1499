"""``/v1/services/{service}/control``: the mode every guard of a service applies, and its
audit log (every change, by a rule or a person, with the reason). The dashboard's
override form (``server/static/index.html``) calls these same routes with the page's
token, so a person needs an admin token to change a mode there too."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Query, Request
from pydantic import BaseModel, Field

from telltale.server.auth import Project, service_spec, store_of

router = APIRouter()


class ControlBody(BaseModel):
    mode: str
    reason: str = Field(default="", max_length=2000)
    by: str = Field(default="api", min_length=1, max_length=100, description="who is changing the mode (logged as person:<by>)")


@router.get("/v1/services/{service}/control")
def get_control(service: str, request: Request, project: str = Project) -> dict[str, Any]:
    store = store_of(request)
    service_spec(store, project, service)
    s = store.get_control(project, service)
    last = store.control_audit(project, service, limit=1)
    from telltale.control import MODES, STRENGTH

    return {"mode": s.mode, "reason": s.reason, "updated_at": s.updated_at, "by": last[-1].actor if last else None,
            "modes": sorted(MODES, key=STRENGTH.__getitem__)}


@router.put("/v1/services/{service}/control")
def put_control(service: str, body: ControlBody, request: Request, project: str = Project) -> dict[str, Any]:
    """A person's override: applied by every guard within its poll (5 s at most), logged."""
    from telltale.control import MODES, ControlState

    store = store_of(request)
    service_spec(store, project, service)
    if body.mode not in MODES:
        raise HTTPException(422, f"mode must be one of {', '.join(sorted(MODES))}, got {body.mode!r}")
    state = ControlState(mode=body.mode, reason=body.reason, updated_at=request.app.state.clock.now())
    actor = f"person:{body.by}"
    store.set_control(project, service, state, actor=actor)
    return {"mode": state.mode, "reason": state.reason, "updated_at": state.updated_at, "by": actor}


@router.get("/v1/services/{service}/control/audit")
def get_audit(service: str, request: Request, project: str = Project,
              limit: int = Query(100, ge=1, le=10000)) -> dict[str, Any]:
    """The newest ``limit`` mode changes, oldest first: from, to, when, by whom, why."""
    store = store_of(request)
    service_spec(store, project, service)
    return {"service": service, "changes": [e.to_dict() for e in store.control_audit(project, service, limit=limit)]}
