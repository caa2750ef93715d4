"""Cases, appointments, orders and webhook events keyed by provider and id.

Ids are each company's own: two companies may use the same ticket id, and a company's event
must never reach another's case. Each table is rebuilt with the composite primary key and its
rows copied (SQLite cannot change a primary key in place; the same steps run on PostgreSQL).
Webhook events that were stored without a provider keep the empty provider "".

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def _cases(key: list[str]) -> list[sa.SchemaItem]:
    return [
        sa.Column("ticket_id", sa.String(100), nullable=False),
        sa.Column("provider", sa.String(100), nullable=False),
        sa.Column("account_id", sa.String(100), nullable=True),
        sa.Column("category", sa.String(100), nullable=True),
        sa.Column("summary", sa.Text, nullable=True),
        sa.Column("severity", sa.String(20), nullable=True),
        sa.Column("status", sa.String(40), nullable=False),
        sa.Column("question", sa.Text, nullable=True),
        sa.Column("created_at", sa.DateTime, nullable=True),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.Column("conversation_id", sa.String(255), nullable=True),
        sa.Column("last_event_at", sa.DateTime, nullable=True),
        sa.Column("first_seen_at", sa.DateTime, nullable=False),
        sa.Column("question_kind", sa.String(20), nullable=True),
        sa.PrimaryKeyConstraint(*key, name="pk_cases" if len(key) > 1 else None),
    ]


def _webhook_events(key: list[str]) -> list[sa.SchemaItem]:
    return [
        sa.Column("event_id", sa.String(100), nullable=False),
        sa.Column("type", sa.String(100), nullable=False),
        sa.Column("provider", sa.String(100), nullable=len(key) == 1),
        sa.Column("resource_id", sa.String(100), nullable=True),
        sa.Column("created_at", sa.DateTime, nullable=True),
        sa.Column("received_at", sa.DateTime, nullable=False),
        sa.Column("outcome", sa.String(20), nullable=True),
        sa.Column("payload", sa.Text, nullable=True),
        sa.PrimaryKeyConstraint(*key, name="pk_webhook_events" if len(key) > 1 else None),
    ]


def _appointments(key: list[str]) -> list[sa.SchemaItem]:
    return [
        sa.Column("appointment_id", sa.String(100), nullable=False),
        sa.Column("provider", sa.String(100), nullable=False),
        sa.Column("account_id", sa.String(100), nullable=True),
        sa.Column("ticket_id", sa.String(100), nullable=True),
        sa.Column("slot_id", sa.String(200), nullable=True),
        sa.Column("start_at", sa.DateTime, nullable=True),
        sa.Column("end_at", sa.DateTime, nullable=True),
        sa.Column("location", sa.String(100), nullable=True),
        sa.Column("service", sa.String(100), nullable=True),
        sa.Column("status", sa.String(40), nullable=False),
        sa.Column("conversation_id", sa.String(255), nullable=True),
        sa.Column("data", sa.Text, nullable=True),
        sa.Column("created_at", sa.DateTime, nullable=True),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.PrimaryKeyConstraint(*key, name="pk_appointments" if len(key) > 1 else None),
    ]


def _orders(key: list[str]) -> list[sa.SchemaItem]:
    return [
        sa.Column("order_id", sa.String(100), nullable=False),
        sa.Column("provider", sa.String(100), nullable=False),
        sa.Column("account_id", sa.String(100), nullable=True),
        sa.Column("appointment_id", sa.String(100), nullable=True),
        sa.Column("sku", sa.String(100), nullable=True),
        sa.Column("quantity", sa.Integer, nullable=True),
        sa.Column("status", sa.String(40), nullable=False),
        sa.Column("conversation_id", sa.String(255), nullable=True),
        sa.Column("data", sa.Text, nullable=True),
        sa.Column("created_at", sa.DateTime, nullable=True),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.PrimaryKeyConstraint(*key, name="pk_orders" if len(key) > 1 else None),
    ]


# table -> (its columns for a key, the id column, the indexes it has besides the key)
TABLES: dict[str, tuple[Callable[[list[str]], list[sa.SchemaItem]], str, dict[str, list[str]]]] = {
    "cases": (
        _cases,
        "ticket_id",
        {"ix_cases_provider": ["provider"], "ix_cases_status": ["status"]},
    ),
    "webhook_events": (_webhook_events, "event_id", {}),
    "appointments": (_appointments, "appointment_id", {"ix_appointments_provider": ["provider"]}),
    "orders": (_orders, "order_id", {"ix_orders_provider": ["provider"]}),
}
# Indexes only the new layout has: lookups by id alone (an id the owner typed).
NEW_INDEXES = {"cases": {"ix_cases_ticket_id": ["ticket_id"]}}


def _rebuild(name: str, key: list[str], indexes: dict[str, list[str]]) -> None:
    """Replace `name` by a copy keyed on `key`, with every row and `indexes`."""
    columns_of, _, _ = TABLES[name]
    items = columns_of(key)
    names = [c.name for c in items if isinstance(c, sa.Column)]
    temporary = f"{name}_0009"
    op.create_table(temporary, *items)
    selected = [
        "COALESCE(provider, '')" if (name, c) == ("webhook_events", "provider") else c
        for c in names
    ]
    op.execute(
        f"INSERT INTO {temporary} ({', '.join(names)}) SELECT {', '.join(selected)} FROM {name}"
    )
    op.drop_table(name)  # its indexes go with it
    op.rename_table(temporary, name)
    for index, columns in indexes.items():
        op.create_index(index, name, columns)


def upgrade() -> None:
    for name, (_, id_column, indexes) in TABLES.items():
        _rebuild(name, ["provider", id_column], {**indexes, **NEW_INDEXES.get(name, {})})


def downgrade() -> None:
    conn = op.get_bind()
    for name, (_, id_column, indexes) in TABLES.items():
        shared = conn.execute(
            sa.text(f"SELECT {id_column} FROM {name} GROUP BY {id_column} HAVING COUNT(*) > 1")
        ).first()
        if shared is not None:
            # The old layout has one row per id: which company's to drop is not ours to guess.
            raise RuntimeError(
                f"cannot downgrade: {name} holds {id_column} {shared[0]!r} for several providers"
            )
        _rebuild(name, [id_column], indexes)
