"""Device telemetry: the events devices sent, the incidents found in them, the scheduled meter
reading submissions, and notices held back for quiet hours.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("notices", sa.Column("hold_until", sa.DateTime, nullable=True))
    op.create_table(
        "telemetry_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("device_id", sa.String(100), nullable=False),
        sa.Column("event_id", sa.String(100), nullable=False),
        sa.Column("type", sa.String(20), nullable=False),
        sa.Column("at", sa.DateTime, nullable=False),
        sa.Column("code", sa.String(60), nullable=True),
        sa.Column("metric", sa.String(60), nullable=True),
        sa.Column("value", sa.Float, nullable=True),
        sa.Column("unit", sa.String(20), nullable=True),
        sa.Column("severity", sa.String(20), nullable=True),
        sa.Column("detail", sa.Text, nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("reason", sa.String(60), nullable=True),
        sa.Column("received_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("device_id", "event_id", name="uq_telemetry_device_event"),
    )
    op.create_index(
        "ix_telemetry_series", "telemetry_events", ["device_id", "type", "metric", "at"]
    )
    op.create_table(
        "device_incidents",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("device_id", sa.String(100), nullable=False, index=True),
        sa.Column("problem_id", sa.String(60), nullable=False),
        sa.Column("provider", sa.String(100), nullable=False),
        sa.Column("open_key", sa.String(200), nullable=True, unique=True),
        sa.Column("stage", sa.String(30), nullable=False, index=True),
        sa.Column("severity", sa.String(20), nullable=False),
        sa.Column("conversation_id", sa.String(255), nullable=False),
        sa.Column("ticket_id", sa.String(100), nullable=True, index=True),
        sa.Column("part_state", sa.String(30), nullable=True),
        sa.Column("order_id", sa.String(100), nullable=True),
        sa.Column("location_id", sa.String(100), nullable=True),
        sa.Column("appointment_id", sa.String(100), nullable=True),
        sa.Column("first_at", sa.DateTime, nullable=False),
        sa.Column("last_at", sa.DateTime, nullable=False),
        sa.Column("repeats", sa.Integer, nullable=False, server_default="0"),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("next_attempt_at", sa.DateTime, nullable=False),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("data", sa.Text, nullable=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "meter_submissions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("meter_id", sa.String(100), nullable=False),
        sa.Column("provider", sa.String(100), nullable=False),
        sa.Column("period", sa.String(20), nullable=False),
        sa.Column("event_id", sa.String(100), nullable=False),
        sa.Column("value", sa.Float, nullable=False),
        sa.Column("unit", sa.String(20), nullable=False),
        sa.Column("read_at", sa.DateTime, nullable=False),
        sa.Column("conversation_id", sa.String(255), nullable=False),
        sa.Column("status", sa.String(20), nullable=False, index=True),
        sa.Column("reading_id", sa.String(100), nullable=True),
        sa.Column("idempotency_key", sa.String(200), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("next_attempt_at", sa.DateTime, nullable=False),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("sent_at", sa.DateTime, nullable=True),
        sa.UniqueConstraint("meter_id", "period", name="uq_meter_submission_period"),
    )


def downgrade() -> None:
    op.drop_table("meter_submissions")
    op.drop_table("device_incidents")
    op.drop_index("ix_telemetry_series", table_name="telemetry_events")
    op.drop_table("telemetry_events")
    op.drop_column("notices", "hold_until")
