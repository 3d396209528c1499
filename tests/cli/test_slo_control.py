"""`telltale slo`, `telltale control set` and `telltale control show` on a real store."""

from __future__ import annotations

import json
import time

import pytest
from typer.testing import CliRunner

from telltale.cli.main import app
from telltale.policy import tick
from telltale.store import Store
from tests.guard.conftest import make_spec
from tests.policy.test_rules import _record


@pytest.fixture
def db(sqlite_url):
    store = Store.open(sqlite_url)
    store.put_service("default", make_spec(slos=[{"name": "errors", "indicator": "error_rate", "objective": 0.99}]))
    start = (time.time() // 60 - 10) * 60  # ten closed minutes before now
    store.write_predictions("default", [_record(m * 20 + j, start + 60 * m + j, j == 0) for m in range(10) for j in range(20)])
    tick(store, start + 600, notify=lambda p, a: None)
    store.close()
    return sqlite_url


def test_slo_prints_the_budget(db):
    r = CliRunner().invoke(app, ["slo", "--service", "eta", "--db", db, "--json"])
    assert r.exit_code == 0, r.output
    (s,) = json.loads(r.output)["slos"]
    assert (s["name"], s["events"], s["bad_events"], s["status"]) == ("errors", 200.0, 10.0, "ticket")
    table = CliRunner().invoke(app, ["slo", "--service", "eta", "--db", db], env={"COLUMNS": "200"})
    assert "budget left" in table.output and "-400.0%" in table.output and "ticket" in table.output


def test_slo_needs_a_registered_service(db):
    r = CliRunner().invoke(app, ["slo", "--service", "nope", "--db", db])
    assert r.exit_code == 2 and "service 'nope' is not registered in project 'default'" in r.output


def test_control_set_and_show(db):
    r = CliRunner().invoke(app, ["control", "set", "rollback", "--service", "eta", "--reason", "bad deploy", "--by", "ana", "--db", db])
    assert r.exit_code == 0 and r.output.strip() == "eta: mode rollback (by person:ana: bad deploy)"
    r = CliRunner().invoke(app, ["control", "show", "--service", "eta", "--db", db])
    lines = r.output.strip().splitlines()
    assert lines[0] == "eta: mode rollback (bad deploy), set by person:ana"
    assert lines[1].endswith("normal -> rollback  by person:ana: bad deploy")
    bad = CliRunner().invoke(app, ["control", "set", "panic", "--service", "eta", "--reason", "x", "--db", db])
    assert bad.exit_code == 2 and "mode must be one of canary_stopped, fallback, normal, review, rollback, got 'panic'" in bad.output
