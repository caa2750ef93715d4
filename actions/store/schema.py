"""The tables of Stand-in's own store, as SQLAlchemy Core metadata.

The migrations in `migrations/versions/` create these tables; this module is what the code
queries against (and what `alembic revision --autogenerate` compares with). Times are naive
UTC `DateTime`s, the same on SQLite and PostgreSQL, so they compare correctly as values.
Resource payloads are kept whole as JSON text in `data`, because later journeys need fields
nobody has asked for yet.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Float,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

# Every request sent to a provider, with its outcome: what Stand-in did in the owner's name.
audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime, nullable=False, index=True),
    Column("provider", String(100), nullable=False, index=True),
    Column("conversation_id", String(255), nullable=True, index=True),
    Column("method", String(10), nullable=False),
    Column("path", String(500), nullable=False),
    Column("idempotency_key", String(255), nullable=True),
    Column("request_body", Text, nullable=True),
    Column("status", Integer, nullable=True),
    Column("outcome", String(20), nullable=False),
    Column("error_code", String(100), nullable=True),
    Column("resource_id", String(100), nullable=True),
    Column("attempts", Integer, nullable=False),
    Column("duration_ms", Integer, nullable=False),
)

# One row per ticket at a provider: the store is the source of truth for follow-ups. Keyed by
# provider and ticket id (revision 0009): ids are each company's own, so two companies may use
# the same one, and an event from one can never touch the other's case.
cases = Table(
    "cases",
    metadata,
    Column("ticket_id", String(100), nullable=False, index=True),
    Column("provider", String(100), nullable=False, index=True),
    Column("account_id", String(100), nullable=True),
    Column("category", String(100), nullable=True),
    Column("summary", Text, nullable=True),
    Column("severity", String(20), nullable=True),
    Column("status", String(40), nullable=False, index=True),
    Column("question", Text, nullable=True),
    Column("created_at", DateTime, nullable=True),
    Column("updated_at", DateTime, nullable=False),
    Column("conversation_id", String(255), nullable=True),
    Column("last_event_at", DateTime, nullable=True),
    Column("first_seen_at", DateTime, nullable=False),
    # revision 0007: "identity" when the open question is one only the owner may answer.
    Column("question_kind", String(20), nullable=True),
    PrimaryKeyConstraint("provider", "ticket_id", name="pk_cases"),
)

# Provider webhook deliveries by provider and event id: the primary key is what makes dedupe
# atomic, and (revision 0009) one company's event ids cannot shadow another's.
webhook_events = Table(
    "webhook_events",
    metadata,
    Column("event_id", String(100), nullable=False),
    Column("type", String(100), nullable=False),
    Column("provider", String(100), nullable=False),
    Column("resource_id", String(100), nullable=True),
    Column("created_at", DateTime, nullable=True),
    Column("received_at", DateTime, nullable=False),
    Column("outcome", String(20), nullable=True),
    Column("payload", Text, nullable=True),
    PrimaryKeyConstraint("provider", "event_id", name="pk_webhook_events"),
)

# --- filled by later journeys (revision 0002) ----------------------------------------------

calls = Table(
    "calls",
    metadata,
    Column("call_id", String(100), primary_key=True),
    Column("provider", String(100), nullable=False, index=True),
    Column("account_id", String(100), nullable=True),
    Column("ticket_id", String(100), nullable=True),
    Column("reason", Text, nullable=True),
    Column("state", String(40), nullable=False),
    Column("conversation_id", String(255), nullable=True),
    Column("data", Text, nullable=True),
    Column("created_at", DateTime, nullable=True),
    Column("updated_at", DateTime, nullable=False),
    # revision 0006: what a hold needs to be followed across restarts.
    Column("topic", String(100), nullable=True),
    Column("output_channel", String(50), nullable=True),
    # "<desk updated_at>|<history length>": snapshots older than this are never applied.
    Column("desk_version", String(60), nullable=True),
    Column("position", Integer, nullable=True),
    Column("estimated_wait_s", Integer, nullable=True),
    Column("outcome", String(40), nullable=True),
    # The agent_connected handoff: waiting -> taken | declined | timed_out (claimed atomically).
    Column("handoff", String(20), nullable=True),
    Column("handoff_deadline", DateTime, nullable=True),
    # What the owner was last told (position, wait, desk time) and which offers were made.
    Column("notify_state", Text, nullable=True),
)

# Appointments and orders are keyed by provider and id too (revision 0009), like cases.
appointments = Table(
    "appointments",
    metadata,
    Column("appointment_id", String(100), nullable=False),
    Column("provider", String(100), nullable=False, index=True),
    Column("account_id", String(100), nullable=True),
    Column("ticket_id", String(100), nullable=True),
    Column("slot_id", String(200), nullable=True),
    Column("start_at", DateTime, nullable=True),
    Column("end_at", DateTime, nullable=True),
    Column("location", String(100), nullable=True),
    Column("service", String(100), nullable=True),
    Column("status", String(40), nullable=False),
    Column("conversation_id", String(255), nullable=True),
    Column("data", Text, nullable=True),
    Column("created_at", DateTime, nullable=True),
    Column("updated_at", DateTime, nullable=False),
    PrimaryKeyConstraint("provider", "appointment_id", name="pk_appointments"),
)

orders = Table(
    "orders",
    metadata,
    Column("order_id", String(100), nullable=False),
    Column("provider", String(100), nullable=False, index=True),
    Column("account_id", String(100), nullable=True),
    Column("appointment_id", String(100), nullable=True),
    Column("sku", String(100), nullable=True),
    Column("quantity", Integer, nullable=True),
    Column("status", String(40), nullable=False),
    Column("conversation_id", String(255), nullable=True),
    Column("data", Text, nullable=True),
    Column("created_at", DateTime, nullable=True),
    Column("updated_at", DateTime, nullable=False),
    PrimaryKeyConstraint("provider", "order_id", name="pk_orders"),
)

readings = Table(
    "readings",
    metadata,
    Column("reading_id", String(100), primary_key=True),
    Column("provider", String(100), nullable=False, index=True),
    Column("account_id", String(100), nullable=True),
    Column("meter_id", String(100), nullable=False, index=True),
    Column("value", Float, nullable=False),
    Column("unit", String(20), nullable=False),
    Column("read_at", DateTime, nullable=False),
    Column("status", String(40), nullable=False),
    Column("conversation_id", String(255), nullable=True),
    Column("data", Text, nullable=True),
    Column("created_at", DateTime, nullable=False),
)

# The owner's decisions where money or identity is involved: asked, granted or refused.
consents = Table(
    "consents",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("conversation_id", String(255), nullable=True, index=True),
    Column("provider", String(100), nullable=True),
    Column("subject", String(100), nullable=False),
    Column("description", Text, nullable=True),
    Column("amount", Float, nullable=True),
    Column("currency", String(3), nullable=True),
    Column("decision", String(20), nullable=False),
    Column("asked_at", DateTime, nullable=False),
    Column("decided_at", DateTime, nullable=True),
    Column("data", Text, nullable=True),
    # revision 0005: a granted consent is used once, by one request (its idempotency key).
    Column("owner_words", Text, nullable=True),
    Column("expires_at", DateTime, nullable=True),
    Column("used_at", DateTime, nullable=True),
    Column("used_by", String(100), nullable=True),
)

# The owner's preference changes made in conversation (the profile holds the defaults).
preferences = Table(
    "preferences",
    metadata,
    Column("owner_key", String(100), primary_key=True),
    Column("data", Text, nullable=False),
    Column("updated_at", DateTime, nullable=False),
)

# --- revision 0004 ---------------------------------------------------------------------------

# Per conversation: when the owner was last told about their cases, and what they were told
# (ticket id -> status and question as JSON), so "anything new?" reports changes only.
case_checks = Table(
    "case_checks",
    metadata,
    Column("conversation_id", String(255), primary_key=True),
    Column("checked_at", DateTime, nullable=False),
    Column("snapshot", Text, nullable=False),
)

# --- revision 0006: phone calls --------------------------------------------------------------

# Every step of a call, in order: dialled, digits pressed, queued, position, agent, outcome.
call_steps = Table(
    "call_steps",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("call_id", String(100), nullable=False, index=True),
    Column("at", DateTime, nullable=False),  # the desk's time where known
    Column("recorded_at", DateTime, nullable=False),
    Column("kind", String(40), nullable=False),
    Column("detail", Text, nullable=True),
    Column("data", Text, nullable=True),
)

# Messages for the owner that no turn of theirs asked for, delivered through Rasa's external
# events. An outbox: written with the change that caused it, sent and retried by the notifier.
notices = Table(
    "notices",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    # One notice per cause: a duplicate webhook or a retried poll cannot notify twice.
    Column("dedupe_key", String(200), nullable=False, unique=True),
    Column("conversation_id", String(255), nullable=False, index=True),
    Column("output_channel", String(50), nullable=False),
    Column("kind", String(60), nullable=False),
    Column("subject", String(100), nullable=True, index=True),
    Column("params", Text, nullable=False),
    Column("urgent", Boolean, nullable=False, default=False),
    # pending -> sending -> delivered (said in its conversation, and Rasa's channel took it);
    # back to pending for a retry; or superseded / failed (given up, and reported).
    Column("status", String(20), nullable=False, index=True),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", DateTime, nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("sent_at", DateTime, nullable=True),
    Column("delivered_at", DateTime, nullable=True),
    Column("last_error", Text, nullable=True),
    # Revision 0008: a notice held back for the owner's quiet hours (status `deferred`) is
    # released once the world's clock (the devices', the company's) passes this moment.
    Column("hold_until", DateTime, nullable=True),
    # Revision 0010: the attempt in flight, and the attempt whose action said the notice
    # (delivered only when they are the same and Rasa answered; actions/store/notices.py).
    Column("delivery", String(40), nullable=True),
    Column("said_by", String(40), nullable=True),
)

# --- revision 0007: handoffs -------------------------------------------------------------------

# Every time the owner was brought in (handoff.yml): asked, then answered, lapsed into the
# point's safe default, or withdrawn. Never holds an identity answer.
handoffs = Table(
    "handoffs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("point", String(40), nullable=False, index=True),
    Column("conversation_id", String(255), nullable=False, index=True),
    Column("provider", String(100), nullable=True, index=True),
    Column("subject", String(200), nullable=True),
    # waiting -> answered | lapsed | withdrawn (each move a conditional update on "waiting").
    Column("status", String(20), nullable=False, index=True),
    Column("asked_at", DateTime, nullable=False),
    Column("deadline", DateTime, nullable=True, index=True),  # None: waits until answered
    Column("closed_at", DateTime, nullable=True),
    Column("outcome", String(60), nullable=True),
    Column("data", Text, nullable=True),
)

# --- revision 0008: device telemetry ------------------------------------------------------------

# Every event a device sent, once per (device, event id): the intake's idempotency and the
# history that thresholds ("above 8 °C for 30 minutes") are judged on. Times are the device's.
telemetry_events = Table(
    "telemetry_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("device_id", String(100), nullable=False),
    Column("event_id", String(100), nullable=False),
    Column("type", String(20), nullable=False),
    Column("at", DateTime, nullable=False),
    Column("code", String(60), nullable=True),
    Column("metric", String(60), nullable=True),
    Column("value", Float, nullable=True),
    Column("unit", String(20), nullable=True),
    Column("severity", String(20), nullable=True),
    Column("detail", Text, nullable=True),
    # accepted, or held (a meter reading that went backwards or jumped): `reason` says why.
    Column("status", String(20), nullable=False),
    Column("reason", String(60), nullable=True),
    Column("received_at", DateTime, nullable=False),
    UniqueConstraint("device_id", "event_id", name="uq_telemetry_device_event"),
    Index("ix_telemetry_series", "device_id", "type", "metric", "at"),
)

# A problem the diagnosis table found on a device, and how far Stand-in has taken it:
# stage report -> part -> slots -> notify, then waiting for the owner (approval, slot) or done.
# `open_key` (device:problem) is set while the incident covers its problem, so a fault that
# repeats every minute finds it and opens nothing new; unique, so two at once cannot both open.
device_incidents = Table(
    "device_incidents",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("device_id", String(100), nullable=False, index=True),
    Column("problem_id", String(60), nullable=False),
    Column("provider", String(100), nullable=False),
    Column("open_key", String(200), nullable=True, unique=True),
    Column("stage", String(30), nullable=False, index=True),
    Column("severity", String(20), nullable=False),
    Column("conversation_id", String(255), nullable=False),
    Column("ticket_id", String(100), nullable=True, index=True),
    Column("part_state", String(30), nullable=True),
    Column("order_id", String(100), nullable=True),
    Column("location_id", String(100), nullable=True),
    Column("appointment_id", String(100), nullable=True),
    Column("first_at", DateTime, nullable=False),
    Column("last_at", DateTime, nullable=False),
    Column("repeats", Integer, nullable=False, default=0),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", DateTime, nullable=False),
    Column("last_error", Text, nullable=True),
    Column("data", Text, nullable=True),
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
)

# One meter reading per meter and billing period, sent on the provider's schedule: the unique
# (meter, period) pair is what makes "exactly once per period" hold across restarts.
meter_submissions = Table(
    "meter_submissions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("meter_id", String(100), nullable=False),
    Column("provider", String(100), nullable=False),
    Column("period", String(20), nullable=False),
    Column("event_id", String(100), nullable=False),
    Column("value", Float, nullable=False),
    Column("unit", String(20), nullable=False),
    Column("read_at", DateTime, nullable=False),
    Column("conversation_id", String(255), nullable=False),
    # pending -> sent | rejected; awaiting_owner (automatic submission off) -> pending | declined
    Column("status", String(20), nullable=False, index=True),
    Column("reading_id", String(100), nullable=True),
    Column("idempotency_key", String(200), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", DateTime, nullable=False),
    Column("last_error", Text, nullable=True),
    Column("created_at", DateTime, nullable=False),
    Column("sent_at", DateTime, nullable=True),
    UniqueConstraint("meter_id", "period", name="uq_meter_submission_period"),
)
