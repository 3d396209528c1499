"""The store's tables, in SQLAlchemy Core: one schema for SQLite and PostgreSQL.

Everything is scoped by ``project``: a token belongs to one project and every query
filters on it, so one project can never read or change another's rows. Records keep
their whole JSON form in ``payload`` (read back as :class:`PredictionRecord`) beside the
few columns queries filter on. Minute profiles are opaque bytes from
``Profile.to_bytes()``, merged in Python under a row lock.
"""

from __future__ import annotations

import sqlalchemy as sa

from telltale.wire import MAX_ID_LEN as _MAX_ID_LEN

metadata = sa.MetaData()

#: Longest record id accepted (declared with the record's wire schema).
MAX_ID_LEN = _MAX_ID_LEN

projects = sa.Table(
    "tt_projects",
    metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("created_at", sa.Double, nullable=False),
)

tokens = sa.Table(
    "tt_tokens",
    metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True, comment="sha256 hex of the token; the plaintext is never stored"),
    sa.Column("project", sa.String(64), sa.ForeignKey("tt_projects.name"), nullable=False, index=True),
    sa.Column("created_at", sa.Double, nullable=False),
)

services = sa.Table(
    "tt_services",
    metadata,
    sa.Column("project", sa.String(64), sa.ForeignKey("tt_projects.name"), primary_key=True),
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("spec_json", sa.Text, nullable=False),
    sa.Column("updated_at", sa.Double, nullable=False),
)

predictions = sa.Table(
    "tt_predictions",
    metadata,
    sa.Column("project", sa.String(64), primary_key=True),
    sa.Column("id", sa.String(MAX_ID_LEN), primary_key=True, comment="unique per (project, service) since migration 0002"),
    sa.Column("service", sa.String(64), primary_key=True),
    sa.Column("ts", sa.Double, nullable=False),
    sa.Column("model_version", sa.String(128)),
    sa.Column("source", sa.String(32), nullable=False),
    sa.Column("n_violations", sa.Integer, nullable=False),
    sa.Column("payload", sa.Text, nullable=False, comment="PredictionRecord.to_dict() as JSON"),
    sa.Index("ix_tt_predictions_service_ts", "project", "service", "ts"),
)

minute_profiles = sa.Table(
    "tt_minute_profiles",
    metadata,
    sa.Column("project", sa.String(64), primary_key=True),
    sa.Column("service", sa.String(64), primary_key=True),
    sa.Column("model_version", sa.String(128), primary_key=True, comment="'' when the records carry none"),
    sa.Column("minute", sa.BigInteger, primary_key=True, comment="epoch seconds of the minute's start"),
    sa.Column("n", sa.BigInteger, nullable=False),
    sa.Column("data", sa.LargeBinary, nullable=True, comment="Profile.to_bytes(); null only inside the inserting transaction"),
)

references = sa.Table(
    "tt_references",
    metadata,
    sa.Column("project", sa.String(64), primary_key=True),
    sa.Column("service", sa.String(64), primary_key=True),
    sa.Column("data", sa.LargeBinary, nullable=False),
    sa.Column("updated_at", sa.Double, nullable=False),
)

controls = sa.Table(
    "tt_controls",
    metadata,
    sa.Column("project", sa.String(64), primary_key=True),
    sa.Column("service", sa.String(64), primary_key=True),
    sa.Column("mode", sa.String(16), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("updated_at", sa.Double, nullable=False),
)
