"""Engines for the two supported databases, and migrations to head on open.

SQLite runs in WAL mode (readers never block the writer) with a busy timeout, and every
write transaction starts with ``BEGIN IMMEDIATE`` so two writers queue on the lock
instead of failing on a read-to-write upgrade. PostgreSQL goes through psycopg 3; its
migrations hold an advisory lock so that replicas starting together migrate once.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.pool import StaticPool

from telltale.errors import StoreError
from telltale.extras import require

#: How long a SQLite writer waits for the lock before giving up (ms). Generous: a
#: writer that waits is better than a batch that fails and must be spilled.
SQLITE_BUSY_TIMEOUT_MS = 30_000
_MIGRATION_LOCK_ID = 7_451_022_913  # pg_advisory_xact_lock key for telltale migrations
_WRITE = "telltale_write"

#: Set on every SQLite connection (SQLite keeps them per connection, not in the file).
SQLITE_PRAGMAS: tuple[str, ...] = (
    "journal_mode=WAL",
    f"busy_timeout={SQLITE_BUSY_TIMEOUT_MS}",
    "synchronous=NORMAL",  # durable across process crashes in WAL mode
    "foreign_keys=ON",
    # 32 MiB of page cache (the default is 2 MiB): the primary-key probes of a batch of
    # feedback or records land on random index pages, which a million-row table no longer
    # keeps in 2 MiB; the cache grows only as pages are read (bench/feedback_join.py)
    "cache_size=-32768",
    # checkpoint the WAL every 50,000 pages (200 MiB) rather than 1,000: a write batch of
    # random index inserts dirties about a page per row, and each checkpoint copies those
    # pages into the database and syncs it, so frequent checkpoints write the same pages
    # over and over; durability is the same, and the file shrinks back to 64 MiB after a
    # checkpoint (bench/feedback_join.py)
    "wal_autocheckpoint=50000",
    "journal_size_limit=67108864",
)


def make_engine(url: str) -> Engine:
    """An engine for ``sqlite:///path`` or ``postgresql+psycopg://...``; raises StoreError otherwise."""
    try:
        u = make_url(url)
    except sa.exc.ArgumentError:
        raise StoreError(f"store URL {url!r} is not a database URL; use sqlite:///path/telltale.db or postgresql+psycopg://user@host/db") from None
    backend = u.get_backend_name()
    if backend == "sqlite":
        return _sqlite_engine(u)
    if backend == "postgresql":
        require("postgres", what=f"the PostgreSQL store {safe_url(url)}")
        if u.get_driver_name() != "psycopg":
            u = u.set(drivername="postgresql+psycopg")
        return sa.create_engine(u, pool_pre_ping=True, pool_size=10, max_overflow=20)
    raise StoreError(f"store URL {safe_url(url)!r} uses {backend!r}; telltale supports sqlite:/// and postgresql+psycopg://")


def _sqlite_engine(u: sa.URL) -> Engine:
    db = u.database
    kwargs: dict[str, Any] = {"connect_args": {"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}}
    if not db or db == ":memory:":
        kwargs["poolclass"] = StaticPool  # one shared connection, or each would see its own empty db
    else:
        Path(db).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(u, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves (see _on_begin)
        cur = dbapi_conn.cursor()
        for pragma in SQLITE_PRAGMAS:
            cur.execute(f"PRAGMA {pragma}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get(_WRITE) else "BEGIN")

    return engine


#: Errors that mean the database is down, unreachable or busy beyond the timeout,
#: as opposed to a bug in a statement: they become StoreError so callers can retry.
_UNAVAILABLE = (sa.exc.OperationalError, sa.exc.InterfaceError)


@contextmanager
def write_tx(engine: Engine) -> Iterator[Connection]:
    """A write transaction: committed on exit, rolled back on error."""
    try:
        with engine.connect() as conn:
            conn.execution_options(**{_WRITE: True})
            with conn.begin():
                yield conn
    except _UNAVAILABLE as e:
        raise StoreError(f"the store at {safe_url(str(engine.url))} failed a write: {first_line(e)}") from e


@contextmanager
def read_tx(engine: Engine) -> Iterator[Connection]:
    try:
        with engine.connect() as conn, conn.begin():
            yield conn
    except _UNAVAILABLE as e:
        raise StoreError(f"the store at {safe_url(str(engine.url))} does not answer: {first_line(e)}") from e


def first_line(e: BaseException) -> str:
    """The driver's own message, first line only (SQLAlchemy appends a long footer)."""
    return str(getattr(e, "orig", None) or e).strip().splitlines()[0]


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision (a no-op when it is already there)."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).with_name("migrations")))
    with write_tx(engine) as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _MIGRATION_LOCK_ID})
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "heads")  # parallel features may each add a head off the same base


def safe_url(url: str | sa.URL) -> str:
    """The URL with any password hidden, for messages and logs."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except sa.exc.ArgumentError:
        return str(url)  # only a string fails to parse
