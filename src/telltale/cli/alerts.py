"""``telltale alerts``: a service's alerts and deliveries, and the project's silences.

``telltale alerts list --service eta``, ``telltale alerts deliveries --service eta``,
``telltale alerts silence --service eta --family data --for 2h --by ana --comment "..."``,
``telltale alerts silences`` and ``telltale alerts expire <id>``; each against a store
(``--db``) or a server (``--server`` with ``--token``).
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

import typer

from telltale.cli._target import Failure, call, check_choice, opened, registered

_DB = typer.Option(None, "--db", help="Use the store directly (default sqlite:///telltale.db).")
_SERVER = typer.Option(None, "--server", help="Ask a telltale server instead, e.g. http://127.0.0.1:8000.")
_TOKEN = typer.Option(None, "--token", envvar="TELLTALE_TOKEN", help="Bearer token for --server.")
_PROJECT = typer.Option("default", "--project", help="The project (with --db).")
_JSON = typer.Option(False, "--json", help="Print JSON.")


def register(app: typer.Typer) -> None:
    sub = typer.Typer(help="Alerts, their deliveries, and silences.", no_args_is_help=True)
    app.add_typer(sub, name="alerts")

    @sub.command("list")
    def list_(service: str = typer.Option(..., "--service"), state: str = typer.Option("all", "--state", help="firing, resolved or all."),
              db: str | None = _DB, server: str | None = _SERVER, token: str | None = _TOKEN, project: str = _PROJECT,
              as_json: bool = _JSON) -> None:
        """Each alert of a service in its latest state, most recently changed first."""
        def local() -> dict[str, Any]:
            from telltale.alerts.notification import alert_to_dict

            with opened(db) as store:
                registered(store, project, service, db)
                return {"alerts": [alert_to_dict(a) for a in store.alerts(project, service, state=None if state == "all" else state)]}

        data = _run(db, server, local, lambda: call(server, token, "GET", f"/v1/services/{service}/alerts", params={"state": state}))
        _show(data["alerts"], as_json, lambda a: f"{a['state']:<8} {a['severity']:<8} {a['family']:<8} {a['fingerprint']}  {a['title']}",
              f"no alerts for {service}")

    @sub.command("deliveries")
    def deliveries(service: str = typer.Option(..., "--service"), since: str = typer.Option("-1d", "--since"),
                   db: str | None = _DB, server: str | None = _SERVER, token: str | None = _TOKEN, project: str = _PROJECT,
                   as_json: bool = _JSON) -> None:
        """Every delivery attempt to the service's receivers: when, to whom, the outcome."""
        def local() -> dict[str, Any]:
            from telltale.clock import SYSTEM_CLOCK
            from telltale.server.timeparse import to_epoch

            now = SYSTEM_CLOCK.now()
            try:
                t0 = to_epoch(since, now)
            except ValueError as e:
                raise Failure(str(e), 2) from None
            with opened(db) as store:
                registered(store, project, service, db)
                return {"deliveries": [d.to_dict() for d in store.alert_deliveries(project, service, t0, now + 1)]}

        data = _run(db, server, local, lambda: call(server, token, "GET", f"/v1/services/{service}/deliveries", params={"since": since}))
        _show(data["deliveries"], as_json,
              lambda d: f"{_t(d['at'])}  {d['receiver']:<12} {d['status']:<8} #{d['attempt']} {d['group_key']}"
                        + (f"  {d['error']}" if d["error"] else ""), f"no deliveries for {service}")

    @sub.command("silence")
    def silence(service: str | None = typer.Option(None, "--service"), family: str | None = typer.Option(None, "--family"),
                fingerprint: str | None = typer.Option(None, "--fingerprint"), incident: str | None = typer.Option(None, "--incident"),
                match: list[str] = typer.Option([], "--match", help="Another matcher, name=value (repeatable)."),
                duration: str = typer.Option(..., "--for", help="How long: 30m, 2h, 7d."),
                by: str = typer.Option(..., "--by", help="Who silences."), comment: str = typer.Option(..., "--comment", help="Why."),
                db: str | None = _DB, server: str | None = _SERVER, token: str | None = _TOKEN, project: str = _PROJECT,
                as_json: bool = _JSON) -> None:
        """Mute the alerts matching every given matcher until the silence expires."""
        matchers = {k: v for k, v in (("service", service), ("family", family), ("fingerprint", fingerprint), ("incident", incident)) if v}
        for m in match:
            name, sep, value = m.partition("=")
            if not sep:
                _fail(Failure(f"--match {m!r}: write name=value", 2))
            matchers[name.strip()] = value.strip()
        body = {"matchers": matchers, "duration": duration, "created_by": by, "comment": comment}

        def local() -> dict[str, Any]:
            from telltale.alerts import SilenceRequest, new_silence
            from telltale.alerts.duration import parse_duration
            from telltale.clock import SYSTEM_CLOCK

            try:
                s = new_silence(project, SilenceRequest(matchers, parse_duration(duration), by, comment), SYSTEM_CLOCK.now())
            except ValueError as e:
                raise Failure(str(e), 2) from None
            with opened(db) as store:
                store.put_silence(s)
            return s.to_dict()

        s = _run(db, server, local, lambda: call(server, token, "POST", "/v1/silences", json=body))
        typer.echo(json.dumps(s, indent=2) if as_json else f"silence {s['id']} until {_t(s['ends_at'])}: {_matchers(s)}")

    @sub.command("silences")
    def silences(db: str | None = _DB, server: str | None = _SERVER, token: str | None = _TOKEN, project: str = _PROJECT,
                 as_json: bool = _JSON) -> None:
        """The silences still running."""
        def local() -> dict[str, Any]:
            from telltale.clock import SYSTEM_CLOCK

            with opened(db) as store:
                return {"silences": [s.to_dict() for s in store.silences(project, now=SYSTEM_CLOCK.now())]}

        data = _run(db, server, local, lambda: call(server, token, "GET", "/v1/silences"))
        _show(data["silences"], as_json, lambda s: f"{s['id']}  until {_t(s['ends_at'])}  {_matchers(s)}  ({s['created_by']}: {s['comment']})",
              "no silences running")

    @sub.command("expire")
    def expire(silence_id: str = typer.Argument(...), db: str | None = _DB, server: str | None = _SERVER, token: str | None = _TOKEN,
               project: str = _PROJECT) -> None:
        """End a silence now."""
        def local() -> dict[str, Any]:
            with opened(db) as store:
                if not store.expire_silence(project, silence_id):
                    raise Failure(f"no running silence {silence_id!r} in project {project!r}", 2)
            return {"expired": silence_id}

        _run(db, server, local, lambda: call(server, token, "DELETE", f"/v1/silences/{silence_id}"))
        typer.echo(f"silence {silence_id} expired")


def _run(db: str | None, server: str | None, local, remote) -> Any:  # noqa: ANN001 - two thunks
    try:
        check_choice(db, server)
        return remote() if server else local()
    except Failure as e:
        _fail(e)


def _fail(e: Failure) -> None:
    typer.echo(f"error: {e}", err=True)
    raise typer.Exit(e.code)


def _show(items: list[dict[str, Any]], as_json: bool, line, empty: str) -> None:  # noqa: ANN001
    if as_json:
        typer.echo(json.dumps(items, indent=2))
        return
    if not items:
        typer.echo(empty)
    for item in items:
        typer.echo(line(item))


def _matchers(s: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted(s["matchers"].items()))


def _t(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
