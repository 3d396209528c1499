"""The monitor's memory: stored findings with their window evidence, the monitor's cursor,
the component version log, and ``updated_at`` on minute profiles (for late records).

Revision ID: 0003
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tt_minute_profiles") as batch:
        batch.add_column(sa.Column("updated_at", sa.Double, nullable=True))
    op.create_index("ix_tt_minute_profiles_updated", "tt_minute_profiles", ["project", "service", "updated_at"])
    op.create_table(
        "tt_findings",
        sa.Column("project", sa.String(64), primary_key=True),
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("service", sa.String(64), nullable=False),
        sa.Column("fingerprint", sa.String(512), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("feature", sa.String(256)),
        sa.Column("severity", sa.String(8), nullable=False),
        sa.Column("opened", sa.Double, nullable=False),
        sa.Column("last_seen", sa.Double, nullable=False),
        sa.Column("resolved", sa.Double),
        sa.Column("misses", sa.Integer, nullable=False),
        sa.Column("cause", sa.String(32)),
        sa.Column("change", sa.Text),
        sa.Column("latest", sa.Text, nullable=False),
    )
    op.create_index("ix_tt_findings_service_opened", "tt_findings", ["project", "service", "opened"])
    op.create_index("ix_tt_findings_service_resolved", "tt_findings", ["project", "service", "resolved"])
    op.create_table(
        "tt_finding_windows",
        sa.Column("project", sa.String(64), primary_key=True),
        sa.Column("finding_id", sa.String(32), primary_key=True),
        sa.Column("start", sa.Double, primary_key=True),
        sa.Column("end", sa.Double, nullable=False),
        sa.Column("service", sa.String(64), nullable=False),
        sa.Column("fingerprint", sa.String(512), nullable=False),
        sa.Column("severity", sa.String(8), nullable=False),
        sa.Column("data", sa.Text, nullable=False),
    )
    op.create_index("ix_tt_finding_windows_service_start", "tt_finding_windows", ["project", "service", "start"])
    op.create_table(
        "tt_monitor_state",
        sa.Column("project", sa.String(64), primary_key=True),
        sa.Column("service", sa.String(64), primary_key=True),
        sa.Column("evaluated_until", sa.Double, nullable=False),
        sa.Column("watermark", sa.Double, nullable=False),
        sa.Column("ticked_at", sa.Double, nullable=False),
    )
    op.create_table(
        "tt_component_versions",
        sa.Column("project", sa.String(64), primary_key=True),
        sa.Column("service", sa.String(64), primary_key=True),
        sa.Column("component", sa.String(128), primary_key=True),
        sa.Column("version", sa.String(256), primary_key=True),
        sa.Column("first_seen", sa.Double, nullable=False),
        sa.Column("last_seen", sa.Double, nullable=False),
    )
    op.create_table(
        "tt_changes",
        sa.Column("project", sa.String(64), primary_key=True),
        sa.Column("service", sa.String(64), primary_key=True),
        sa.Column("component", sa.String(128), primary_key=True),
        sa.Column("first_seen", sa.Double, primary_key=True),
        sa.Column("from_version", sa.String(256)),
        sa.Column("to_version", sa.String(256), nullable=False),
    )


def downgrade() -> None:
    for name in ("tt_changes", "tt_component_versions", "tt_monitor_state", "tt_finding_windows", "tt_findings"):
        op.drop_table(name)
    op.drop_index("ix_tt_minute_profiles_updated", "tt_minute_profiles")
    with op.batch_alter_table("tt_minute_profiles") as batch:
        batch.drop_column("updated_at")
