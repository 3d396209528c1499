"""``telltale performance``: realized performance (and trust) per window, from a store or a server."""

from __future__ import annotations

import json
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from telltale.cli._target import Failure, call, run, times, with_service


def register(app: typer.Typer) -> None:
    @app.command()
    def performance(
        service: str = typer.Option(..., "--service", help="The service."),
        db: str | None = typer.Option(None, "--db", help="Read the store directly (default sqlite:///telltale.db)."),
        server: str | None = typer.Option(None, "--server", help="Ask a telltale server instead, e.g. http://127.0.0.1:8000."),
        token: str | None = typer.Option(None, "--token", envvar="TELLTALE_TOKEN", help="Bearer token for --server."),
        project: str = typer.Option("default", "--project", help="The project (with --db)."),
        since: str = typer.Option("-7d", "--since", help="Prediction time: epoch seconds, ISO 8601, or back from now (-7d)."),
        until: str | None = typer.Option(None, "--until", help="As --since; default now."),
        window: float = typer.Option(86400.0, "--window", help="Window length in seconds (at least 60)."),
        trust: bool = typer.Option(False, "--trust", help="Show override, ignore and correction rates per window (feedback time) instead."),
        as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
    ) -> None:
        """Realized performance per window once labels join: metrics, coverage, label delay, findings."""
        def body() -> None:
            if db and server:
                raise Failure("give --db or --server, not both", 2)
            what = "trust" if trust else "performance"
            if server:
                params: dict[str, Any] = {"since": since, "window": window, **({"until": until} if until else {})}
                data = call(server, token, "GET", f"/v1/services/{service}/{what}", params=params)
            else:
                t0, t1 = times(since, until)
                data = with_service(db, project, service, lambda store, spec: _report(what, store, project, spec, t0, t1, window))
            if as_json:
                print(json.dumps(data, indent=2))
            else:
                (_print_trust if trust else _print_performance)(Console(highlight=False, soft_wrap=True), service, data)
        run(body)


def _report(what: str, store: Any, project: str, spec: Any, t0: float, t1: float, window: float) -> dict[str, Any]:
    if what == "trust":
        from telltale.feedback.trust import trust_report

        return trust_report(store, project, spec, t0, t1, window)
    from telltale.performance.report import performance_report

    return performance_report(store, project, spec, t0, t1, window)


def _fmt(m: dict[str, Any] | None) -> str:
    if m is None:
        return "-"
    ci = f" [{m['low']:.3g}, {m['high']:.3g}]" if m.get("low") is not None and m.get("high") is not None else ""
    return f"{m['value']:.3g}{ci}"


def _print_performance(console: Console, service: str, data: dict[str, Any]) -> None:
    rows = data["windows"]
    if not rows:
        console.print(f"no predictions or labels for {service} in that span")
        return
    names = [n for n in ("accuracy", "f1", "roc_auc", "log_loss", "ece", "mae", "rmse", "mape") if any(n in w["metrics"] for w in rows)]
    table = Table(title=f"{service}: realized performance per window (95% intervals)", title_justify="left")
    for col in ("window start", "labels", "coverage", "delay", *names, "verdict"):
        table.add_column(col, overflow="fold")
    for w in rows:
        cov = f"{w['coverage']:.0%}" if w["coverage"] is not None else "-"
        delay = f"{w['delay_mean_s'] / 3600:.1f} h" if w["delay_mean_s"] is not None else "-"
        crit = [f for f in w["findings"] if f["severity"] == "critical"]
        verdict = ("[red]" + ", ".join(f"{f['feature']} critical" for f in crit) + "[/red]") if crit else \
            ("[yellow]too few labels[/yellow]" if not w["enough_labels"] else ("[yellow]warning[/yellow]" if w["findings"] else "[green]ok[/green]"))
        table.add_row(w["window"]["start"].replace("+00:00", "Z"), str(w["labels"]), cov, delay,
                      *(_fmt(w["metrics"].get(n)) for n in names), verdict)
    console.print(table)
    for w in rows:
        for f in w["findings"]:
            console.print(f"{f['severity']}: {f['message']}")


def _print_trust(console: Console, service: str, data: dict[str, Any]) -> None:
    rows = data["windows"]
    if not rows:
        console.print(f"no feedback for {service} in that span")
        return
    table = Table(title=f"{service}: what people did with the output, per window", title_justify="left")
    for col in ("window start", "actor", "feedback", "override", "ignore", "correction"):
        table.add_column(col)
    pct = lambda x: "-" if x is None else f"{x:.0%}"  # noqa: E731
    for w in rows:
        table.add_row(w["window"]["start"].replace("+00:00", "Z"), "(all)", str(w["feedback"]), pct(w["override_rate"]), pct(w["ignore_rate"]), pct(w["correction_rate"]))
        for actor, r in w["actors"].items():
            table.add_row("", actor, str(r["feedback"]), pct(r["override_rate"]), pct(r["ignore_rate"]), pct(r["correction_rate"]))
    console.print(table)
    for w in rows:
        for f in w["findings"]:
            console.print(f"{f['severity']}: {f['message']}")
