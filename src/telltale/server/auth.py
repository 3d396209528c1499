"""Bearer tokens: every ``/v1`` route runs as the project its token belongs to.

A missing, unknown, revoked or expired token is 401; a token whose scope does not cover
the request is 403; one over its rate is 429 with ``Retry-After``. A service of another
project is simply not found (404), so a token never learns what other projects hold.

Scopes are checked here, by method and path, for every route that depends on
:data:`Project`, so a new router is covered without code of its own:

- ``admin``: everything;
- ``read``: every GET (dashboards, ``telltale findings --server``);
- ``ingest``: POST to a path ending in one of :data:`INGEST_POSTS` (records, feedback)
  and GET of a service's ``/control`` (what a guard polls): what a service needs, and
  nothing that changes a spec or a mode.
"""

from __future__ import annotations

from fastapi import Depends, HTTPException, Request

from telltale.server.ratelimit import RateLimiter, retry_after
from telltale.spec import ServiceSpec
from telltale.store import Store
from telltale.store._tokens import TokenInfo

_CHALLENGE = {"WWW-Authenticate": "Bearer"}
#: The POST routes a service's ingest token may call, by the path's last segment.
INGEST_POSTS = ("/predictions", "/feedback", "/labels")
_HOW = "create one with `telltale token create --project P`"


def store_of(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def token_of(request: Request) -> TokenInfo:
    """The request's active token, or 401; rate-limited (429)."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise HTTPException(401, f"missing bearer token: send `Authorization: Bearer <token>` ({_HOW})", headers=_CHALLENGE)
    info = store_of(request).token_info(token.strip())
    now = request.app.state.clock.now()
    if info is None:
        raise HTTPException(401, f"unknown bearer token: {_HOW}", headers=_CHALLENGE)
    state = info.state(now)
    if state != "active":
        raise HTTPException(401, f"bearer token {info.id} is {state}: {_HOW}", headers=_CHALLENGE)
    limiter: RateLimiter | None = getattr(request.app.state, "rate_limiter", None)
    if limiter is not None:
        wait = limiter.admit(info.id, info.rate_per_s, now)
        if wait > 0:
            raise HTTPException(429, f"token {info.id} is over its rate limit; retry after {retry_after(wait)} s",
                                headers={"Retry-After": retry_after(wait)})
    return info


def allows(scope: str, method: str, path: str) -> bool:
    """Whether a token of ``scope`` may make this request (see the module's docstring)."""
    if scope == "admin":
        return True
    if method in ("GET", "HEAD"):
        return scope == "read" or (scope == "ingest" and path.endswith("/control"))
    return scope == "ingest" and method == "POST" and path.endswith(INGEST_POSTS)


def project_of(request: Request) -> str:
    """The project of the request's bearer token: 401, 403 or 429 when it may not go ahead."""
    info = token_of(request)
    method = request.method
    if not allows(info.scope, method, request.url.path):
        need, make = ("read or admin", "read") if method in ("GET", "HEAD") else ("admin", "admin")
        raise HTTPException(403, f"token {info.id} has scope {info.scope!r}, which cannot {method} {request.url.path}; "
                                 f"this needs a {need} token (`telltale token create --scope {make}`)")
    return info.project


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
