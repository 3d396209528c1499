"""Helpers for the recording tests: records, a sink that hangs, a database that comes up late."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.record.helpers import HangingSink


@pytest.fixture
def hanging_sink() -> Iterator[HangingSink]:
    sink = HangingSink()
    yield sink
    sink.release()


@pytest.fixture
def late_db(db_url: str, tmp_path: Path) -> Iterator[tuple[str, object]]:
    """(url, bring_up): a database URL that does not answer until ``bring_up()`` is called.

    SQLite: a file under a path whose directory is blocked by a plain file until brought
    up. PostgreSQL: a database that is created only when brought up. Both are real
    "store down" conditions for the driver.
    """
    if db_url.startswith("sqlite"):
        blocker = tmp_path / "later"
        blocker.write_text("not a directory")
        yield f"sqlite:///{blocker / 'telltale.db'}", blocker.unlink
        return
    import psycopg

    base, _, name = db_url.rpartition("/")
    late = f"{name}_late"
    admin = base.replace("postgresql+psycopg://", "postgresql://") + "/postgres"

    def bring_up() -> None:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{late}"')

    yield f"{base}/{late}", bring_up
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{late}" WITH (FORCE)')
