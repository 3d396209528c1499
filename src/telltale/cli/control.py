"""``telltale control show|set``: a service's mode, who set it and why; a person's override."""

from __future__ import annotations

import getpass
import json
from typing import Any

import typer
from rich.console import Console

from telltale.cli._target import Failure, call, check_choice, opened, registered, run


def register(app: typer.Typer) -> None:
    control_app = typer.Typer(help="The control mode every guard of a service follows, and its audit log.", no_args_is_help=True)
    app.add_typer(control_app, name="control")

    db_opt = typer.Option(None, "--db", help="The store directly (default sqlite:///telltale.db).")
    server_opt = typer.Option(None, "--server", help="A telltale server instead, e.g. http://127.0.0.1:8000.")
    token_opt = typer.Option(None, "--token", envvar="TELLTALE_TOKEN", help="Bearer token for --server.")
    project_opt = typer.Option("default", "--project", help="The project (with --db).")

    @control_app.command("show")
    def show(
        service: str = typer.Option(..., "--service"),
        db: str | None = db_opt, server: str | None = server_opt, token: str | None = token_opt, project: str = project_opt,
        limit: int = typer.Option(20, "--limit", help="How many past changes to list."),
        as_json: bool = typer.Option(False, "--json"),
    ) -> None:
        """The current mode and the latest changes (from, to, when, by whom, why)."""
        data = run(lambda: _show(db, server, token, project, service, limit))
        if as_json:
            print(json.dumps(data, indent=2))
            return
        out = Console(highlight=False, soft_wrap=True)
        c = data["control"]
        out.print(f"{service}: mode {c['mode']}" + (f" ({c['reason']})" if c["reason"] else "") + (f", set by {c['by']}" if c.get("by") else ""))
        for e in data["changes"]:
            out.print(f"  {_when(e['at'])}  {e['from']} -> {e['to']}  by {e['actor']}: {e['reason']}")

    @control_app.command("set")
    def set_(
        mode: str = typer.Argument(..., help="normal, fallback, rollback, review or canary_stopped."),
        service: str = typer.Option(..., "--service"),
        reason: str = typer.Option(..., "--reason", help="Why: it goes into the audit log."),
        by: str = typer.Option(getpass.getuser(), "--by", help="Who is deciding (default: your user name)."),
        db: str | None = db_opt, server: str | None = server_opt, token: str | None = token_opt, project: str = project_opt,
    ) -> None:
        """Override the mode; every guard applies it within its poll (5 s at most)."""
        data = run(lambda: _set(db, server, token, project, service, mode, reason, by))
        Console(highlight=False, soft_wrap=True).print(f"{service}: mode {data['mode']} (by {data['by']}: {data['reason']})")


def _show(db: str | None, server: str | None, token: str | None, project: str, service: str, limit: int) -> dict[str, Any]:
    check_choice(db, server)
    if server:
        return {"control": call(server, token, "GET", f"/v1/services/{service}/control"),
                "changes": call(server, token, "GET", f"/v1/services/{service}/control/audit", params={"limit": limit})["changes"]}
    with opened(db) as store:
        registered(store, project, service, db)
        s = store.get_control(project, service)
        changes = [e.to_dict() for e in store.control_audit(project, service, limit=limit)]
        return {"control": {"mode": s.mode, "reason": s.reason, "updated_at": s.updated_at,
                            "by": changes[-1]["actor"] if changes else None}, "changes": changes}


def _set(db: str | None, server: str | None, token: str | None, project: str, service: str, mode: str, reason: str, by: str) -> dict[str, Any]:
    from telltale.clock import SYSTEM_CLOCK
    from telltale.control import MODES, ControlState

    check_choice(db, server)
    if mode not in MODES:
        raise Failure(f"mode must be one of {', '.join(sorted(MODES))}, got {mode!r}", 2)
    if server:
        answer: dict[str, Any] = call(server, token, "PUT", f"/v1/services/{service}/control", json={"mode": mode, "reason": reason, "by": by})
        return answer
    with opened(db) as store:
        registered(store, project, service, db)
        state = ControlState(mode, reason, SYSTEM_CLOCK.now())
        store.set_control(project, service, state, actor=f"person:{by}")
        return {"mode": mode, "reason": reason, "by": f"person:{by}"}


def _when(ts: float) -> str:
    from datetime import datetime, timezone

    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
