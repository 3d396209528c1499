"""``telltale token create``: a bearer token for a project (shown once, stored hashed)."""

from __future__ import annotations

import typer
from rich.console import Console


def register(app: typer.Typer) -> None:
    tokens = typer.Typer(help="Bearer tokens for the HTTP API.", no_args_is_help=True)

    @tokens.command("create")
    def create(
        project: str = typer.Option(..., "--project", help="The project the token grants access to."),
        db: str = typer.Option("sqlite:///telltale.db", "--db", help="The server's store."),
    ) -> None:
        """Create a token; it is printed once and only its hash is kept."""
        from telltale.errors import TelltaleError
        from telltale.store import Store

        console = Console(highlight=False, soft_wrap=True, stderr=True)
        try:
            store = Store.open(db)
            try:
                token = store.create_token(project)
            finally:
                store.close()
        except (TelltaleError, ValueError) as e:
            console.print(f"[red]error[/red]: {e}")
            raise typer.Exit(1) from None
        print(token)  # alone on stdout, so `TOKEN=$(telltale token create ...)` works
        console.print(f"token for project [cyan]{project}[/cyan]; keep it: it cannot be shown again")

    app.add_typer(tokens, name="token")
