"""Dialect-aware statements both engines understand: insert-or-ignore and upsert."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection


def _insert(conn: Connection, table: sa.Table) -> Any:
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table)
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(table)


def dialect_insert(conn: Connection, table: sa.Table) -> Any:
    """The dialect's ``INSERT`` for ``table`` (it has ``on_conflict_do_*``): for statements the helpers here do not cover."""
    return _insert(conn, table)


def insert_ignore(conn: Connection, table: sa.Table, keys: Sequence[str]) -> Any:
    """``INSERT ... ON CONFLICT (keys) DO NOTHING`` for ``table``."""
    return _insert(conn, table).on_conflict_do_nothing(index_elements=list(keys))


def upsert(conn: Connection, table: sa.Table, keys: Sequence[str], values: Mapping[str, Any]) -> None:
    """Insert ``values`` or, when a row with the same ``keys`` exists, overwrite the rest."""
    stmt = _insert(conn, table).values(**values)
    rest = {k: stmt.excluded[k] for k in values if k not in keys}
    conn.execute(stmt.on_conflict_do_update(index_elements=list(keys), set_=rest))
