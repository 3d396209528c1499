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
from telltale.spec.load import DEFAULT_LIMITS, SpecLimits
from telltale.store import Store

#: Services one project may register (``telltale serve --max-services``): a token cannot
#: fill the store with services; a real project runs a handful.
DEFAULT_MAX_SERVICES = 100

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
    """Register or replace a spec: a JSON object, or the text of a telltale.yaml.

    The body is bounded (size, nesting, alias expansion) before any tree is built, and
    parsed on a worker thread, never on the event loop.
    """
    limits: SpecLimits = getattr(request.app.state, "spec_limits", DEFAULT_LIMITS)
    body = await request.body()
    if len(body) > limits.max_bytes:
        raise HTTPException(413, f"the spec is {len(body)} bytes; the limit is {limits.max_bytes} bytes (a spec is usually a few thousand)")
    try:
        spec = await run_in_threadpool(_parse, body, request.headers.get("content-type", ""), limits)
    except SpecError as e:
        problems = [{"line": p.line, "key": p.key, "message": p.message} for p in e.problems]
        return JSONResponse({"detail": "the spec is not valid:\n" + str(e), "problems": problems}, status_code=422)
    if spec.service != service:
        raise HTTPException(422, f"the spec's service is {spec.service!r} but the URL names {service!r}; PUT it to /v1/services/{spec.service}/spec")
    store = store_of(request)
    await run_in_threadpool(_check_room, request, store, project, service)
    await run_in_threadpool(store.put_service, project, spec)
    return await run_in_threadpool(_summary, store, project, spec)


def _check_room(request: Request, store: Store, project: str, service: str) -> None:
    """403 when a new service would take the project past its limit (replacing one is fine)."""
    limit = getattr(request.app.state, "max_services", DEFAULT_MAX_SERVICES)
    names = {s.service for s in store.list_services(project)}
    if service not in names and len(names) >= limit:
        raise HTTPException(403, f"project {project!r} has {len(names)} services, the limit (telltale serve --max-services {limit}); replace or remove one first")


def _parse(body: bytes, content_type: str, limits: SpecLimits = DEFAULT_LIMITS) -> ServiceSpec:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise SpecError([_problem("the body is not UTF-8 text")]) from None
    if "json" in content_type:
        try:
            data = json.loads(text)
        except (json.JSONDecodeError, RecursionError) as e:
            reason = e if isinstance(e, json.JSONDecodeError) else f"nested deeper than {limits.max_depth} levels"
            raise SpecError([_problem(f"the body is not valid JSON: {reason}")]) from None
        if not isinstance(data, dict):
            raise SpecError([_problem("the spec must be a JSON object (service, owner, inputs, ...)")])
        if _depth(data, limits.max_depth) > limits.max_depth:
            raise SpecError([_problem(f"the spec nests deeper than {limits.max_depth} levels")])
        return spec_from_dict(data, "<request body>")
    return parse_spec(text, "<request body>", limits=limits)


def _depth(data: Any, limit: int) -> int:
    """How deep ``data`` nests, counted without recursion and stopping past ``limit``."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        node, d = stack.pop()
        deepest = max(deepest, d)
        if deepest > limit:
            return deepest
        if isinstance(node, dict):
            stack.extend((v, d + 1) for v in node.values())
        elif isinstance(node, list):
            stack.extend((v, d + 1) for v in node)
    return deepest


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
