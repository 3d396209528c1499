"""``telltale token``: create, list and revoke the bearer tokens of the HTTP API.

A token is printed in full once, when it is created; the store keeps its hash and lists
it by a short id. Revoking takes effect on the server's next request (tokens are read
from the store on every request, never cached).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

import typer

from telltale.cli._common import NoStore, console, require_existing

if TYPE_CHECKING:
    from telltale.store import Store

T = TypeVar("T")

_DB_HELP = "The server's store (the --db given to `telltale serve`)."
DEFAULT_DB = "sqlite:///telltale.db"


def register(app: typer.Typer) -> None:
    tokens = typer.Typer(help="Bearer tokens for the HTTP API: create, list, revoke.", no_args_is_help=True)

    @tokens.command("create")
    def create(
        project: str = typer.Option(..., "--project", help="The project the token grants access to."),
        db: str | None = typer.Option(None, "--db", help=_DB_HELP + " Default sqlite:///telltale.db, which must exist; a --db given is created if need be."),
        scope: str = typer.Option("admin", "--scope", help="ingest (services posting records), read (dashboards), or admin (everything)."),
        name: str = typer.Option("", "--name", help="What the token is for, shown by `token list`."),
        expires_in: str | None = typer.Option(None, "--expires-in", help="Expire after this long: 3600, 90m, 12h, 30d."),
        rate: float | None = typer.Option(None, "--rate", help="Requests per second this token may make (default: the server's --token-rate)."),
    ) -> None:
        """Create a token; it is printed once and only its hash is kept."""
        err = console(stderr=True)
        try:
            expires_at = time.time() + _seconds(expires_in) if expires_in else None
            token = _with_store(db or DEFAULT_DB, lambda s: s.create_token(project, scope=scope, name=name, expires_at=expires_at, rate_per_s=rate),
                                create=db is not None)
        except _Refused as e:
            err.print(f"[red]error[/red]: {e}", markup=True)
            raise typer.Exit(1) from None
        print(token)  # alone on stdout, so `TOKEN=$(telltale token create ...)` works
        err.print(f"{scope} token for project [cyan]{project}[/cyan]; keep it: it cannot be shown again")

    @tokens.command("list")
    def list_(
        db: str = typer.Option(DEFAULT_DB, "--db", help=_DB_HELP),
        project: str | None = typer.Option(None, "--project", help="Only this project's tokens."),
    ) -> None:
        """List tokens by id (never the token itself): project, scope, name, state."""
        from rich.table import Table

        try:
            infos = _with_store(db, lambda s: s.list_tokens(project))
        except _Refused as e:
            console(stderr=True).print(f"[red]error[/red]: {e}", markup=True)
            raise typer.Exit(1) from None
        now = time.time()
        table = Table("id", "project", "scope", "name", "state", "created", "expires", "rate/s", title_justify="left")
        for t in infos:
            table.add_row(t.id, t.project, t.scope, t.name or "-", t.state(now), _when(t.created_at),
                          _when(t.expires_at) if t.expires_at else "never", f"{t.rate_per_s:g}" if t.rate_per_s else "default")
        console().print(table if infos else "no tokens")

    @tokens.command("revoke")
    def revoke(
        token_id: str = typer.Argument(..., help="The id `telltale token list` shows."),
        db: str = typer.Option(DEFAULT_DB, "--db", help=_DB_HELP),
    ) -> None:
        """Revoke a token: the server refuses it from its next request on."""
        try:
            info = _with_store(db, lambda s: s.revoke_token(token_id))
        except _Refused as e:
            console(stderr=True).print(f"[red]error[/red]: {e}", markup=True)
            raise typer.Exit(1) from None
        console().print(f"revoked token {info.id} ({info.scope}, project {info.project})")

    app.add_typer(tokens, name="token")


class _Refused(Exception):
    pass


def _with_store(db: str, fn: Callable[[Store], T], *, create: bool = False) -> T:
    """``fn(store)`` over ``db``, which must exist unless ``create``; errors as _Refused."""
    from telltale.errors import TelltaleError

    try:
        if not create:
            require_existing(db)
        from telltale.store import Store

        store = Store.open(db)
    except (NoStore, TelltaleError) as e:
        raise _Refused(str(e)) from None
    try:
        return fn(store)
    except (TelltaleError, ValueError) as e:
        raise _Refused(str(e)) from None
    finally:
        store.close()


_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def _seconds(text: str) -> float:
    t = text.strip()
    unit = _UNITS.get(t[-1:], None)
    try:
        value = float(t[:-1]) * unit if unit else float(t)
    except ValueError:
        raise _Refused(f"--expires-in must be seconds or a span like 90m, 12h, 30d; got {text!r}") from None
    if value <= 0:
        raise _Refused(f"--expires-in must be > 0, got {text!r}")
    return value


def _when(ts: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.gmtime(ts)) + "Z"
