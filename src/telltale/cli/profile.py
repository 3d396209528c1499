"""``telltale profile``: a reference or backfill profile of large data, on an engine.

``--engine local`` streams the files' row groups in bounded memory; ``dask`` and
``spark`` run the same per-piece profiling on a cluster (a local one by default). The
result is the file ``telltale report --reference`` and the server's reference read.
"""

from __future__ import annotations

from pathlib import Path

import typer


def register(app: typer.Typer) -> None:
    @app.command()
    def profile(
        paths: list[Path] = typer.Argument(..., help="Parquet or CSV files, or directories of Parquet files."),
        spec: Path = typer.Option(..., "--spec", help="The service spec (run `telltale init` on a sample to write one)."),
        out: Path = typer.Option(..., "--out", help="Where to write the profile, e.g. ref.profile."),
        engine: str = typer.Option("local", "--engine", help="local, dask or spark."),
        workers: int = typer.Option(2, "--workers", min=1, help="Processes (dask) or cores (spark) of a local cluster."),
        address: str = typer.Option(None, "--address", help="An existing Dask scheduler or Spark master instead of a local one."),
    ) -> None:
        """Profile large data on an engine and write the profile (a reference or a backfill)."""
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        from telltale.engines import ENGINES, EngineOptions, profile_files
        from telltale.errors import SpecError
        from telltale.infer import DataError
        from telltale.spec import load_spec

        err = Console(stderr=True, highlight=False, soft_wrap=True)
        if engine not in ENGINES:
            err.print(f"telltale profile: --engine must be one of {', '.join(sorted(ENGINES))}, got {engine!r}", markup=False)
            raise typer.Exit(2)
        try:
            sp = load_spec(spec)
        except SpecError as e:
            err.print(f"telltale profile: {str(e).splitlines()[0]}", markup=False)
            raise typer.Exit(2) from None
        if not out.parent.exists():
            err.print(f"telltale profile: {out.parent}: directory not found", markup=False)
            raise typer.Exit(2)
        with Progress(TextColumn(f"profiling on {engine}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      console=err, transient=True) as bar:
            task = bar.add_task("pieces", total=None)
            opts = EngineOptions(workers=workers, address=address,
                                 progress=lambda done, total: bar.update(task, completed=done, total=total))
            try:
                run = profile_files(paths, sp, engine=engine, options=opts)
            except (DataError, RuntimeError, ValueError) as e:
                err.print(f"telltale profile: {e}", markup=False)
                raise typer.Exit(2) from None
        out.write_bytes(run.profile.to_bytes())
        rate = run.rows / run.seconds if run.seconds > 0 else float("inf")
        typer.echo(f"wrote {out}: {run.rows:,} rows in {run.pieces} pieces on {engine}, {run.seconds:.1f} s ({rate:,.0f} rows/s)")
