"""The first schema: projects, tokens, services, predictions, minute profiles, references, controls.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tt_projects",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("created_at", sa.Double, nullable=False),
    )
    op.create_table(
        "tt_tokens",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("project", sa.String(64), sa.ForeignKey("tt_projects.name"), nullable=False),
        sa.Column("created_at", sa.Double, nullable=False),
    )
    op.create_index("ix_tt_tokens_project", "tt_tokens", ["project"])
    op.create_table(
        "tt_services",
        sa.Column("project", sa.String(64), sa.ForeignKey("tt_projects.name"), primary_key=True),
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("spec_json", sa.Text, nullable=False),
        sa.Column("updated_at", sa.Double, nullable=False),
    )
    op.create_table(
        "tt_predictions",
        sa.Column("project", sa.String(64), primary_key=True),
        sa.Column("id", sa.String(200), primary_key=True),
        sa.Column("service", sa.String(64), nullable=False),
        sa.Column("ts", sa.Double, nullable=False),
        sa.Column("model_version", sa.String(128)),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("n_violations", sa.Integer, nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
    )
    op.create_index("ix_tt_predictions_service_ts", "tt_predictions", ["project", "service", "ts"])
    op.create_table(
        "tt_minute_profiles",
        sa.Column("project", sa.String(64), primary_key=True),
        sa.Column("service", sa.String(64), primary_key=True),
        sa.Column("model_version", sa.String(128), primary_key=True),
        sa.Column("minute", sa.BigInteger, primary_key=True),
        sa.Column("n", sa.BigInteger, nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=True),
    )
    op.create_table(
        "tt_references",
        sa.Column("project", sa.String(64), primary_key=True),
        sa.Column("service", sa.String(64), primary_key=True),
        sa.Column("data", sa.LargeBinary, nullable=False),
        sa.Column("updated_at", sa.Double, nullable=False),
    )
    op.create_table(
        "tt_controls",
        sa.Column("project", sa.String(64), primary_key=True),
        sa.Column("service", sa.String(64), primary_key=True),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("updated_at", sa.Double, nullable=False),
    )


def downgrade() -> None:
    for name in ("tt_controls", "tt_references", "tt_minute_profiles", "tt_predictions", "tt_services", "tt_tokens", "tt_projects"):
        op.drop_table(name)
