"""``telltale alerts`` against a store file: list, silence, silences, expire."""

from __future__ import annotations

from typer.testing import CliRunner

from telltale.alerts import enqueue
from telltale.cli.main import app
from telltale.store import Store
from tests.alerts.helpers import alert, spec_with


def test_list_silence_and_expire_against_a_store(sqlite_url):
    store = Store.open(sqlite_url)
    store.put_service("default", spec_with({}, {}))
    enqueue(store, "default", alert("eta/unit", title="prep_time_s looks like ms"))
    store.close()
    run = CliRunner().invoke
    r = run(app, ["alerts", "list", "--service", "eta", "--db", sqlite_url])
    assert r.exit_code == 0 and r.output == "firing   critical data     eta/unit  prep_time_s looks like ms\n"
    r = run(app, ["alerts", "silence", "--service", "eta", "--family", "data", "--for", "2h", "--by", "ana",
                  "--comment", "feed migration", "--db", sqlite_url])
    assert r.exit_code == 0, r.output
    sid = r.output.split()[1]
    assert r.output.endswith(": family=data, service=eta\n")
    r = run(app, ["alerts", "silences", "--db", sqlite_url])
    assert r.output.startswith(f"{sid}  until ") and r.output.endswith("family=data, service=eta  (ana: feed migration)\n")
    assert run(app, ["alerts", "expire", sid, "--db", sqlite_url]).output == f"silence {sid} expired\n"
    assert run(app, ["alerts", "silences", "--db", sqlite_url]).output == "no silences running\n"
    bad = run(app, ["alerts", "silence", "--service", "eta", "--for", "soon", "--by", "ana", "--comment", "x", "--db", sqlite_url])
    assert bad.exit_code == 2 and "'soon' is not a duration; use seconds or a number with s, m, h, d or w" in bad.output
    both = run(app, ["alerts", "list", "--service", "eta", "--db", sqlite_url, "--server", "http://127.0.0.1:9"])
    assert both.exit_code == 2 and "give --db or --server, not both" in both.output
