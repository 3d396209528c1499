"""``telltale findings``: a service's incidents as the monitor stored them, or findings per window.

Without ``--window`` it shows what the monitor (running in ``telltale serve``)
remembers: open incidents first, each cause with its consequences under it, then the
ones resolved in the span, apart. With ``--window 300`` it computes the checks' verdicts
per window afresh for any span, as the server's ``?window=`` does.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

import typer
from rich import box
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
        since: str | None = typer.Option(None, "--since", help="Epoch seconds, ISO 8601, or back from now: -1h, -30m, -7d. Default -1d (stored) or -1h (--window)."),
        until: str | None = typer.Option(None, "--until", help="As --since; default now."),
        state: str = typer.Option("all", "--state", help="Stored findings that are open, resolved, or all."),
        window: float | None = typer.Option(None, "--window", help="Compute findings per window of this many seconds (at least 60) instead of reading stored ones."),
        as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
    ) -> None:
        """Print a service's incidents (open first, then recently resolved), or with --window its findings per window."""
        err = Console(stderr=True, highlight=False, soft_wrap=True)
        if db and server:
            err.print("[red]error[/red]: give --db or --server, not both")
            raise typer.Exit(2)
        if state not in ("open", "resolved", "all"):
            err.print(f"[red]error[/red]: --state must be open, resolved or all, got {state!r}")
            raise typer.Exit(2)
        since = since or ("-1h" if window is not None else "-1d")
        try:
            if server:
                data = _from_server(server, token, service, since, until, state, window)
            else:
                data = _from_store(db or "sqlite:///telltale.db", project, service, since, until, state, window)
        except _Failure as e:
            err.print(f"[red]error[/red]: {e}")
            raise typer.Exit(e.code) from None
        if as_json:
            print(json.dumps(data, indent=2))
            return
        from telltale.cli._common import console

        out = console()
        if window is not None:
            _print_windows(out, service, data)
        else:
            _print_incidents(out, service, data)


class _Failure(Exception):
    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


def _from_server(url: str, token: str | None, service: str, since: str, until: str | None, state: str, window: float | None) -> dict[str, Any]:
    import httpx

    from telltale.cli._common import saved_token

    token = token or saved_token()[0]
    if not token:
        raise _Failure(f"--server needs --token (or TELLTALE_TOKEN): none given and none saved in {saved_token()[1]}, where `telltale serve` keeps the token it made", 2)
    params: dict[str, Any] = {"since": since}
    if window is not None:
        params["window"] = window
    else:
        params["state"] = state
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
    answer: dict[str, Any] = resp.json()
    return answer


def _from_store(db: str, project: str, service: str, since: str, until: str | None, state: str, window: float | None) -> dict[str, Any]:
    from telltale.clock import SYSTEM_CLOCK
    from telltale.errors import TelltaleError
    from telltale.monitor.incidents import incidents
    from telltale.store import Store
    from telltale.timeparse import to_epoch

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
            if window is None:
                groups = incidents(store.findings(project, service, state=state, since=t0, until=t1))
                cursor = store.monitor_cursor(project, service)
                return {"state": state, "since": t0, "until": t1, "evaluated_until": cursor.evaluated_until if cursor else None,
                        "open": sum(i.is_open for i in groups), "resolved": sum(not i.is_open for i in groups),
                        "incidents": [i.to_dict() for i in groups]}
            from telltale.monitor import findings_for  # the monitor's statistics: SciPy, so the server extra

            result = findings_for(store, project, spec, t0, t1, window)
        except ValueError as e:
            raise _Failure(str(e), 2) from None
        except TelltaleError as e:
            raise _Failure(str(e)) from None
    finally:
        store.close()
    return {"findings": [f.to_dict() for f in result.findings], "windows": result.windows, "since": t0, "until": t1, "window": window}


def _print_incidents(console: Console, service: str, data: dict[str, Any]) -> None:
    items = data["incidents"]
    span = f"since {_when(data['since'])}" if data.get("since") is not None else ""
    if data.get("evaluated_until") is None:
        console.print(f"the monitor has not run for {service} on this store yet (it runs inside `telltale serve`); "
                      "`telltale findings --window 300` computes findings per window now")
    opened = [i for i in items if i["state"] == "open"]
    closed = [i for i in items if i["state"] != "open"]
    console.print(f"[bold]{service}[/bold]: {len(opened)} open incident(s), {len(closed)} resolved {span}".rstrip())
    if opened:
        console.print(_table("OPEN", opened, "last seen", "last_seen"))
    if closed:
        console.print(_table("RESOLVED", closed, "resolved", "resolved"))
    if not items:
        console.print("[green]no findings[/green]")


def _table(title: str, items: list[dict[str, Any]], until_label: str, until_key: str) -> Table:
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, expand=False)
    table.add_column("severity", no_wrap=True)
    table.add_column("finding", overflow="fold", ratio=1)
    table.add_column("opened", no_wrap=True)
    table.add_column(until_label, no_wrap=True)
    for inc in items:
        cause = inc["cause"]
        colour = "red" if inc["severity"] == "critical" else "yellow"
        table.add_row(f"[{colour}]{inc['severity']}[/{colour}]", _name(cause), _when(inc["opened"]), _when(inc[until_key]))
        table.add_row("", f"[dim]{cause['message']}[/dim]", "", "")
        if cause.get("change"):
            table.add_row("", f"[dim]{cause['change']}[/dim]", "", "")
        for c in inc["consequences"]:
            table.add_row("", f"└ {_name(c)} ({c['severity']})", _when(c["opened"]), _when(c[until_key] if c[until_key] is not None else c["last_seen"]))
    return table


def _name(f: dict[str, Any]) -> str:
    return f"{f['kind']} {f['feature']}" if f.get("feature") else f["kind"]


def _when(t: float | None) -> str:
    if t is None:
        return "-"
    return datetime.fromtimestamp(t, timezone.utc).strftime("%m-%d %H:%MZ")


def _print_windows(console: Console, service: str, data: dict[str, Any]) -> None:
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
