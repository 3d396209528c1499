"""Issue 10.8, as a new user meets it: read-only commands never create a database,
``--server`` finds the token ``telltale serve`` saved, piped tables stay on one line a
row, and ``check`` lists problems in line order."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from telltale.cli.main import app
from telltale.store import Store
from tests.server.conftest import ServerHandle


def test_findings_on_a_missing_database_refuses_and_creates_nothing(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["findings", "--service", "eta"], env={"COLUMNS": "250"})
    assert result.exit_code == 1
    assert "no database at telltale.db: start the server first (`telltale serve --db sqlite:///telltale.db`)" in result.output
    assert list(tmp_path.iterdir()) == []
    listed = CliRunner().invoke(app, ["token", "list", "--db", f"sqlite:///{tmp_path / 'other.db'}"])
    assert listed.exit_code == 1 and not (tmp_path / "other.db").exists()


def test_server_commands_use_the_token_serve_saved(module_server: ServerHandle, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TELLTALE_TOKEN", raising=False)
    asked = CliRunner().invoke(app, ["findings", "--service", "eta", "--server", module_server.url], env={"COLUMNS": "250"})
    assert asked.exit_code == 2
    assert f"none given and none saved in {Path('telltale.db.token')}" in asked.output
    Path("telltale.db.token").write_text(module_server.token + "\n")  # as `telltale serve` leaves it beside its db
    found = CliRunner().invoke(app, ["findings", "--service", "eta", "--server", module_server.url, "--json"])
    assert found.exit_code == 0, found.output
    assert '"incidents"' in found.output  # stored findings, grouped as incidents


def test_piped_tables_are_wide(sqlite_url: str, monkeypatch) -> None:
    store = Store.open(sqlite_url)
    try:
        store.create_token("default", scope="read", name="a dashboard with a rather long descriptive name")
    finally:
        store.close()
    monkeypatch.delenv("COLUMNS", raising=False)
    result = CliRunner().invoke(app, ["token", "list", "--db", sqlite_url])  # stdout is not a terminal here
    assert result.exit_code == 0
    (row,) = [line for line in result.output.splitlines() if "rather long" in line]
    assert "a dashboard with a rather long descriptive name" in row and "active" in row


def test_check_lists_problems_in_line_order(tmp_path: Path) -> None:
    spec = tmp_path / "telltale.yaml"
    # the readiness gate finds the blank (line 4) before the empty owners (line 2)
    spec.write_text("service: a\nowners: {}\ninputs:\n  x: {type: float, description: FILL_ME}\nowner: team\n")
    result = CliRunner().invoke(app, ["check", str(spec)], env={"COLUMNS": "250"})
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.startswith(str(spec))]
    numbers = [int(line.split(":")[1].split()[0]) if line[len(str(spec))] == ":" else 10**9 for line in lines]
    assert numbers[:2] == [2, 4] and numbers == sorted(numbers), lines
