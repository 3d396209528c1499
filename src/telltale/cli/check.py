"""``telltale check``: the readiness gate before launch."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console


def register(app: typer.Typer) -> None:
    @app.command()
    def check(spec: Path = typer.Argument(Path("telltale.yaml"), help="The spec file to check.")) -> None:
        """Validate a spec and list everything that keeps it from launch, line by line."""
        from telltale.spec import check_spec

        console = Console(highlight=False, soft_wrap=True)
        problems = sorted(check_spec(spec), key=lambda p: (p.line is None, p.line or 0))  # in line order, unlocated last
        for p in problems:
            console.print(str(p), markup=False)
        if problems:
            console.print(f"[red]{len(problems)} problem{'s' if len(problems) != 1 else ''}[/red]: {spec} is not ready to launch")
            raise typer.Exit(1)
        console.print(f"[green]ok[/green]: {spec} is ready to launch")
