"""Tokens get a scope, a name, an expiry, a revocation time and a rate limit.

Tokens made before this migration keep the access they had: scope ``admin``.

Revision ID: 0004
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tt_tokens") as batch:
        batch.add_column(sa.Column("scope", sa.String(16), nullable=False, server_default="admin"))
        batch.add_column(sa.Column("name", sa.String(64), nullable=False, server_default=""))
        batch.add_column(sa.Column("expires_at", sa.Double, nullable=True))
        batch.add_column(sa.Column("revoked_at", sa.Double, nullable=True))
        batch.add_column(sa.Column("rate_per_s", sa.Double, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tt_tokens") as batch:
        for name in ("rate_per_s", "revoked_at", "expires_at", "name", "scope"):
            batch.drop_column(name)
