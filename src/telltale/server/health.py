"""``/healthz`` (the process answers) and ``/readyz`` (and its store answers too)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from telltale.errors import StoreError

router = APIRouter()


@router.get("/healthz", include_in_schema=False)
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", include_in_schema=False)
def readyz(request: Request) -> JSONResponse:
    try:
        request.app.state.store.ping()
    except StoreError as e:
        return JSONResponse({"status": "unavailable", "detail": str(e)}, status_code=503)
    return JSONResponse({"status": "ok"})
