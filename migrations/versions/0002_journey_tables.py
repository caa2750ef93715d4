"""Tables for the next journeys: calls, appointments, orders, readings and consents.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _common() -> list[sa.Column]:
    return [
        sa.Column("status", sa.String(40), nullable=False),
        sa.Column("conversation_id", sa.String(255), nullable=True),
        sa.Column("data", sa.Text, nullable=True),
        sa.Column("created_at", sa.DateTime, nullable=True),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "calls",
        sa.Column("call_id", sa.String(100), primary_key=True),
        sa.Column("provider", sa.String(100), nullable=False),
        sa.Column("account_id", sa.String(100), nullable=True),
        sa.Column("ticket_id", sa.String(100), nullable=True),
        sa.Column("reason", sa.Text, nullable=True),
        sa.Column("state", sa.String(40), nullable=False),
        sa.Column("conversation_id", sa.String(255), nullable=True),
        sa.Column("data", sa.Text, nullable=True),
        sa.Column("created_at", sa.DateTime, nullable=True),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_calls_provider", "calls", ["provider"])

    op.create_table(
        "appointments",
        sa.Column("appointment_id", sa.String(100), primary_key=True),
        sa.Column("provider", sa.String(100), nullable=False),
        sa.Column("account_id", sa.String(100), nullable=True),
        sa.Column("ticket_id", sa.String(100), nullable=True),
        sa.Column("slot_id", sa.String(200), nullable=True),
        sa.Column("start_at", sa.DateTime, nullable=True),
        sa.Column("end_at", sa.DateTime, nullable=True),
        sa.Column("location", sa.String(100), nullable=True),
        sa.Column("service", sa.String(100), nullable=True),
        *_common(),
    )
    op.create_index("ix_appointments_provider", "appointments", ["provider"])

    op.create_table(
        "orders",
        sa.Column("order_id", sa.String(100), primary_key=True),
        sa.Column("provider", sa.String(100), nullable=False),
        sa.Column("account_id", sa.String(100), nullable=True),
        sa.Column("appointment_id", sa.String(100), nullable=True),
        sa.Column("sku", sa.String(100), nullable=True),
        sa.Column("quantity", sa.Integer, nullable=True),
        *_common(),
    )
    op.create_index("ix_orders_provider", "orders", ["provider"])

    op.create_table(
        "readings",
        sa.Column("reading_id", sa.String(100), primary_key=True),
        sa.Column("provider", sa.String(100), nullable=False),
        sa.Column("account_id", sa.String(100), nullable=True),
        sa.Column("meter_id", sa.String(100), nullable=False),
        sa.Column("value", sa.Float, nullable=False),
        sa.Column("unit", sa.String(20), nullable=False),
        sa.Column("read_at", sa.DateTime, nullable=False),
        sa.Column("status", sa.String(40), nullable=False),
        sa.Column("conversation_id", sa.String(255), nullable=True),
        sa.Column("data", sa.Text, nullable=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_readings_provider", "readings", ["provider"])
    op.create_index("ix_readings_meter_id", "readings", ["meter_id"])

    op.create_table(
        "consents",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("conversation_id", sa.String(255), nullable=True),
        sa.Column("provider", sa.String(100), nullable=True),
        sa.Column("subject", sa.String(100), nullable=False),
        sa.Column("description", sa.Text, nullable=True),
        sa.Column("amount", sa.Float, nullable=True),
        sa.Column("currency", sa.String(3), nullable=True),
        sa.Column("decision", sa.String(20), nullable=False),
        sa.Column("asked_at", sa.DateTime, nullable=False),
        sa.Column("decided_at", sa.DateTime, nullable=True),
        sa.Column("data", sa.Text, nullable=True),
    )
    op.create_index("ix_consents_conversation_id", "consents", ["conversation_id"])


def downgrade() -> None:
    for table in ("consents", "readings", "orders", "appointments", "calls"):
        op.drop_table(table)
