"""``telltale slo``: error budgets and burn rates per SLO; ``telltale slo rules``: the same
SLOs as Prometheus rules."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from telltale.cli._target import Failure, call, opened, registered


def register(app: typer.Typer) -> None:
    slo_app = typer.Typer(help="Error budgets and burn rates per SLO; the same SLOs as Prometheus rules.", no_args_is_help=False)
    app.add_typer(slo_app, name="slo")

    @slo_app.callback(invoke_without_command=True)
    def status(
        ctx: typer.Context,
        service: str | None = typer.Option(None, "--service", help="The service whose SLOs to show."),
        db: str | None = typer.Option(None, "--db", help="Read the store directly (default sqlite:///telltale.db)."),
        server: str | None = typer.Option(None, "--server", help="Ask a telltale server instead, e.g. http://127.0.0.1:8000."),
        token: str | None = typer.Option(None, "--token", envvar="TELLTALE_TOKEN", help="Bearer token for --server."),
        project: str = typer.Option("default", "--project", help="The project (with --db)."),
        as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
    ) -> None:
        """Each SLO's objective, remaining error budget, burn rates and status."""
        if ctx.invoked_subcommand is not None:
            return
        err = Console(stderr=True, highlight=False, soft_wrap=True)
        if not service:
            err.print("[red]error[/red]: --service is required (or use `telltale slo rules --spec telltale.yaml`)")
            raise typer.Exit(2)
        try:
            data = (call(server, token, "GET", f"/v1/services/{service}/slos") if server
                    else _from_store(db, project, service))
        except Failure as e:
            err.print(f"[red]error[/red]: {e}")
            raise typer.Exit(e.code) from None
        if as_json:
            print(json.dumps(data, indent=2))
            return
        _print(Console(highlight=False, soft_wrap=True), data)

    @slo_app.command("rules")
    def rules(
        spec: list[Path] = typer.Option(..., "--spec", help="A telltale.yaml (repeat for several services)."),
        project: str = typer.Option("default", "--project", help="The project label the server exports."),
        out: Path | None = typer.Option(None, "--out", help="Write here instead of printing."),
    ) -> None:
        """Write the SLOs as Prometheus recording and alerting rules over telltale's /metrics."""
        from telltale.errors import SpecError
        from telltale.policy.prometheus import rules_yaml
        from telltale.spec import load_spec

        try:
            specs = [load_spec(p) for p in spec]
        except SpecError as e:
            Console(stderr=True, highlight=False, soft_wrap=True).print(f"[red]error[/red]: {e}")
            raise typer.Exit(2) from None
        text = rules_yaml(specs, project=project)
        if out is None:
            print(text, end="")
        else:
            out.write_text(text, encoding="utf-8")


def _from_store(db: str | None, project: str, service: str) -> dict[str, Any]:
    from telltale.clock import SYSTEM_CLOCK
    from telltale.policy import slo_status

    with opened(db) as store:
        now = SYSTEM_CLOCK.now()
        spec = registered(store, project, service, db)
        return {"service": service, "at": now, "slos": [s.to_dict() for s in slo_status(store, project, spec, now)]}


def _print(console: Console, data: dict[str, Any]) -> None:
    if not data["slos"]:
        console.print(f"{data['service']}: no SLOs that telltale computes (see `telltale check`)")
        return
    t = Table(title=f"SLOs of {data['service']}")
    for col in ("slo", "indicator", "objective", "period", "events", "budget left", "burn 1h / 5m", "burn 6h / 30m", "burn 3d / 6h", "status"):
        t.add_column(col)
    for s in data["slos"]:
        left = s["budget_remaining"]
        burns = [f"{_x(b['long_burn'])} / {_x(b['short_burn'])}" for b in s["burn_rates"]]
        t.add_row(s["name"], s["indicator"] + (f" ({s['stage']})" if s["stage"] else ""), f"{s['objective']:g}", s["period"],
                  f"{s['events']:g}", "-" if left is None else f"{left:.1%}", *burns, s["status"])
    console.print(t)


def _x(v: float | None) -> str:
    return "-" if v is None else f"{v:.2f}x"
