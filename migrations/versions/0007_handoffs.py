"""Handoffs: every point where the owner was brought in, what they answered, or what the safe
default did when they did not; and the kind of a case's open question.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Whether the provider's open question is an identity check (answered only by the owner).
    op.add_column("cases", sa.Column("question_kind", sa.String(20), nullable=True))
    op.create_table(
        "handoffs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("point", sa.String(40), nullable=False, index=True),
        sa.Column("conversation_id", sa.String(255), nullable=False, index=True),
        sa.Column("provider", sa.String(100), nullable=True, index=True),
        sa.Column("subject", sa.String(200), nullable=True),
        sa.Column("status", sa.String(20), nullable=False, index=True),
        sa.Column("asked_at", sa.DateTime, nullable=False),
        sa.Column("deadline", sa.DateTime, nullable=True, index=True),
        sa.Column("closed_at", sa.DateTime, nullable=True),
        sa.Column("outcome", sa.String(60), nullable=True),
        sa.Column("data", sa.Text, nullable=True),
    )


def downgrade() -> None:
    op.drop_table("handoffs")
    op.drop_column("cases", "question_kind")
