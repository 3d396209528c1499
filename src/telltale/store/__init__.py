"""Where records, minute profiles, specs, tokens and control modes live.

A SQLite file (WAL mode) by default, PostgreSQL when shared; one schema in SQLAlchemy
Core, migrated by Alembic when the store opens. Imported lazily by the guard's sinks and
the server, never by ``import telltale``.
"""

from telltale.store.store import Store, WriteResult

__all__ = ["Store", "WriteResult"]
