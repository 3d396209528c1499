"""``/v1/services``: register specs and list what a project runs."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from telltale.errors import SpecError
from telltale.server.auth import Project, service_spec, store_of
from telltale.spec import ServiceSpec, parse_spec, spec_from_dict
from telltale.store import Store

router = APIRouter()


@router.get("/v1/services")
def list_services(request: Request, project: str = Project) -> dict[str, Any]:
    store = store_of(request)
    return {"project": project, "services": [_summary(store, project, s) for s in store.list_services(project)]}


@router.get("/v1/services/{service}")
def get_service(service: str, request: Request, project: str = Project) -> dict[str, Any]:
    store = store_of(request)
    spec = service_spec(store, project, service)
    return {**_summary(store, project, spec), "spec": spec.model_dump(mode="json")}


@router.put("/v1/services/{service}/spec", response_model=None)
async def put_spec(service: str, request: Request, project: str = Project) -> dict[str, Any] | JSONResponse:
    """Register or replace a spec: a JSON object, or the text of a telltale.yaml."""
    body = await request.body()
    try:
        spec = _parse(body, request.headers.get("content-type", ""))
    except SpecError as e:
        problems = [{"line": p.line, "key": p.key, "message": p.message} for p in e.problems]
        return JSONResponse({"detail": "the spec is not valid:\n" + str(e), "problems": problems}, status_code=422)
    if spec.service != service:
        raise HTTPException(422, f"the spec's service is {spec.service!r} but the URL names {service!r}; PUT it to /v1/services/{spec.service}/spec")
    store = store_of(request)
    await run_in_threadpool(store.put_service, project, spec)
    return await run_in_threadpool(_summary, store, project, spec)


def _parse(body: bytes, content_type: str) -> ServiceSpec:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise SpecError([_problem("the body is not UTF-8 text")]) from None
    if "json" in content_type:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as e:
            raise SpecError([_problem(f"the body is not valid JSON: {e}")]) from None
        if not isinstance(data, dict):
            raise SpecError([_problem("the spec must be a JSON object (service, owner, inputs, ...)")])
        return spec_from_dict(data, "<request body>")
    return parse_spec(text, "<request body>")


def _problem(message: str) -> Any:
    from telltale.errors import SpecProblem

    return SpecProblem("<request body>", None, "", message)


def _summary(store: Store, project: str, spec: ServiceSpec) -> dict[str, Any]:
    control = store.get_control(project, spec.service)
    return {
        "service": spec.service,
        "owner": spec.owner,
        "model_version": spec.model_version,
        "inputs": len(spec.inputs),
        "records": store.count_predictions(project, spec.service),
        "control": {"mode": control.mode, "reason": control.reason, "updated_at": control.updated_at},
    }
