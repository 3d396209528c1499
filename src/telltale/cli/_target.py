"""Where a read-or-act command goes: a store (``--db``) or a telltale server (``--server``).

Commands that both read a store directly and ask a server share this: the same errors,
the same exit codes (2 for a usage problem, 1 for an unreachable target).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from telltale.store import Store

DEFAULT_DB = "sqlite:///telltale.db"


class Failure(Exception):
    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


def check_choice(db: str | None, server: str | None) -> None:
    if db and server:
        raise Failure("give --db or --server, not both", 2)


@contextmanager
def opened(db: str | None) -> Iterator[Store]:
    from telltale.errors import TelltaleError
    from telltale.store import Store

    try:
        store = Store.open(db or DEFAULT_DB)
    except TelltaleError as e:
        raise Failure(str(e)) from None
    try:
        yield store
    finally:
        store.close()


def call(method: str, server: str, token: str | None, path: str, *, params: Any = None, body: Any = None) -> Any:
    """One request to a telltale server; its JSON answer, or Failure with the server's detail."""
    import httpx

    if not token:
        raise Failure("--server needs --token (or TELLTALE_TOKEN): the token `telltale serve` printed", 2)
    try:
        resp = httpx.request(method, f"{server.rstrip('/')}{path}", params=params, json=body,
                             headers={"Authorization": f"Bearer {token}"}, timeout=60)
    except httpx.HTTPError as e:
        raise Failure(f"cannot reach {server}: {e}") from None
    if resp.status_code >= 300:
        try:
            detail = resp.json().get("detail", resp.text)
        except ValueError:
            detail = resp.text
        raise Failure(f"{server} answered {resp.status_code}: {detail}", 2 if resp.status_code in (401, 404, 422) else 1)
    return resp.json()


def registered(store: Store, project: str, service: str, db: str | None) -> None:
    if store.get_service(project, service) is None:
        raise Failure(f"service {service!r} is not registered in project {project!r} of {db or DEFAULT_DB}; "
                      f"register it with `telltale serve --spec telltale.yaml`", 2)
