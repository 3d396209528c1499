"""Bulk statements through the driver, for write paths that handle thousands of rows a batch.

SQLAlchemy Core builds parameters row by row (several microseconds each); on a path that
writes three rows per feedback event that is most of the cost, so these helpers hand
plain SQL and tuples to the DB-API ``executemany`` / ``execute``. SQL is written with
``?`` placeholders and rewritten to ``%s`` for psycopg. Only for statements both engines
spell alike (``ON CONFLICT ... DO NOTHING / DO UPDATE SET x = excluded.x``).
"""

from __future__ import annotations

import json
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


def execute(conn: Connection, sql: str, params: tuple[Any, ...]) -> None:
    """One plain-SQL statement (``?`` placeholders) through the driver, no rows read."""
    conn.exec_driver_sql(_sql(conn, sql), params)


def query(conn: Connection, sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
    """All rows of one plain-SQL query (``?`` placeholders) through the driver."""
    return list(conn.exec_driver_sql(_sql(conn, sql), params).fetchall())


def select_in(conn: Connection, sql: str, params: tuple[Any, ...], values: Sequence[Any]) -> Iterator[tuple[Any, ...]]:
    """Rows of ``sql`` (ending in ``IN ({in})``) for ``values``, CHUNK at a time; ``params`` go before them."""
    for i in range(0, len(values), CHUNK):
        part = values[i:i + CHUNK]
        text = _sql(conn, sql.format(in_=",".join("?" * len(part))))
        yield from conn.exec_driver_sql(text, (*params, *part))


def id_rows(conn: Connection, sql: str, params_before: tuple[Any, ...], ids: Sequence[str],
            params_after: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Rows of ``sql``, whose ``{ids}`` is a one-column table ``i(value)`` of ``ids``: one
    statement and one bound parameter for any number of ids (SQLite's ``json_each`` of a
    JSON array, PostgreSQL's ``unnest`` of a text array), so a batch joins as one query
    rather than one per id or per chunk of an ``IN`` list. Write inner joins against it as
    ``{ids} CROSS JOIN t WHERE ...``: SQLite then keeps ``i`` as the outer loop and probes
    ``t`` by its index (with ``JOIN ... ON`` it may scan ``t`` instead)."""
    if not ids:
        return []
    arg: list[str] | str
    if conn.dialect.name == "postgresql":
        table, arg = "unnest(CAST(? AS text[])) AS i(value)", list(ids)
    else:
        table, arg = "json_each(?) AS i", json.dumps(list(ids))
    return list(conn.exec_driver_sql(_sql(conn, sql.format(ids=table)), (*params_before, arg, *params_after)).fetchall())
