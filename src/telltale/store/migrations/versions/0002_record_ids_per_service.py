"""Record ids are unique per service, not per project: the predictions key becomes (project, service, id).

Before, the same id sent by a second service of the project was silently counted as a
duplicate of the first service's record. SQLite cannot alter a primary key in place, so
the table is rebuilt in Alembic's batch mode (copy, drop, rename); PostgreSQL swaps the
constraint.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import warnings

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_KEY = "pk_tt_predictions"


def upgrade() -> None:
    _set_key(["project", "service", "id"])


def downgrade() -> None:
    _set_key(["project", "id"])


def _set_key(columns: list[str]) -> None:
    if op.get_bind().dialect.name == "sqlite":
        with warnings.catch_warnings():
            # the copy is declared with the reflected (old) key and then given the new one,
            # which SQLAlchemy notes in a warning: that replacement is the point here
            warnings.simplefilter("ignore", sa.exc.SAWarning)
            with op.batch_alter_table("tt_predictions", recreate="always") as batch:
                batch.create_primary_key(_KEY, columns)
        return
    existing = op.get_bind().exec_driver_sql(
        "SELECT conname FROM pg_constraint WHERE conrelid = 'tt_predictions'::regclass AND contype = 'p'"
    ).scalar_one()
    op.drop_constraint(existing, "tt_predictions", type_="primary")
    op.create_primary_key(_KEY, "tt_predictions", columns)
