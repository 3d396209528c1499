"""``telltale review``: work the human-review queue from a terminal (a store or a server).

    telltale review list   --service S                 # open items, the queue's size and oldest age
    telltale review claim  --service S --reviewer ana  # take the oldest free item(s)
    telltale review decide --service S --id ID --reviewer ana --label 34.0 [--action corrected --value 34.0]
"""

from __future__ import annotations

import json
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from telltale.cli._target import Failure, call, run, with_service

review_app = typer.Typer(help="Work the human-review queue: list, claim, decide.", no_args_is_help=True)

_DB = typer.Option(None, "--db", help="Read the store directly (default sqlite:///telltale.db).")
_SERVER = typer.Option(None, "--server", help="A telltale server instead, e.g. http://127.0.0.1:8000.")
_TOKEN = typer.Option(None, "--token", envvar="TELLTALE_TOKEN", help="Bearer token for --server.")
_PROJECT = typer.Option("default", "--project", help="The project (with --db).")


def register(app: typer.Typer) -> None:
    app.add_typer(review_app, name="review")


def _call(db: str | None, server: str | None, token: str | None, project: str, service: str,
          http: tuple[str, str, dict[str, Any] | None], local: Any) -> dict[str, Any]:
    if db and server:
        raise Failure("give --db or --server, not both", 2)
    if server:
        method, path, body = http
        return call(server, token, method, path, **({"json": body} if body is not None else {}))
    return with_service(db, project, service, local)


def _queue(store: Any, project: str, service: str, items: list[Any]) -> dict[str, Any]:
    return {"items": [i.to_dict() for i in items], **store.review_stats(project, service).to_dict()}


@review_app.command("list")
def list_(service: str = typer.Option(..., "--service"), db: str | None = _DB, server: str | None = _SERVER,
          token: str | None = _TOKEN, project: str = _PROJECT, as_json: bool = typer.Option(False, "--json")) -> None:
    """The open items, oldest first, with the queue's size and the age of its oldest item."""
    def body() -> None:
        data = _call(db, server, token, project, service, ("GET", f"/v1/reviews/{service}", None),
                     lambda store, spec: _queue(store, project, service, store.review_items(project, service)))
        _show(data, as_json, f"{service}: review queue")
    run(body)


@review_app.command()
def claim(service: str = typer.Option(..., "--service"), reviewer: str = typer.Option(..., "--reviewer"),
          n: int = typer.Option(1, "--n", min=1, max=100), db: str | None = _DB, server: str | None = _SERVER,
          token: str | None = _TOKEN, project: str = _PROJECT, as_json: bool = typer.Option(False, "--json")) -> None:
    """Claim the oldest items nobody holds."""
    def body() -> None:
        data = _call(db, server, token, project, service, ("POST", f"/v1/reviews/{service}/claim", {"reviewer": reviewer, "n": n}),
                     lambda store, spec: _queue(store, project, service, store.claim_reviews(project, service, reviewer, n)))
        _show(data, as_json, f"{service}: claimed by {reviewer}")
    run(body)


@review_app.command()
def decide(service: str = typer.Option(..., "--service"), id: str = typer.Option(..., "--id", help="The decision's id."),
           reviewer: str = typer.Option(..., "--reviewer"), label: str | None = typer.Option(None, "--label", help="The truth; JSON (34.5, \"leave\", true) or plain text."),
           action: str | None = typer.Option(None, "--action", help="accepted, overridden, ignored or corrected."),
           value: str | None = typer.Option(None, "--value", help="What the reviewer chose instead (JSON or text)."),
           db: str | None = _DB, server: str | None = _SERVER, token: str | None = _TOKEN, project: str = _PROJECT) -> None:
    """Record the verdict on a decision as feedback from the reviewer."""
    from telltale.store._reviews import ReviewConflict

    lab, val = _value(label), _value(value)

    def local(store: Any, spec: Any) -> dict[str, Any]:
        try:
            res = store.decide_review(project, service, id, reviewer, label=lab, action=action, value=val)
        except ReviewConflict as e:
            raise Failure(str(e), 1) from None
        return {**res.to_dict(), **store.review_stats(project, service).to_dict()}

    def body() -> None:
        data = _call(db, server, token, project, service,
                     ("POST", f"/v1/reviews/{service}/{id}/decision", {"reviewer": reviewer, "label": lab, "action": action, "value": val}), local)
        Console(highlight=False).print(f"recorded: {data['size']} item(s) left in the queue")
    run(body)


def _value(text: str | None) -> Any:
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


def _show(data: dict[str, Any], as_json: bool, title: str) -> None:
    if as_json:
        print(json.dumps(data, indent=2))
        return
    console = Console(highlight=False, soft_wrap=True)
    age = data["oldest_age_s"]
    console.print(f"{data['size']} open item(s), {data['claimed']} claimed, oldest waiting {'-' if age is None else f'{age / 60:.0f} min'}")
    if not data["items"]:
        return
    table = Table(title=title, title_justify="left")
    for col in ("id", "reason", "confidence", "claimed by", "output", "inputs"):
        table.add_column(col, overflow="fold")
    for i in data["items"]:
        rec = i.get("record") or {}
        conf = "-" if i["confidence"] is None else f"{i['confidence']:.2f}"
        table.add_row(i["id"], i["reason"], conf, i["claimed_by"] or "-", json.dumps(rec.get("output")), json.dumps(rec.get("inputs"))[:80])
    console.print(table)
