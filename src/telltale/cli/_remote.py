"""What the policy's commands share: read from a store directly or ask a server."""

from __future__ import annotations

from typing import Any


class Failure(Exception):
    """A command failed; ``code`` is its exit status (2 for usage, 1 otherwise)."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


def call(server: str, token: str | None, method: str, path: str, **kwargs: Any) -> Any:
    """One request to a telltale server; Failure with the server's own words on an error."""
    import httpx

    if not token:
        raise Failure("--server needs --token (or TELLTALE_TOKEN): the token `telltale serve` printed", 2)
    try:
        resp = httpx.request(method, f"{server.rstrip('/')}{path}", headers={"Authorization": f"Bearer {token}"}, timeout=30, **kwargs)
    except httpx.HTTPError as e:
        raise Failure(f"cannot reach {server}: {e}") from None
    if resp.status_code != 200:
        try:
            detail = resp.json().get("detail", resp.text)
        except ValueError:
            detail = resp.text
        raise Failure(f"{server} answered {resp.status_code}: {detail}", 2 if resp.status_code in (401, 404, 422) else 1)
    return resp.json() if "json" in resp.headers.get("content-type", "") else resp.text


def open_store(db: str) -> Any:
    from telltale.errors import TelltaleError
    from telltale.store import Store

    try:
        return Store.open(db)
    except TelltaleError as e:
        raise Failure(str(e)) from None


def spec_of(store: Any, project: str, service: str) -> Any:
    spec = store.get_service(project, service)
    if spec is None:
        raise Failure(f"service {service!r} is not registered in project {project!r} of this store; "
                      "register it with `telltale serve --spec telltale.yaml`", 2)
    return spec
