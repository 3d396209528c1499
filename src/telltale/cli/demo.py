"""``telltale demo``: the whole story on a real model, then the dashboard to look at it."""

from __future__ import annotations

import time
from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table


def register(app: typer.Typer) -> None:
    @app.command()
    def demo(
        directory: Path = typer.Option(Path("telltale-demo"), "--dir", help="Where the spec, the SQLite store and the spill go (rewritten each run)."),
        hours: float = typer.Option(6.0, "--hours", min=5.5, max=48.0, help="Hours of simulated traffic; the faults fall in the first five."),
        serve: bool = typer.Option(True, "--serve/--no-serve", help="Serve the dashboard on the result afterwards."),
        host: str = typer.Option("127.0.0.1", "--host"),
        port: int = typer.Option(8000, "--port"),
        seed: int = typer.Option(0, "--seed"),
    ) -> None:
        """Train an ETA model, replay hours of orders with four injected faults through the
        guard, show what the monitors caught and what the guard served, then serve it."""
        from telltale.cli._common import console as make_console
        from telltale.demo.story import run_demo

        console = make_console()
        console.print("[bold]telltale demo[/bold]: a food-delivery ETA model (scikit-learn) behind a guard, "
                      f"{hours:g} hours of simulated orders, four upstream and backend faults.\n")
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console) as bar:
            tasks: dict[str, TaskID] = {}

            def progress(stage: str, done: int, total: int) -> None:
                if stage not in tasks:
                    tasks[stage] = bar.add_task(stage, total=total)
                bar.update(tasks[stage], completed=done)

            result = run_demo(directory, end=time.time(), hours=hours, seed=seed, progress=progress)

        console.print(_timeline(result))
        console.print(_caught(result))
        console.print(f"\n{result.decisions:,} decisions recorded in {directory / 'telltale.db'}; "
                      f"spec in {result.spec_path}. Try: telltale findings --service eta --db {result.db_url} --since -{hours:g}h --window 900")
        if serve:
            from telltale.server.run import run_server

            console.print("\nServing the dashboard (Ctrl-C to stop):")
            run_server(db=result.db_url, host=host, port=port, specs=[result.spec_path], project="default", console=console)


def _timeline(result) -> Table:  # type: ignore[no-untyped-def]
    t = Table(title="What the guard served and what the monitors found, per 15-minute window", title_justify="left")
    t.add_column("window (UTC)")
    t.add_column("orders", justify="right")
    t.add_column("served by model", justify="right")
    t.add_column("fault injected")
    t.add_column("findings (critical)")
    for w in result.windows:
        crit = sorted({f"{f.kind}:{f.feature}" if f.feature else f.kind for f in w.findings if f.severity == "critical"})
        share = w.model_share
        colour = "green" if share >= 0.95 else ("yellow" if share >= 0.5 else "red")
        t.add_row(
            time.strftime("%H:%M", time.gmtime(w.start)), str(w.n), f"[{colour}]{share:.0%}[/{colour}]",
            "; ".join(w.faults), ", ".join(crit) or "[dim]none[/dim]",
        )
    return t


def _caught(result) -> Table:  # type: ignore[no-untyped-def]
    t = Table(title="Each fault: caught by, how soon, and served by a fallback", title_justify="left")
    t.add_column("fault")
    t.add_column("catalogue #", justify="right")
    t.add_column("expected finding")
    t.add_column("caught", justify="right")
    t.add_column("records touched served by a fallback", justify="right")
    for c in result.caught:
        when = f"[green]within {c.detected_after_min:.0f} min[/green]" if c.detected_after_min is not None else "[red]missed[/red]"
        t.add_row(c.fault.name, str(c.fault.catalogue), c.fault.expect, when, f"{c.contained_share:.0%}")
    return t
