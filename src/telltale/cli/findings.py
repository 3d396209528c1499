"""``telltale findings``: a service's findings per window, from a store or a server."""

from __future__ import annotations

import json
from typing import Any

import typer
from rich.console import Console
from rich.table import Table


def register(app: typer.Typer) -> None:
    @app.command()
    def findings(
        service: str = typer.Option(..., "--service", help="The service to check."),
        db: str | None = typer.Option(None, "--db", help="Read the store directly (default sqlite:///telltale.db)."),
        server: str | None = typer.Option(None, "--server", help="Ask a telltale server instead, e.g. http://127.0.0.1:8000."),
        token: str | None = typer.Option(None, "--token", envvar="TELLTALE_TOKEN", help="Bearer token for --server."),
        project: str = typer.Option("default", "--project", help="The project (with --db)."),
        since: str = typer.Option("-1h", "--since", help="Epoch seconds, ISO 8601, or back from now: -1h, -30m, -7d."),
        until: str | None = typer.Option(None, "--until", help="As --since; default now."),
        window: float = typer.Option(300.0, "--window", help="Window length in seconds (at least 60)."),
        as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
    ) -> None:
        """Print the data-quality and drift findings of a service, window by window."""
        err = Console(stderr=True, highlight=False, soft_wrap=True)
        if db and server:
            err.print("[red]error[/red]: give --db or --server, not both")
            raise typer.Exit(2)
        try:
            if server:
                data = _from_server(server, token, service, since, until, window)
            else:
                data = _from_store(db or "sqlite:///telltale.db", project, service, since, until, window)
        except _Failure as e:
            err.print(f"[red]error[/red]: {e}")
            raise typer.Exit(e.code) from None
        if as_json:
            print(json.dumps(data, indent=2))
            return
        from telltale.cli._common import console

        _print_table(console(), service, data)


class _Failure(Exception):
    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


def _from_server(url: str, token: str | None, service: str, since: str, until: str | None, window: float) -> dict[str, Any]:
    import httpx

    from telltale.cli._common import saved_token

    token = token or saved_token()[0]
    if not token:
        raise _Failure(f"--server needs --token (or TELLTALE_TOKEN): none given and none saved in {saved_token()[1]}, where `telltale serve` keeps the token it made", 2)
    params: dict[str, Any] = {"since": since, "window": window}
    if until:
        params["until"] = until
    try:
        resp = httpx.get(f"{url.rstrip('/')}/v1/services/{service}/findings", params=params,
                         headers={"Authorization": f"Bearer {token}"}, timeout=60)
    except httpx.HTTPError as e:
        raise _Failure(f"cannot reach {url}: {e}") from None
    if resp.status_code != 200:
        try:
            detail = resp.json().get("detail", resp.text)
        except ValueError:
            detail = resp.text
        raise _Failure(f"{url} answered {resp.status_code}: {detail}", 2 if resp.status_code in (401, 404, 422) else 1)
    return resp.json()


def _from_store(db: str, project: str, service: str, since: str, until: str | None, window: float) -> dict[str, Any]:
    from telltale.clock import SYSTEM_CLOCK
    from telltale.errors import TelltaleError
    from telltale.server.timeparse import to_epoch
    from telltale.monitor import findings_for
    from telltale.store import Store

    now = SYSTEM_CLOCK.now()
    try:
        t1 = to_epoch(until, now) if until else now
        t0 = to_epoch(since, now)
    except ValueError as e:
        raise _Failure(str(e), 2) from None
    from telltale.cli._common import NoStore, require_existing

    try:
        require_existing(db)  # a read: never create an empty database
        store = Store.open(db)
    except (NoStore, TelltaleError) as e:
        raise _Failure(str(e)) from None
    try:
        spec = store.get_service(project, service)
        if spec is None:
            raise _Failure(f"service {service!r} is not registered in project {project!r} of {db}; register it with `telltale serve --spec telltale.yaml --db {db}`", 2)
        try:
            result = findings_for(store, project, spec, t0, t1, window)
        except ValueError as e:
            raise _Failure(str(e), 2) from None
        except TelltaleError as e:
            raise _Failure(str(e)) from None
    finally:
        store.close()
    return {"findings": [f.to_dict() for f in result.findings], "windows": result.windows, "since": t0, "until": t1, "window": window}


def _print_table(console: Console, service: str, data: dict[str, Any]) -> None:
    items = data["findings"]
    if not items:
        console.print(f"[green]no findings[/green] for {service} in {data['windows']} window(s) with records")
        return
    table = Table(title=f"{service}: {len(items)} finding(s) in {data['windows']} window(s)", title_justify="left")
    for col in ("window end", "severity", "kind", "feature", "message"):
        table.add_column(col, overflow="fold")
    for f in items:
        end = f["window"]["end"].replace("+00:00", "Z") if f.get("window") else ""
        colour = "red" if f["severity"] == "critical" else "yellow"
        table.add_row(end, f"[{colour}]{f['severity']}[/{colour}]", f["kind"], f["feature"] or "-", f["message"])
    console.print(table)
