"""Where the feedback commands read from: a store URL (``--db``) or a server (``--server``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import typer


class Failure(Exception):
    """A command's error: printed in one line, exit ``code`` (2 for usage, 1 otherwise)."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


def times(since: str, until: str | None) -> tuple[float, float]:
    from telltale.clock import SYSTEM_CLOCK
    from telltale.timeparse import to_epoch

    now = SYSTEM_CLOCK.now()
    try:
        return to_epoch(since, now), (to_epoch(until, now) if until else now)
    except ValueError as e:
        raise Failure(str(e), 2) from None


def from_server(url: str, token: str | None, method: str, path: str, **kwargs: Any) -> Any:
    import httpx

    if not token:
        raise Failure("--server needs --token (or TELLTALE_TOKEN): the token `telltale serve` printed", 2)
    try:
        resp = httpx.request(method, f"{url.rstrip('/')}{path}", headers={"Authorization": f"Bearer {token}"}, timeout=60, **kwargs)
    except httpx.HTTPError as e:
        raise Failure(f"cannot reach {url}: {e}") from None
    if resp.status_code != 200:
        try:
            detail = resp.json().get("detail", resp.text)
        except ValueError:
            detail = resp.text
        raise Failure(f"{url} answered {resp.status_code}: {detail}", 2 if resp.status_code in (401, 404, 409, 422) else 1)
    return resp.json()


def with_service(db: str, project: str, service: str, fn: Callable[[Any, Any], Any]) -> Any:
    """Open the store, find the service's spec, and return ``fn(store, spec)``."""
    from telltale.errors import TelltaleError
    from telltale.store import Store

    try:
        store = Store.open(db)
    except TelltaleError as e:
        raise Failure(str(e)) from None
    try:
        spec = store.get_service(project, service)
        if spec is None:
            raise Failure(f"service {service!r} is not registered in project {project!r} of {db}; register it with `telltale serve --spec telltale.yaml --db {db}`", 2)
        try:
            return fn(store, spec)
        except ValueError as e:
            raise Failure(str(e), 2) from None
        except TelltaleError as e:
            raise Failure(str(e)) from None
    finally:
        store.close()


def run(body: Callable[[], None]) -> None:
    from rich.console import Console

    try:
        body()
    except Failure as e:
        Console(stderr=True, highlight=False, soft_wrap=True).print(f"[red]error[/red]: {e}")
        raise typer.Exit(e.code) from None
