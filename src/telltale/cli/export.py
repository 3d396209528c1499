"""``telltale export``: decisions with joined labels and actions to Parquet, for retraining."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from telltale.cli._target import run, times, with_service


def register(app: typer.Typer) -> None:
    @app.command()
    def export(
        service: str = typer.Option(..., "--service", help="The service."),
        out: Path = typer.Option(..., "--out", help="The Parquet file to write."),
        since: str = typer.Option("-7d", "--since", help="Prediction time: epoch seconds, ISO 8601, or back from now (-30d)."),
        until: str | None = typer.Option(None, "--until", help="As --since; default now."),
        labeled: bool = typer.Option(False, "--labeled", help="Only decisions whose label has arrived."),
        db: str = typer.Option("sqlite:///telltale.db", "--db", help="The store (SQLite or PostgreSQL URL)."),
        project: str = typer.Option("default", "--project"),
    ) -> None:
        """Write inputs, prediction, confidence, decision source, versions, labels and actions to Parquet, streamed."""
        def body() -> None:
            from telltale.feedback.export import export_parquet

            t0, t1 = times(since, until)
            res = with_service(db, project, service, lambda store, spec: export_parquet(store, project, spec, t0, t1, out, labeled=labeled))
            Console(highlight=False).print(f"wrote {res.rows} decision(s), {res.labeled} labelled, to {out}")
        run(body)
