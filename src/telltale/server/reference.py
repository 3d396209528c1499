"""``/v1/services/{service}/reference``: the profile drift is measured against.

The body is ``Profile.to_bytes()``, as ``telltale init`` writes it beside the spec
(``<name>.reference.profile``), so a server that cannot see the spec's files can still
be given its reference: ``curl -X PUT --data-binary @telltale.reference.profile ...``.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request, Response
from starlette.concurrency import run_in_threadpool

from telltale.server.auth import Project, service_spec, store_of

router = APIRouter()


@router.put("/v1/services/{service}/reference")
async def put_reference(service: str, request: Request, project: str = Project) -> dict[str, Any]:
    from telltale.profile import Profile

    store = store_of(request)
    await run_in_threadpool(service_spec, store, project, service)
    body = await request.body()
    try:
        profile = Profile.from_bytes(body)
    except ValueError as e:
        raise HTTPException(422, f"the body is not a reference profile ({e}); send the file `telltale init` wrote (*.reference.profile)") from None
    await run_in_threadpool(store.put_reference, project, service, profile)
    return {"service": service, "rows": profile.n, "fields": sorted(profile.inputs)}


@router.get("/v1/services/{service}/reference")
def get_reference(service: str, request: Request, project: str = Project) -> Response:
    store = store_of(request)
    service_spec(store, project, service)
    profile = store.get_reference(project, service)
    if profile is None:
        raise HTTPException(404, f"service {service!r} has no reference profile yet; PUT the file `telltale init` wrote to /v1/services/{service}/reference")
    return Response(profile.to_bytes(), media_type="application/octet-stream")
