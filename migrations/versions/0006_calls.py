"""Phone calls: hold state on `calls`, every call step, and the outbox of owner notices.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

CALL_COLUMNS = (
    ("topic", sa.String(100)),
    ("output_channel", sa.String(50)),
    ("desk_version", sa.String(60)),
    ("position", sa.Integer),
    ("estimated_wait_s", sa.Integer),
    ("outcome", sa.String(40)),
    ("handoff", sa.String(20)),
    ("handoff_deadline", sa.DateTime),
    ("notify_state", sa.Text),
)


def upgrade() -> None:
    for name, kind in CALL_COLUMNS:
        op.add_column("calls", sa.Column(name, kind, nullable=True))
    op.create_table(
        "call_steps",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("call_id", sa.String(100), nullable=False, index=True),
        sa.Column("at", sa.DateTime, nullable=False),
        sa.Column("recorded_at", sa.DateTime, nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("detail", sa.Text),
        sa.Column("data", sa.Text),
    )
    op.create_table(
        "notices",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("dedupe_key", sa.String(200), nullable=False, unique=True),
        sa.Column("conversation_id", sa.String(255), nullable=False, index=True),
        sa.Column("output_channel", sa.String(50), nullable=False),
        sa.Column("kind", sa.String(60), nullable=False),
        sa.Column("subject", sa.String(100), index=True),
        sa.Column("params", sa.Text, nullable=False),
        sa.Column("urgent", sa.Boolean, nullable=False),
        sa.Column("status", sa.String(20), nullable=False, index=True),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", sa.DateTime, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("sent_at", sa.DateTime),
        sa.Column("delivered_at", sa.DateTime),
        sa.Column("last_error", sa.Text),
    )


def downgrade() -> None:
    op.drop_table("notices")
    op.drop_table("call_steps")
    with op.batch_alter_table("calls") as batch:
        for name, _ in reversed(CALL_COLUMNS):
            batch.drop_column(name)
