"""``telltale backfill``: minute profiles of past traffic, written into the store.

The files' rows are grouped by the minute of ``--ts-column`` and profiled per minute on
an engine (``engines/minutes.py``), then merged into the store's minute profiles of a
registered service (``Store.backfill_minutes``). The live monitor leaves backfilled
minutes; ``telltale findings --window`` judges any past span from them.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import NoReturn

import typer

from telltale.cli._common import missing_files


def register(app: typer.Typer) -> None:
    @app.command()
    def backfill(
        paths: list[Path] = typer.Argument(..., help="Parquet or CSV files, or directories of Parquet files."),
        spec: Path = typer.Option(..., "--spec", help="The service spec (the one registered in the store)."),
        store_url: str = typer.Option(..., "--store", "--db", help="The store, e.g. sqlite:///telltale.db or postgresql+psycopg://..."),
        ts_column: str = typer.Option(..., "--ts-column", help="When each row happened: an Arrow timestamp (naive = UTC) or epoch seconds."),
        project: str = typer.Option("default", "--project", help="The project the service is registered in."),
        model_version: str = typer.Option(None, "--model-version", help="The model version of every row (default none)."),
        version_column: str = typer.Option(None, "--model-version-column", help="A column holding each row's model version."),
        engine: str = typer.Option("local", "--engine", help="local, dask or spark."),
        workers: int = typer.Option(2, "--workers", min=1, help="Processes (dask) or cores (spark) of a local cluster."),
        address: str = typer.Option(None, "--address", help="An existing Dask scheduler or Spark master instead of a local one."),
        merge: bool = typer.Option(False, "--merge", help="Add to minutes that already hold profiles (their rows then count twice if they are the same rows)."),
    ) -> None:
        """Write minute profiles of past traffic into the store (a backfill)."""
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        from telltale.cli._common import NoStore, require_existing
        from telltale.engines import ENGINES, EngineOptions
        from telltale.engines.minutes import profile_minutes
        from telltale.errors import SpecError, TelltaleError
        from telltale.infer import DataError
        from telltale.spec import load_spec
        from telltale.store import Store
        from telltale.store.engine import safe_url

        err = Console(stderr=True, highlight=False, soft_wrap=True)

        def fail(message: str) -> NoReturn:
            err.print(f"telltale backfill: {message}", markup=False)
            raise typer.Exit(2)

        if engine not in ENGINES:
            fail(f"--engine must be one of {', '.join(sorted(ENGINES))}, got {engine!r}")
        if model_version is not None and version_column is not None:
            fail("give --model-version or --model-version-column, not both")
        missing = missing_files(list(paths))
        if missing:
            fail(missing)
        try:
            sp = load_spec(spec)
        except SpecError as e:
            fail(str(e).splitlines()[0])
        shown = safe_url(store_url)
        try:
            require_existing(store_url)
            store = Store.open(store_url)
        except NoStore as e:
            fail(f"{e}; the service must be registered before a backfill")
        except (TelltaleError, ValueError) as e:
            fail(f"{shown}: {e}")
        try:
            registered = store.get_service(project, sp.service)
            if registered is None:
                fail(f"service {sp.service!r} is not registered in project {project!r} of {shown}; register it first: "
                     f"`telltale serve --spec {spec} --db {shown}` registers the spec when it starts")
            if registered.model_dump_json() != sp.model_dump_json():
                fail(f"{spec} differs from the spec registered for {sp.service!r} in {shown}; minute profiles are built "
                     f"under the registered spec: register this one (`telltale serve --spec {spec} --db {shown}`) "
                     "or pass the file it was registered from")
            t0 = time.perf_counter()
            with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                          console=err, transient=True) as bar:
                task = bar.add_task(f"profiling minutes on {engine}", total=None)
                opts = EngineOptions(workers=workers, address=address,
                                     progress=lambda done, total: bar.update(task, completed=done, total=total))
                try:
                    run = profile_minutes(paths, sp, ts_column=ts_column, version_column=version_column,
                                          model_version=model_version or "", engine=engine, options=opts)
                except (DataError, RuntimeError, ValueError) as e:
                    fail(str(e))
                bar.update(task, description="writing minutes", completed=0, total=len(run.minutes))
                try:
                    rows = store.backfill_minutes(project, sp.service, run.minutes, merge=merge,
                                                  progress=lambda done, total: bar.update(task, completed=done, total=total))
                except (TelltaleError, ValueError) as e:
                    fail(str(e))
        finally:
            store.close()
        seconds = time.perf_counter() - t0  # profiling and writing
        rate = run.rows / seconds if seconds > 0 else float("inf")
        span = ""
        if run.minutes:
            first, last = min(m.minute for m in run.minutes), max(m.minute for m in run.minutes)
            span = f" ({_utc(first)} to {_utc(last)})"
        typer.echo(f"backfilled {sp.service}: {rows:,} rows into {len(run.minutes):,} minutes{span} from {run.pieces} pieces "
                   f"on {engine}, {seconds:.1f} s ({rate:,.0f} rows/s); {run.skipped:,} rows skipped (null or non-finite {ts_column})")
        if run.minutes:
            typer.echo(f"the live monitor leaves backfilled minutes; judge them with `telltale findings --service {sp.service} "
                       f"--db {shown} --window 300 --since {_utc(first, True)} --until {_utc(last + 60, True)}`")


def _utc(epoch: int, seconds: bool = False) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ" if seconds else "%Y-%m-%dT%H:%MZ")
