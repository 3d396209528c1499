"""Bearer tokens: every ``/v1`` route runs as the project its token belongs to.

A missing or unknown token is 401; a service of another project is simply not found
(404), so a token never learns what other projects hold.
"""

from __future__ import annotations

from fastapi import Depends, HTTPException, Request

from telltale.spec import ServiceSpec
from telltale.store import Store

_CHALLENGE = {"WWW-Authenticate": "Bearer"}


def store_of(request: Request) -> Store:
    return request.app.state.store


def project_of(request: Request) -> str:
    """The project of the request's bearer token, or 401."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise HTTPException(401, "missing bearer token: send `Authorization: Bearer <token>` (create one with `telltale token create --project P`)", headers=_CHALLENGE)
    project = store_of(request).project_for_token(token.strip())
    if project is None:
        raise HTTPException(401, "unknown bearer token: create one with `telltale token create --project P`", headers=_CHALLENGE)
    return project


Project = Depends(project_of)


def service_spec(store: Store, project: str, service: str) -> ServiceSpec:
    """The registered spec of ``service`` in ``project``, or 404 saying how to register it."""
    spec = store.get_service(project, service)
    if spec is None:
        raise HTTPException(
            404,
            f"service {service!r} is not registered in project {project!r}; register it with "
            f"PUT /v1/services/{service}/spec (a telltale.yaml) or `telltale serve --spec telltale.yaml`",
        )
    return spec
