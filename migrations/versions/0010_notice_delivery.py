"""Notices are delivered only once said in their conversation: each attempt's id, and the
attempt whose action said the notice.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("notices", sa.Column("delivery", sa.String(40), nullable=True))
    op.add_column("notices", sa.Column("said_by", sa.String(40), nullable=True))
    # `sent` meant only "Rasa answered", and a notice the action had said was `delivered`:
    # a `sent` one was never said. Saying it now, maybe days late, would mislead; it is marked
    # failed, with the reason, where the operator sees it.
    op.execute(
        "UPDATE notices SET status = 'failed',"
        " last_error = 'not said in its conversation (found when upgrading to revision 0010)'"
        " WHERE status = 'sent'"
    )


def downgrade() -> None:
    op.drop_column("notices", "said_by")
    op.drop_column("notices", "delivery")
