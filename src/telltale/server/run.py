"""Start the server: open the store, register specs, make sure a token exists, run uvicorn.

Shared by ``telltale serve`` and ``python -m telltale.server``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console

from telltale.errors import SpecError, TelltaleError
from telltale.server.app import DEFAULT_MAX_BODY_BYTES
from telltale.store import Store
from telltale.store.engine import safe_url

DEFAULT_DB = "sqlite:///telltale.db"


def run_server(
    db: str = DEFAULT_DB,
    host: str = "127.0.0.1",
    port: int = 8000,
    specs: Sequence[str | Path] = (),
    project: str = "default",
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    console: Console | None = None,
    monitor_every_s: float = 60.0,
) -> None:
    """Serve until interrupted, with the monitor (and what follows it) ticking every
    ``monitor_every_s``. Raises TelltaleError (SpecError, StoreError) before serving."""
    import uvicorn

    from telltale.server.app import create_app

    console = console or Console(highlight=False)
    store = Store.open(db)
    try:
        names = [register_spec(store, project, Path(p), console) for p in specs]
        token_line = ensure_token(store, project, db)
        url = f"http://{_display_host(host)}:{port}"
        console.print(f"[bold]telltale[/bold] serving project [cyan]{project}[/cyan]")
        console.print(f"  db      {safe_url(db)}")
        console.print(f"  url     {url}   (dashboard at {url}/, API docs at {url}/docs)")
        console.print(f"  token   {token_line}")
        if names:
            console.print(f"  specs   {', '.join(names)}")
        from telltale.server.jobs import default_jobs

        app = create_app(store, max_body_bytes=max_body_bytes, jobs=default_jobs(store, monitor_every_s=monitor_every_s))
        uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)
    finally:
        store.close()


def register_spec(store: Store, project: str, path: Path, console: Console) -> str:
    """Register the spec at ``path`` (and its reference profile, when it names one)."""
    from telltale.spec import load_spec

    spec = load_spec(path)
    store.put_service(project, spec)
    if spec.reference:
        ref = (path.parent / spec.reference).resolve()
        try:
            from telltale.profile import Profile

            store.put_reference(project, spec.service, Profile.from_bytes(ref.read_bytes()))
        except (OSError, ImportError, ValueError, TelltaleError) as e:
            console.print(f"[yellow]warning[/yellow]: {path}: reference {spec.reference!r} not loaded ({e}); drift checks need it")
    return spec.service


def ensure_token(store: Store, project: str, db: str) -> str:
    """The line to print about the token: a saved one, a new one, or how to make one.

    For a SQLite file the token is kept beside it (``<db>.token``, mode 0600) so that a
    later start can show it again; only its hash is in the database.
    """
    token_file = _token_file(db)
    if token_file is not None and token_file.exists():
        saved = token_file.read_text(encoding="utf-8").strip()
        if store.project_for_token(saved) == project:
            return f"{saved}   (saved in {token_file})"
    if token_file is None and store.count_tokens(project) > 0:
        return f"project {project!r} has tokens already; make another with `telltale token create --project {project} --db ...`"
    token = store.create_token(project)
    if token_file is not None:
        fd = os.open(token_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(token + "\n")
        os.chmod(token_file, 0o600)
        return f"{token}   (new; saved in {token_file})"
    return f"{token}   (new; shown once, keep it)"


def _token_file(db: str) -> Path | None:
    from sqlalchemy.engine import make_url

    u = make_url(db)
    if u.get_backend_name() != "sqlite" or not u.database or u.database == ":memory:":
        return None
    return Path(u.database + ".token")


def _display_host(host: str) -> str:
    return "127.0.0.1" if host in ("0.0.0.0", "") else (f"[{host}]" if ":" in host else host)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m telltale.server``: the same as ``telltale serve``, without the CLI's imports."""
    import argparse

    ap = argparse.ArgumentParser(prog="python -m telltale.server", description="Run the telltale server.")
    ap.add_argument("--db", default=DEFAULT_DB)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8000)
    ap.add_argument("--spec", action="append", default=[])
    ap.add_argument("--project", default="default")
    ap.add_argument("--max-body-bytes", type=int, default=DEFAULT_MAX_BODY_BYTES)
    ap.add_argument("--monitor-every", type=float, default=60.0, help="seconds between monitor ticks")
    a = ap.parse_args(argv)
    try:
        run_server(db=a.db, host=a.host, port=a.port, specs=a.spec, project=a.project, max_body_bytes=a.max_body_bytes,
                   monitor_every_s=a.monitor_every)
    except SpecError as e:
        print(e, flush=True)
        return 2
    except TelltaleError as e:
        print(f"error: {e}", flush=True)
        return 1
    return 0
