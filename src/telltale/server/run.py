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
from telltale.server.services import DEFAULT_MAX_SERVICES
from telltale.server.shed import DEFAULT_MAX_IN_FLIGHT
from telltale.store import Store
from telltale.store.engine import safe_url
from telltale.wire import DEFAULT_LIMITS as DEFAULT_RECORD_LIMITS, RecordLimits

DEFAULT_DB = "sqlite:///telltale.db"
#: ``RecordLimits`` fields offered as server options (``--max-string-len`` ...).
LIMIT_OPTIONS = ("max_string_len", "max_depth", "max_int_digits", "max_inputs", "max_name_len", "max_items", "max_future_s")


def run_server(
    db: str = DEFAULT_DB,
    host: str = "127.0.0.1",
    port: int = 8000,
    specs: Sequence[str | Path] = (),
    project: str = "default",
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    console: Console | None = None,
    *,
    max_in_flight: int = DEFAULT_MAX_IN_FLIGHT,
    token_rate: float | None = None,
    metrics_token: bool = False,
    max_services: int = DEFAULT_MAX_SERVICES,
    record_limits: RecordLimits = DEFAULT_RECORD_LIMITS,
    monitor_every_s: float = 60.0,
    lease_ttl_s: float | None = None,
) -> None:
    """Serve until interrupted, with the monitor (and what follows it) ticking every
    ``monitor_every_s`` on whichever replica of this store holds the jobs lease (taken
    over ``lease_ttl_s`` after its holder died at most; ``server/jobs.py``). Raises
    TelltaleError (SpecError, StoreError) before serving."""
    import uvicorn

    from telltale.server.app import create_app
    from telltale.server.jobs import LEASE_TTL_S, LeaseSettings, default_jobs

    try:
        lease = LeaseSettings(ttl_s=LEASE_TTL_S if lease_ttl_s is None else lease_ttl_s)
    except ValueError as e:
        raise TelltaleError(f"--lease-ttl: {e}") from None
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
        console.print(f"  jobs    monitor, policy, alerts on the replica holding lease {lease.name!r} (this one is {lease.holder})")
        jobs = default_jobs(store, monitor_every_s=monitor_every_s, lease=lease)
        app = create_app(store, max_body_bytes=max_body_bytes, jobs=jobs, max_in_flight=max_in_flight, token_rate=token_rate,
                         metrics_token=metrics_token, max_services=max_services,
                         record_limits=record_limits)
        # Idle connections close after timeout_keep_alive, headers must arrive within
        # HEADER_TIMEOUT_S (DeadlineH11Protocol) and fit in 64 KB, bodies within BodyTimeout.
        from telltale.server.protocol import DeadlineH11Protocol

        uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False, timeout_keep_alive=5,
                    h11_max_incomplete_event_size=64 * 1024, backlog=2048, http=DeadlineH11Protocol)
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
    """The line to print about the token: a new one (printed this once), or where it is.

    For a SQLite file a new token is kept beside it (``<db>.token``, mode 0600) so that the
    CLI's ``--server`` commands on this machine find it; only its hash is in the
    database. A later start never prints it again: a token must not land in every log.
    """
    token_file = _token_file(db)
    if token_file is not None and token_file.exists():
        saved = token_file.read_text(encoding="utf-8").strip()
        if store.project_for_token(saved) == project:
            return f"saved in {token_file} (not shown again; `telltale token list --db ...` lists tokens)"
    if store.count_tokens(project) > 0:
        return f"project {project!r} has tokens already; make another with `telltale token create --project {project} --db ...`"
    token = store.create_token(project, name="telltale serve")
    if token_file is not None:
        fd = os.open(token_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(token + "\n")
        os.chmod(token_file, 0o600)
        return f"{token}   (new, an admin token: shown this once; saved in {token_file})"
    return f"{token}   (new, an admin token: shown this once, keep it)"


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
    ap.add_argument("--max-in-flight", type=int, default=DEFAULT_MAX_IN_FLIGHT)
    ap.add_argument("--token-rate", type=float, default=None)
    ap.add_argument("--metrics-token", action="store_true")
    ap.add_argument("--max-services", type=int, default=DEFAULT_MAX_SERVICES)
    for name in LIMIT_OPTIONS:
        ap.add_argument(f"--{name.replace('_', '-')}", type=type(getattr(DEFAULT_RECORD_LIMITS, name)), default=getattr(DEFAULT_RECORD_LIMITS, name))
    ap.add_argument("--monitor-every", type=float, default=60.0, help="seconds between monitor ticks")
    ap.add_argument("--lease-ttl", type=float, default=None, help="seconds before a dead replica's jobs lease is taken over (default 6)")
    a = ap.parse_args(argv)
    try:
        limits = RecordLimits(**{name: getattr(a, name) for name in LIMIT_OPTIONS})
    except ValueError as e:
        print(f"error: {e}", flush=True)
        return 2
    try:
        run_server(db=a.db, host=a.host, port=a.port, specs=a.spec, project=a.project, max_body_bytes=a.max_body_bytes,
                   max_in_flight=a.max_in_flight, token_rate=a.token_rate, metrics_token=a.metrics_token, max_services=a.max_services,
                   record_limits=limits, monitor_every_s=a.monitor_every, lease_ttl_s=a.lease_ttl)
    except SpecError as e:
        print(e, flush=True)
        return 2
    except TelltaleError as e:
        print(f"error: {e}", flush=True)
        return 1
    return 0
