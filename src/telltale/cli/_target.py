"""Where a read-or-act command goes: a store (``--db``) or a telltale server (``--server``).

Every command that reads a store directly or asks a server shares this: the same errors,
the same exit codes (2 for a usage problem, 1 for an unreachable or failing target).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

import typer

if TYPE_CHECKING:
    from telltale.spec import ServiceSpec
    from telltale.store import Store

DEFAULT_DB = "sqlite:///telltale.db"
T = TypeVar("T")

#: Answers that mean the command was asked wrongly (exit 2), not that the target failed.
_USAGE_STATUSES = (401, 403, 404, 409, 422)


class Failure(Exception):
    """A command's error: printed in one line, exit ``code`` (2 for usage, 1 otherwise)."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


def run(body: Callable[[], T]) -> T:
    """Run a command's body and return what it returns; a Failure is printed as one red
    line and becomes the command's exit code."""
    from rich.console import Console

    try:
        return body()
    except Failure as e:
        Console(stderr=True, highlight=False, soft_wrap=True).print(f"[red]error[/red]: {e}")
        raise typer.Exit(e.code) from None


def check_choice(db: str | None, server: str | None) -> None:
    if db and server:
        raise Failure("give --db or --server, not both", 2)


def call(server: str, token: str | None, method: str, path: str, **kwargs: Any) -> Any:
    """One request to a telltale server (``kwargs`` as httpx takes them: params, json...);
    its JSON answer (or text, for a plain-text route), or Failure with the server's detail."""
    import httpx

    if not token:
        raise Failure("--server needs --token (or TELLTALE_TOKEN): the token `telltale serve` printed", 2)
    try:
        resp = httpx.request(method, f"{server.rstrip('/')}{path}", headers={"Authorization": f"Bearer {token}"}, timeout=60, **kwargs)
    except httpx.HTTPError as e:
        raise Failure(f"cannot reach {server}: {e}") from None
    if resp.status_code >= 300:
        try:
            detail = resp.json().get("detail", resp.text)
        except ValueError:
            detail = resp.text
        raise Failure(f"{server} answered {resp.status_code}: {detail}", 2 if resp.status_code in _USAGE_STATUSES else 1)
    return resp.json() if "json" in resp.headers.get("content-type", "") else resp.text


def open_store(db: str | None) -> Store:
    from telltale.errors import TelltaleError
    from telltale.store import Store

    try:
        return Store.open(db or DEFAULT_DB)
    except TelltaleError as e:
        raise Failure(str(e)) from None


@contextmanager
def opened(db: str | None) -> Iterator[Store]:
    store = open_store(db)
    try:
        yield store
    finally:
        store.close()


def registered(store: Store, project: str, service: str, db: str | None = None) -> ServiceSpec:
    """The service's spec in ``store``, or a Failure saying how to register it."""
    spec = store.get_service(project, service)
    if spec is None:
        raise Failure(f"service {service!r} is not registered in project {project!r} of {db or DEFAULT_DB}; "
                      f"register it with `telltale serve --spec telltale.yaml --db {db or DEFAULT_DB}`", 2)
    return spec


def with_service(db: str | None, project: str, service: str, fn: Callable[[Store, ServiceSpec], T]) -> T:
    """Open the store, find the service's spec, and return ``fn(store, spec)``; a ValueError
    from ``fn`` is a usage problem (exit 2)."""
    from telltale.errors import TelltaleError

    with opened(db) as store:
        spec = registered(store, project, service, db)
        try:
            return fn(store, spec)
        except ValueError as e:
            raise Failure(str(e), 2) from None
        except TelltaleError as e:
            raise Failure(str(e)) from None


def times(since: str, until: str | None) -> tuple[float, float]:
    """``--since`` and ``--until`` (epoch, ISO 8601 or -1h) as epoch seconds; until defaults to now."""
    from telltale.clock import SYSTEM_CLOCK
    from telltale.server.timeparse import to_epoch

    now = SYSTEM_CLOCK.now()
    try:
        return to_epoch(since, now), (to_epoch(until, now) if until else now)
    except ValueError as e:
        raise Failure(str(e), 2) from None
