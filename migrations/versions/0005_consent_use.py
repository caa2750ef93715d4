"""Consents are used once: the owner's words, expiry, and which request used the consent.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

COLUMNS = (
    ("owner_words", sa.Text),
    ("expires_at", sa.DateTime),
    ("used_at", sa.DateTime),
    ("used_by", sa.String(100)),
)


def upgrade() -> None:
    for name, kind in COLUMNS:
        op.add_column("consents", sa.Column(name, kind, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("consents") as batch:
        for name, _ in reversed(COLUMNS):
            batch.drop_column(name)
