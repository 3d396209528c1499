"""Issue 10.6: scopes, expiry, list and revoke (effective at once), per-token rates,
a cap on services, and a /metrics that shows a project only its own services."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from telltale.cli.main import app
from telltale.store import Store
from tests.conftest import EXAMPLE_SPEC
from tests.server.conftest import ServerHandle, start_server
from tests.server.helpers import eta_record

T0 = 1_767_225_600.0


def _token(db_url: str, project: str = "default", **kw: object) -> str:
    store = Store.open(db_url)
    try:
        return store.create_token(project, **kw)  # type: ignore[arg-type]
    finally:
        store.close()


def _status(srv: ServerHandle, token: str, method: str, path: str, **kw: object) -> int:
    with srv.client(token) as c:
        return c.request(method, path, **kw).status_code  # type: ignore[arg-type]


def test_each_scope_can_do_what_it_is_for_and_nothing_else(module_server: ServerHandle) -> None:
    db = module_server.db_url
    ingest, read = _token(db, scope="ingest", name="checkout service"), _token(db, scope="read")
    batch = {"records": [eta_record(1, T0, prefix="scope")]}
    spec = {"content": EXAMPLE_SPEC.read_bytes(), "headers": {"Content-Type": "application/yaml"}}
    control = {"json": {"mode": "normal", "reason": "test"}}
    table = {
        ("POST", "/v1/services/eta/predictions"): ({"json": batch}, 200, 403, 200),
        ("GET", "/v1/services/eta/control"): ({}, 200, 200, 200),
        ("GET", "/v1/services/eta/findings"): ({}, 403, 200, 200),
        ("GET", "/v1/services"): ({}, 403, 200, 200),
        ("PUT", "/v1/services/eta/spec"): (spec, 403, 403, 200),
        ("PUT", "/v1/services/eta/control"): (control, 403, 403, 200),
    }
    for (method, path), (kw, want_ingest, want_read, want_admin) in table.items():
        got = (_status(module_server, ingest, method, path, **kw), _status(module_server, read, method, path, **kw),
               _status(module_server, module_server.token, method, path, **kw))
        assert got == (want_ingest, want_read, want_admin), (method, path)
    with module_server.client(ingest) as c:
        detail = c.put("/v1/services/eta/spec", **spec).json()["detail"]  # type: ignore[arg-type]
    assert detail.startswith("token ") and detail.endswith(
        "has scope 'ingest', which cannot PUT /v1/services/eta/spec; this needs a admin token (`telltale token create --scope admin`)")


def test_expired_and_revoked_tokens_are_refused_within_a_second(module_server: ServerHandle) -> None:
    db = module_server.db_url
    soon = _token(db, expires_at=time.time() + 1.0)
    assert _status(module_server, soon, "GET", "/v1/services") == 200
    time.sleep(1.1)
    with module_server.client(soon) as c:
        resp = c.get("/v1/services")
    assert resp.status_code == 401 and resp.json()["detail"].endswith("is expired: create one with `telltale token create --project P`")

    doomed = _token(db, scope="read", name="old dashboard")
    assert _status(module_server, doomed, "GET", "/v1/services") == 200
    listed = CliRunner().invoke(app, ["token", "list", "--db", db], env={"COLUMNS": "250"})
    assert listed.exit_code == 0 and doomed not in listed.output  # ids only, never a token
    (row,) = [line for line in listed.output.splitlines() if "old dashboard" in line]
    token_id = row.split("│")[1].strip()
    assert len(token_id) == 12 and "active" in row
    revoked = CliRunner().invoke(app, ["token", "revoke", token_id, "--db", db])
    assert revoked.exit_code == 0 and revoked.output.strip() == f"revoked token {token_id} (read, project default)"
    t0 = time.perf_counter()
    with module_server.client(doomed) as c:
        resp = c.get("/v1/services")
    assert time.perf_counter() - t0 < 1.0
    assert resp.status_code == 401 and resp.json()["detail"] == f"bearer token {token_id} is revoked: create one with `telltale token create --project P`"
    again = CliRunner().invoke(app, ["token", "list", "--db", db, "--project", "default"], env={"COLUMNS": "250"})
    assert "revoked" in [line for line in again.output.splitlines() if token_id in line][0]


def test_a_token_over_its_rate_gets_429_with_retry_after(module_server: ServerHandle) -> None:
    slow = _token(module_server.db_url, scope="read", rate_per_s=1.0)  # burst of 2, then 1 a second
    with module_server.client(slow) as c:
        codes = [c.get("/v1/services").status_code for _ in range(3)]
        resp = c.get("/v1/services")
        assert codes == [200, 200, 429]
        assert resp.status_code == 429 and resp.headers["retry-after"] == "1"
        time.sleep(1.05)
        assert c.get("/v1/services").status_code == 200
    assert _status(module_server, module_server.token, "GET", "/v1/services") == 200  # others unaffected


@pytest.fixture(scope="module")
def limited_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerHandle]:
    """One server for the two tests of its options (starting one costs seconds)."""
    db = tmp_path_factory.mktemp("limited") / "telltale.db"
    h = start_server(f"sqlite:///{db}", extra_args=["--max-services", "2", "--metrics-token"])
    yield h
    h.stop()


def test_services_per_project_are_capped(limited_server: ServerHandle) -> None:
    srv = limited_server
    capped = _token(srv.db_url, project="capped")
    text = EXAMPLE_SPEC.read_text()
    with srv.client(capped) as c:
        codes = [c.put(f"/v1/services/s{i}/spec", content=text.replace("service: eta", f"service: s{i}")).status_code for i in range(3)]
        assert codes == [200, 200, 403]
        assert c.put("/v1/services/s1/spec", content=text.replace("service: eta", "service: s1")).status_code == 200  # replacing is fine
        detail = c.put("/v1/services/s9/spec", content=text.replace("service: eta", "service: s9")).json()["detail"]
    assert detail == "project 'capped' has 2 services, the limit (telltale serve --max-services 2); replace or remove one first"


def test_metrics_can_need_a_token_and_show_only_its_project(limited_server: ServerHandle) -> None:
    srv = limited_server
    other = _token(srv.db_url, project="fraud-team")
    other_reader = _token(srv.db_url, project="fraud-team", scope="read")
    text = EXAMPLE_SPEC.read_text()
    with srv.client() as c:
        c.put("/v1/services/eta/spec", content=text)
        c.post("/v1/services/eta/predictions", json={"records": [eta_record(1, T0)]})
    with srv.client(other) as c:
        c.put("/v1/services/card-fraud/spec", content=text.replace("service: eta", "service: card-fraud"))
        c.post("/v1/services/card-fraud/predictions", json={"records": [eta_record(1, T0)]})
    assert httpx.get(srv.url + "/metrics").status_code == 401
    with srv.client() as c:
        mine = c.get("/metrics").text
    with srv.client(other_reader) as c:
        theirs = c.get("/metrics").text
    assert 'telltale_records_ingested_total{project="default",service="eta"} 1.0' in mine
    assert "card-fraud" not in mine and "fraud-team" not in mine
    assert 'telltale_records_ingested_total{project="fraud-team",service="card-fraud"} 1.0' in theirs
    assert 'service="eta"' not in theirs and 'project="default"' not in theirs
    assert "telltale_http_requests_total" in theirs  # server-wide series (routes, not names) stay


def test_cli_token_create_scopes_and_refuses_a_missing_default_db(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    missing = CliRunner().invoke(app, ["token", "create", "--project", "p"])
    assert missing.exit_code == 1 and not (tmp_path / "telltale.db").exists()
    assert "no database at telltale.db: start the server first" in missing.output
    db = f"sqlite:///{tmp_path / 'given.db'}"
    made = CliRunner().invoke(app, ["token", "create", "--project", "p", "--db", db, "--scope", "ingest", "--expires-in", "30d", "--rate", "50"])
    assert made.exit_code == 0, made.output
    store = Store.open(db)
    try:
        info = store.token_info(made.stdout.strip().splitlines()[0])
    finally:
        store.close()
    assert info is not None and (info.scope, info.rate_per_s) == ("ingest", 50.0)
    assert info.expires_at is not None and abs(info.expires_at - time.time() - 30 * 86400) < 60
    bad = CliRunner().invoke(app, ["token", "create", "--project", "p", "--db", db, "--scope", "root"])
    assert bad.exit_code == 1 and "token scope must be one of ingest, read, admin, got 'root'" in bad.output
