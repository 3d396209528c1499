"""``telltale timeline``: a service's findings, alerts, deliveries and changes, in order.

Plain lines, wrapped to the terminal (80 columns when piped), no colour codes: it reads
the same in a terminal, a pager and a ticket.
"""

from __future__ import annotations

import json
import shutil
import textwrap
from datetime import datetime, timezone
from typing import Any

import typer

from telltale.cli._target import Failure, call, check_choice, opened, registered

#: time (19) + 2, kind (8) + 1, severity (8) + 1
_INDENT = 39


def register(app: typer.Typer) -> None:
    @app.command()
    def timeline(
        service: str = typer.Option(..., "--service", help="The service."),
        db: str | None = typer.Option(None, "--db", help="Read the store directly (default sqlite:///telltale.db)."),
        server: str | None = typer.Option(None, "--server", help="Ask a telltale server instead, e.g. http://127.0.0.1:8000."),
        token: str | None = typer.Option(None, "--token", envvar="TELLTALE_TOKEN", help="Bearer token for --server."),
        project: str = typer.Option("default", "--project", help="The project (with --db)."),
        since: str = typer.Option("-1d", "--since", help="Epoch seconds, ISO 8601, or back from now: -1h, -30m, -7d."),
        until: str | None = typer.Option(None, "--until", help="As --since; default now."),
        kind: list[str] = typer.Option([], "--kind", help="Only this kind (repeatable): version, mode, finding, alert, delivery."),
        limit: int = typer.Option(1000, "--limit", help="The newest events shown."),
        as_json: bool = typer.Option(False, "--json", help="Print JSON instead of lines."),
    ) -> None:
        """Print a service's incident timeline: what was found, who was told, what changed."""
        try:
            check_choice(db, server)
            data = (_from_server(server, token, service, since, until, kind, limit) if server
                    else _from_store(db, project, service, since, until, kind, limit))
        except Failure as e:
            typer.echo(f"error: {e}", err=True)
            raise typer.Exit(e.code) from None
        if as_json:
            typer.echo(json.dumps(data, indent=2))
            return
        for line in render(service, data, shutil.get_terminal_size((80, 24)).columns):
            typer.echo(line)


def _from_server(server: str, token: str | None, service: str, since: str, until: str | None, kinds: list[str], limit: int) -> dict[str, Any]:
    params: dict[str, Any] = {"since": since, "limit": limit}
    if until:
        params["until"] = until
    if kinds:
        params["kind"] = kinds
    answer: dict[str, Any] = call(server, token, "GET", f"/v1/services/{service}/timeline", params=params)
    return answer


def _from_store(db: str | None, project: str, service: str, since: str, until: str | None, kinds: list[str], limit: int) -> dict[str, Any]:
    from telltale.clock import SYSTEM_CLOCK
    from telltale.timeline import SOURCES, timeline
    from telltale.timeparse import to_epoch

    now = SYSTEM_CLOCK.now()
    try:
        t1 = to_epoch(until, now) if until else now
        t0 = to_epoch(since, now)
    except ValueError as e:
        raise Failure(str(e), 2) from None
    with opened(db) as store:
        registered(store, project, service, db)
        try:
            events = timeline(store, project, service, t0, t1, kinds=kinds or None, limit=limit)
        except ValueError as e:
            raise Failure(str(e), 2) from None
    return {"events": [e.to_dict() for e in events], "since": t0, "until": t1, "kinds": kinds or list(SOURCES)}


def render(service: str, data: dict[str, Any], width: int = 80) -> list[str]:
    """The timeline as lines no wider than ``width`` (at least 60)."""
    width = max(60, width)
    events = data["events"]
    head = f"{service}: {len(events)} event{'s' if len(events) != 1 else ''} from {_t(data['since'])} to {_t(data['until'])}"
    lines = [head]
    if not events:
        lines.append("nothing happened in this span")
    for e in events:
        prefix = f"{_t(e['at'])}  {e['kind']:<8} {(e['severity'] or ''):<8} "
        wrapped = textwrap.wrap(e["summary"], width - _INDENT, break_long_words=True, break_on_hyphens=False) or [""]
        lines.append(prefix + wrapped[0])
        lines.extend(" " * _INDENT + w for w in wrapped[1:])
    return lines


def _t(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
