"""An index on the current feedback by time, for the feedback SLO indicators per minute
(override, ignore and correction rates, flag shares: ``telltale.policy.sources``).

Revision ID: 0010
Revises: 0007
"""

from __future__ import annotations

from alembic import op

revision = "0010"
down_revision = "0007"  # the table it indexes is made there
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_tt_feedback_service_ts", "tt_feedback", ["project", "service", "ts"])


def downgrade() -> None:
    op.drop_index("ix_tt_feedback_service_ts", table_name="tt_feedback")
