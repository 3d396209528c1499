"""``/v1/services/{service}/control``: the mode every guard of a service applies."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, Field

from telltale.server.auth import Project, service_spec, store_of

router = APIRouter()


class ControlBody(BaseModel):
    mode: str
    reason: str = Field(default="", max_length=2000)


@router.get("/v1/services/{service}/control")
def get_control(service: str, request: Request, project: str = Project) -> dict[str, Any]:
    store = store_of(request)
    service_spec(store, project, service)
    s = store.get_control(project, service)
    return {"mode": s.mode, "reason": s.reason, "updated_at": s.updated_at}


@router.put("/v1/services/{service}/control")
def put_control(service: str, body: ControlBody, request: Request, project: str = Project) -> dict[str, Any]:
    from telltale.control import MODES, ControlState

    store = store_of(request)
    service_spec(store, project, service)
    if body.mode not in MODES:
        raise HTTPException(422, f"mode must be one of {', '.join(sorted(MODES))}, got {body.mode!r}")
    state = ControlState(mode=body.mode, reason=body.reason, updated_at=request.app.state.clock.now())
    store.set_control(project, service, state)
    return {"mode": state.mode, "reason": state.reason, "updated_at": state.updated_at}
