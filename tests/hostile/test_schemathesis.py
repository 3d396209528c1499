"""Issue 10, must show: schemathesis against the running server, with a valid token and
every default check on (server errors, status codes, content types, response schemas
and headers, negative data rejection, positive data acceptance, ignored auth, ...):
zero failures. Bounded: ten examples per operation, a fixed seed, one worker."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from tests.server.conftest import ServerHandle

CONFIG = Path(__file__).with_name("schemathesis.toml")


@pytest.mark.slow
@pytest.mark.timeout(240)
def test_schemathesis_finds_nothing(server_factory, sqlite_url: str, eta_spec_path: Path) -> None:
    srv: ServerHandle = server_factory(sqlite_url, specs=[eta_spec_path])
    cli = Path(sys.executable).with_name("schemathesis")
    result = subprocess.run(
        [str(cli), "--no-color", "--config-file", str(CONFIG), "run", srv.url + "/openapi.json",
         "-H", f"Authorization: Bearer {srv.token}", "--max-examples", "10", "--workers", "1", "--seed", "1",
         "--request-timeout", "20"],
        capture_output=True, text=True, timeout=220,
    )
    out = result.stdout + result.stderr
    assert result.returncode == 0, out[-6000:]
    assert "failures" not in out.splitlines()[-1], out[-3000:]
    with urllib.request.urlopen(srv.url + "/openapi.json") as resp:  # every operation the server documents
        n = sum(len(ops) for ops in json.load(resp)["paths"].values())
    assert n >= 24 and f"Selected: {n}/{n}" in out and f"Tested: {n}" in out, out[-3000:]
