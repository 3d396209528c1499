"""``telltale serve``: the server and dashboard over a SQLite file or PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console


def register(app: typer.Typer) -> None:
    @app.command()
    def serve(
        db: str = typer.Option("sqlite:///telltale.db", "--db", help="sqlite:///path or postgresql+psycopg://user@host/db"),
        host: str = typer.Option("127.0.0.1", "--host", help="Interface to listen on (0.0.0.0 for every one)."),
        port: int = typer.Option(8000, "--port"),
        spec: list[Path] = typer.Option([], "--spec", help="A telltale.yaml to register (repeatable)."),
        project: str = typer.Option("default", "--project", help="The project the specs and printed token belong to."),
        max_body_bytes: int = typer.Option(10_000_000, "--max-body-bytes", help="Larger request bodies get 413."),
    ) -> None:
        """Serve the API and the dashboard; prints the db, the URL and a bearer token."""
        from telltale.errors import SpecError, TelltaleError
        from telltale.server.run import run_server

        console = Console(highlight=False, soft_wrap=True)
        try:
            run_server(db=db, host=host, port=port, specs=spec, project=project, max_body_bytes=max_body_bytes, console=console)
        except SpecError as e:
            for p in e.problems:
                console.print(str(p), markup=False)
            raise typer.Exit(2) from None
        except TelltaleError as e:
            console.print(f"[red]error[/red]: {e}", markup=True)
            raise typer.Exit(1) from None
