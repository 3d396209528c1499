"""``telltale serve``, ``telltale token create`` and ``telltale findings`` as a user runs them."""

from __future__ import annotations

import json
import os
import re
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from telltale.cli.main import app
from telltale.store import Store
from telltale.types import PredictionRecord
from tests.conftest import EXAMPLE_SPEC
from tests.server.conftest import free_port, start_server
from tests.server.helpers import eta_inputs

T0 = 1_767_225_600.0
TELLTALE = str(Path(sys.executable).with_name("telltale"))


def run_serve(db: str, port: int, *extra: str) -> subprocess.Popen:
    """Start `telltale serve` and wait until /healthz answers."""
    env = {**os.environ, "COLUMNS": "250", "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([TELLTALE, "serve", "--db", db, "--port", str(port), *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"telltale serve did not come up:\n{proc.stdout.read()}")
        time.sleep(0.05)
    return proc


def stop(proc: subprocess.Popen) -> str:
    proc.send_signal(signal.SIGINT)
    try:
        out, _ = proc.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
    return out


def test_serve_prints_db_url_and_a_token_it_keeps(tmp_path: Path) -> None:
    db_file = tmp_path / "data" / "telltale.db"
    db = f"sqlite:///{db_file}"
    port = free_port()
    proc = run_serve(db, port, "--spec", str(EXAMPLE_SPEC))
    try:
        page = httpx.get(f"http://127.0.0.1:{port}/")
        assert page.status_code == 200 and "<title>telltale</title>" in page.text
    finally:
        out = stop(proc)
    assert str(db_file) in out
    assert f"http://127.0.0.1:{port}" in out
    (token,) = re.findall(r"tt_[A-Za-z0-9_-]{40,}", out)
    token_file = Path(str(db_file) + ".token")
    assert token_file.read_text().strip() == token
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    store = Store.open(db)
    try:
        assert store.project_for_token(token) == "default"
        assert [s.service for s in store.list_services("default")] == ["eta"]
    finally:
        store.close()

    proc = run_serve(db, port)  # a second start uses the saved token but never prints it
    try:
        resp = httpx.get(f"http://127.0.0.1:{port}/v1/services", headers={"Authorization": f"Bearer {token}"})
        assert [s["service"] for s in resp.json()["services"]] == ["eta"]
    finally:
        out = stop(proc)
    assert re.findall(r"tt_[A-Za-z0-9_-]{40,}", out) == []
    assert f"saved in {token_file} (not shown again" in out


def test_serve_refuses_a_bad_spec_naming_line_and_key(tmp_path: Path) -> None:
    bad = tmp_path / "telltale.yaml"
    bad.write_text(EXAMPLE_SPEC.read_text().replace("range: [0, 7200]", "range: [7200, 0]"))
    result = subprocess.run([TELLTALE, "serve", "--db", f"sqlite:///{tmp_path / 'x.db'}", "--port", str(free_port()), "--spec", str(bad)],
                            capture_output=True, text=True, timeout=60, env={**os.environ, "COLUMNS": "250"})
    assert result.returncode == 2
    assert f"{bad}:17 inputs.prep_time_s.range: min 7200 is greater than max 0" in result.stdout


def test_token_create_prints_a_token_for_the_project(sqlite_url: str) -> None:
    result = CliRunner().invoke(app, ["token", "create", "--project", "fraud-team", "--db", sqlite_url])
    assert result.exit_code == 0, result.output
    token = result.stdout.strip().splitlines()[0]
    store = Store.open(sqlite_url)
    try:
        assert store.project_for_token(token) == "fraud-team"
    finally:
        store.close()


@pytest.fixture
def unit_switch_db(sqlite_url: str, eta_spec) -> str:
    """Ten minutes of ETA records; prep_time_s turns into milliseconds at minute 5."""
    store = Store.open(sqlite_url)
    store.put_service("default", eta_spec)
    records = []
    for i in range(600):
        inputs = eta_inputs(i)
        if i >= 300:
            inputs["prep_time_s"] *= 1000
        records.append(PredictionRecord(id=f"u{i}", service="eta", ts=T0 + i, inputs=inputs, output=20.0))
    store.write_predictions("default", records)
    store.close()
    return sqlite_url


def test_findings_from_the_store(unit_switch_db: str) -> None:
    args = ["findings", "--service", "eta", "--db", unit_switch_db, "--since", "2026-01-01T00:00:00Z", "--until", str(T0 + 600), "--window", "300"]
    result = CliRunner().invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    units = [f for f in data["findings"] if f["kind"] == "unit"]
    assert [(f["feature"], f["window"]["start"]) for f in units] == [("prep_time_s", "2026-01-01T00:05:00+00:00")]
    assert data["windows"] == 2

    table = CliRunner().invoke(app, args, env={"COLUMNS": "250"})
    assert table.exit_code == 0
    assert "prep_time_s looks like milliseconds" in table.stdout and "2026-01-01T00:10:00Z" in table.stdout


def test_findings_from_a_server(unit_switch_db: str) -> None:
    server = start_server(unit_switch_db)
    try:
        args = ["findings", "--service", "eta", "--server", server.url, "--since", str(T0), "--until", str(T0 + 600), "--window", "300", "--json"]
        result = CliRunner().invoke(app, [*args, "--token", server.token])
        assert result.exit_code == 0, result.output
        assert any(f["kind"] == "unit" and f["feature"] == "prep_time_s" for f in json.loads(result.stdout)["findings"])
        denied = CliRunner().invoke(app, [*args, "--token", "tt_wrong"])
        assert denied.exit_code == 2 and "401" in denied.output
        missing = CliRunner().invoke(app, ["findings", "--service", "nope", "--server", server.url, "--token", server.token])
        assert missing.exit_code == 2 and "'nope' is not registered" in missing.output
    finally:
        server.stop()


def test_findings_for_an_unknown_service_says_how_to_register(sqlite_url: str) -> None:
    Store.open(sqlite_url).close()  # the store exists (findings never creates one)
    result = CliRunner().invoke(app, ["findings", "--service", "nope", "--db", sqlite_url], env={"COLUMNS": "250"})
    assert result.exit_code == 2
    assert "'nope' is not registered" in result.output and "telltale serve --spec" in result.output
