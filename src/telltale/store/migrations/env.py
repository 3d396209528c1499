"""Alembic environment: always online, on the connection ``Store.open`` hands over."""

from __future__ import annotations

from alembic import context

from telltale.store.schema import metadata

_connection = context.config.attributes.get("connection")
if _connection is None:
    raise RuntimeError("telltale's migrations run from Store.open(url), which passes a connection; use that")

context.configure(connection=_connection, target_metadata=metadata, render_as_batch=_connection.dialect.name == "sqlite")
with context.begin_transaction():
    context.run_migrations()
