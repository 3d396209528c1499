"""Shared fixtures: real SQLite files, a real PostgreSQL server, an injected clock.

PostgreSQL comes from ``scripts/test``, which starts a throwaway server and exports
``TELLTALE_TEST_PG_URL`` (an admin URL). Each test that asks for ``pg_url`` gets a fresh
database of its own, dropped afterwards. Under CI a missing server is a failure, never
a silent skip.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from telltale.clock import ManualClock
from telltale.spec import ServiceSpec, load_spec

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE_SPEC = ROOT / "examples" / "eta" / "telltale.yaml"


def _pg_admin_url() -> str | None:
    url = os.environ.get("TELLTALE_TEST_PG_URL")
    if not url and os.environ.get("CI"):
        pytest.fail("TELLTALE_TEST_PG_URL is not set under CI: run the tests through scripts/test, which starts PostgreSQL")
    return url


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A SQLAlchemy URL (postgresql+psycopg://) to a fresh, empty database."""
    admin = _pg_admin_url()
    if not admin:
        pytest.skip("no PostgreSQL: run through scripts/test to start one")
    import psycopg

    name = f"tt_{uuid.uuid4().hex[:12]}"
    plain = admin.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base, _, _ = admin.rpartition("/")
    yield f"{base}/{name}"
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'telltale.db'}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Runs the test once on a SQLite file and once on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'telltale.db'}"
    return request.getfixturevalue("pg_url")


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(start=1_767_225_600.0)  # 2026-01-01T00:00:00Z


@pytest.fixture
def eta_spec() -> ServiceSpec:
    """The complete example spec shipped in examples/eta."""
    return load_spec(EXAMPLE_SPEC)
