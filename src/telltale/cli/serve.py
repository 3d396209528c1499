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
        max_in_flight: int = typer.Option(2, "--max-in-flight", help="Writing requests (ingestion, specs) worked on at once; more are shed with 503 and Retry-After."),
        token_rate: float | None = typer.Option(None, "--token-rate", help="Requests per second a token may make unless it has its own --rate (default: unlimited)."),
        metrics_token: bool = typer.Option(False, "--metrics-token", help="/metrics needs a read token and shows only its project's services."),
        max_services: int = typer.Option(100, "--max-services", help="Services one project may register."),
        monitor_every: float = typer.Option(60.0, "--monitor-every", help="Seconds between monitor (and policy) ticks."),
        lease_ttl: float = typer.Option(6.0, "--lease-ttl", help="Replicas on one store: seconds before a dead replica's background jobs are taken over."),
    ) -> None:
        """Serve the API and the dashboard; prints the db, the URL, and a bearer token the first time."""
        from telltale.errors import SpecError, TelltaleError
        from telltale.server.run import run_server

        console = Console(highlight=False, soft_wrap=True)
        try:
            run_server(db=db, host=host, port=port, specs=spec, project=project, max_body_bytes=max_body_bytes, console=console,
                       max_in_flight=max_in_flight, token_rate=token_rate, metrics_token=metrics_token, max_services=max_services,
                       monitor_every_s=monitor_every, lease_ttl_s=lease_ttl)
        except SpecError as e:
            for p in e.problems:
                console.print(str(p), markup=False)
            raise typer.Exit(2) from None
        except TelltaleError as e:
            console.print(f"[red]error[/red]: {e}", markup=True)
            raise typer.Exit(1) from None
