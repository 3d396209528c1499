"""Bulk statements through the driver, for write paths that handle thousands of rows a batch.

SQLAlchemy Core builds parameters row by row (several microseconds each); on a path that
writes three rows per feedback event that is most of the cost, so these helpers hand
plain SQL and tuples to the DB-API ``executemany`` / ``execute``. SQL is written with
``?`` placeholders and rewritten to ``%s`` for psycopg. Only for statements both engines
spell alike (``ON CONFLICT ... DO NOTHING / DO UPDATE SET x = excluded.x``).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy.engine import Connection

CHUNK = 500  # values per IN (...) list: well under SQLite's bound-parameter limit


def _sql(conn: Connection, sql: str) -> str:
    return sql.replace("?", "%s") if conn.dialect.name == "postgresql" else sql


def many(conn: Connection, sql: str, rows: Sequence[tuple[Any, ...]]) -> None:
    """``executemany`` of ``sql`` over ``rows`` (nothing when there are none)."""
    if rows:
        conn.exec_driver_sql(_sql(conn, sql), list(rows))


def select_in(conn: Connection, sql: str, params: tuple[Any, ...], values: Sequence[Any]) -> Iterator[tuple[Any, ...]]:
    """Rows of ``sql`` (ending in ``IN ({in})``) for ``values``, CHUNK at a time; ``params`` go before them."""
    for i in range(0, len(values), CHUNK):
        part = values[i:i + CHUNK]
        text = _sql(conn, sql.format(in_=",".join("?" * len(part))))
        yield from conn.exec_driver_sql(text, (*params, *part))
