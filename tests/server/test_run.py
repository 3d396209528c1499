"""What the server does before it serves: register specs with their reference, keep a token."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console

from telltale.errors import SpecError
from telltale.profile import Profile
from telltale.server.run import ensure_token, register_spec
from telltale.store import Store
from telltale.types import PredictionRecord
from tests.conftest import EXAMPLE_SPEC
from tests.server.helpers import eta_inputs


@pytest.fixture
def store(sqlite_url: str) -> Store:
    s = Store.open(sqlite_url)
    yield s
    s.close()


def write_spec(tmp_path: Path, reference: str | None) -> Path:
    text = EXAMPLE_SPEC.read_text()
    if reference:
        text += f"\nreference: {reference}\n"
    path = tmp_path / "specs" / "telltale.yaml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(text)
    return path


def test_register_spec_loads_the_reference_beside_it(store: Store, tmp_path: Path, eta_spec) -> None:
    spec_path = write_spec(tmp_path, "telltale.reference.profile")
    ref = Profile.from_records(eta_spec, [PredictionRecord(id=str(i), service="eta", ts=0.0, inputs=eta_inputs(i)) for i in range(123)])
    (spec_path.parent / "telltale.reference.profile").write_bytes(ref.to_bytes())
    out = io.StringIO()
    assert register_spec(store, "default", spec_path, Console(file=out)) == "eta"
    assert store.get_reference("default", "eta").n == 123
    assert out.getvalue() == ""


def test_a_missing_reference_warns_but_registers(store: Store, tmp_path: Path) -> None:
    spec_path = write_spec(tmp_path, "gone.profile")
    out = io.StringIO()
    register_spec(store, "default", spec_path, Console(file=out, width=300))
    assert store.get_service("default", "eta").service == "eta"
    assert store.get_reference("default", "eta") is None
    assert "reference 'gone.profile' not loaded" in out.getvalue() and "drift checks need it" in out.getvalue()


def test_a_bad_spec_raises_located_problems(store: Store, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("service: eta\nowner: me\ninputs: {}\n")
    with pytest.raises(SpecError, match=r"bad.yaml:3 inputs: .*at least one input"):
        register_spec(store, "default", bad, Console(file=io.StringIO()))


def test_ensure_token_for_postgres_prints_one_only_when_none_exists(pg_url: str) -> None:
    store = Store.open(pg_url)
    try:
        first = ensure_token(store, "default", pg_url)
        token = first.split()[0]
        assert store.project_for_token(token) == "default" and "shown this once" in first
        again = ensure_token(store, "default", pg_url)
        assert "has tokens already" in again and "tt_" not in again
        assert store.count_tokens("default") == 1
    finally:
        store.close()
