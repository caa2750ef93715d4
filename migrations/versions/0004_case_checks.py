"""What the owner was last told about their cases, per conversation ("anything new?").

Revision ID: 0004
Revises: 0003 (0003_owner_preferences, added in parallel; the two 0003s would be two heads)
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "case_checks",
        sa.Column("conversation_id", sa.String(255), primary_key=True),
        sa.Column("checked_at", sa.DateTime, nullable=False),
        sa.Column("snapshot", sa.Text, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("case_checks")
