"""Stand-in's own memory: the audit log of provider requests, cases, and webhook events.

One SQLAlchemy engine per store, any URL (SQLite by default, PostgreSQL unchanged). The schema
is brought to the newest Alembic revision when the store is opened, so a deployment never needs
the CLI. The store is synchronous and small: async callers wrap calls in
`await asyncio.to_thread(...)` so a slow database does not block the action server's loop.

Nothing is masked here (the rows are the record of what was done in the owner's name); what
must never leave the process in clear is kept out of log lines by `log_masking`. API keys are
never handed to the store at all.
"""

from __future__ import annotations

import functools
import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, event, func, select
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.pool import QueuePool

from actions.core.settings import PROJECT_ROOT
from actions.store.schema import (
    appointments,
    audit_log,
    case_checks,
    cases,
    consents,
    orders,
    webhook_events,
)

MIGRATIONS = PROJECT_ROOT / "migrations"
FINAL_CASE_STATUSES = frozenset({"resolved", "closed", "cancelled"})
OUTCOMES = ("ok", "rejected", "unavailable", "unknown")

# Stores opened in this process whose schema is already at head: opening again is cheap.
_migrated: set[str] = set()
_migrate_lock = threading.Lock()


@dataclass(frozen=True)
class AuditEntry:
    """One request sent to a provider, after it finished (success or final failure)."""

    at: datetime
    provider: str
    method: str
    path: str
    outcome: str  # one of OUTCOMES
    attempts: int
    duration_ms: int
    conversation_id: str | None = None
    idempotency_key: str | None = None
    request_body: Any = None  # the JSON body as sent; headers are never recorded
    status: int | None = None
    error_code: str | None = None
    resource_id: str | None = None
    id: int | None = None


@dataclass(frozen=True)
class Case:
    """One ticket at one provider: (provider, ticket_id) names it, never the id alone."""

    ticket_id: str
    provider: str
    account_id: str | None
    category: str | None
    summary: str | None
    severity: str | None
    status: str
    question: str | None
    created_at: datetime | None
    updated_at: datetime
    conversation_id: str | None
    last_event_at: datetime | None
    first_seen_at: datetime
    question_kind: str | None = None

    @property
    def is_open(self) -> bool:
        return self.status not in FINAL_CASE_STATUSES


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def _naive_utc(value: Any) -> datetime | None:
    """A naive UTC datetime for the database, from an ISO string or a datetime."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if not isinstance(value, datetime):
        raise TypeError(f"not a time: {value!r}")
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc).replace(tzinfo=None)
    return value


def _aware(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=timezone.utc) if value is not None else None


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Run the Alembic migrations up to `revision` on `engine`'s database."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, revision)


def make_engine(url: str) -> Engine:
    """An engine for `url`; a SQLite file gets its directory, WAL and a lock timeout."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, future=True, pool_pre_ping=True)
    Path(parsed.database or "").parent.mkdir(parents=True, exist_ok=True)
    # Several threads (to_thread) and processes (tests, CLI) share the file: wait for locks.
    # Connections are pooled (SQLAlchemy 1.4 opens a new one per transaction for a SQLite
    # file otherwise: py-spy showed connecting and its pragmas in every request).
    engine = create_engine(
        url,
        future=True,
        connect_args={"timeout": 15, "check_same_thread": False},
        poolclass=QueuePool,
        pool_size=5,
        max_overflow=10,
    )

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")  # readers never wait for the writer
        cur.execute("PRAGMA busy_timeout=15000")
        cur.close()

    return engine


_AUDIT_INSERT = audit_log.insert()


def _case_values(
    ticket: Mapping[str, Any],
    conversation_id: str | None,
    account_id: str | None,
    event_at: datetime | None,
) -> dict[str, Any]:
    return {
        "ticket_id": str(ticket["id"]),
        "provider": str(ticket["provider"]),
        "account_id": account_id or ticket.get("account_id"),
        "category": ticket.get("category"),
        "summary": ticket.get("summary"),
        "severity": ticket.get("severity"),
        "status": str(ticket["status"]),
        "question": ticket.get("question"),
        "question_kind": ticket.get("question_kind") if ticket.get("question") else None,
        "created_at": _naive_utc(ticket.get("created_at")),
        "updated_at": _naive_utc(ticket["updated_at"]),
        "conversation_id": conversation_id,
        "last_event_at": _naive_utc(event_at),
        "first_seen_at": _naive_utc(utc_now()),
    }


class CaseMemory:
    """The store. Thread-safe: every method uses its own connection and transaction."""

    def __init__(self, url: str) -> None:
        self._engine = make_engine(url)
        with _migrate_lock:
            if url not in _migrated:
                upgrade(self._engine)
                _migrated.add(url)

    @property
    def engine(self) -> Engine:
        return self._engine

    def close(self) -> None:
        self._engine.dispose()

    def _insert(self, table: Any) -> Any:
        # Both dialects have INSERT ... ON CONFLICT; the construct lives per dialect.
        if self._engine.dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        return insert(table)

    # --- audit log ----------------------------------------------------------------------

    def record_request(self, entry: AuditEntry) -> int:
        """Append one request to the audit log; returns the row id."""
        if entry.outcome not in OUTCOMES:
            raise ValueError(f"unknown outcome {entry.outcome!r}")
        body = None if entry.request_body is None else json.dumps(entry.request_body, default=str)
        row = {
            "at": _naive_utc(entry.at),
            "provider": entry.provider,
            "conversation_id": entry.conversation_id,
            "method": entry.method,
            "path": entry.path,
            "idempotency_key": entry.idempotency_key,
            "request_body": body,
            "status": entry.status,
            "outcome": entry.outcome,
            "error_code": entry.error_code,
            "resource_id": entry.resource_id,
            "attempts": entry.attempts,
            "duration_ms": entry.duration_ms,
        }
        with self._engine.begin() as conn:
            # One statement for every row (values bound per call): SQLAlchemy builds and
            # compiles it once instead of once per request.
            result = conn.execute(_AUDIT_INSERT, row)
            return int(result.inserted_primary_key[0])

    def audit_entries(
        self,
        since: datetime | None = None,
        until: datetime | None = None,
        provider: str | None = None,
        conversation_id: str | None = None,
    ) -> list[AuditEntry]:
        """Audit rows, oldest first; `since` inclusive, `until` exclusive."""
        query = select(audit_log).order_by(audit_log.c.at, audit_log.c.id)
        if since is not None:
            query = query.where(audit_log.c.at >= _naive_utc(since))
        if until is not None:
            query = query.where(audit_log.c.at < _naive_utc(until))
        if provider is not None:
            query = query.where(audit_log.c.provider == provider)
        if conversation_id is not None:
            query = query.where(audit_log.c.conversation_id == conversation_id)
        with self._engine.connect() as conn:
            rows = conn.execute(query).mappings().all()
        return [audit_entry(row) for row in rows]

    # --- cases --------------------------------------------------------------------------

    def upsert_case_from_ticket(
        self,
        ticket: Mapping[str, Any],
        conversation_id: str | None = None,
        account_id: str | None = None,
        event_at: datetime | None = None,
    ) -> bool:
        """Insert or update the case for a ticket as the desk returned it.

        The case never moves backwards: an update whose `updated_at` is older than the stored
        one changes nothing and returns False. The first conversation id is kept, so reading a
        ticket from another conversation does not re-attribute it. `event_at` is set when the
        update came from a provider webhook.
        """
        with self._engine.begin() as conn:
            values = _case_values(ticket, conversation_id, account_id, event_at)
            return conn.execute(self._case_upsert, values).rowcount > 0

    def upsert_cases_from_tickets(
        self,
        tickets: list[Mapping[str, Any]],
        conversation_id: str | None = None,
        account_id: str | None = None,
    ) -> int:
        """`upsert_case_from_ticket` for a whole list: one statement run for every ticket, in
        one transaction (a status listing of many tickets is one commit, not one each)."""
        if not tickets:
            return 0
        rows = [_case_values(t, conversation_id, account_id, None) for t in tickets]
        with self._engine.begin() as conn:
            return conn.execute(self._case_upsert, rows).rowcount

    @functools.cached_property
    def _case_upsert(self) -> Any:
        """INSERT ... ON CONFLICT DO UPDATE for one case, its values bound per row."""
        stmt = self._insert(cases)
        new = stmt.excluded
        return stmt.on_conflict_do_update(
            index_elements=[cases.c.provider, cases.c.ticket_id],
            set_={
                **{
                    col: new[col]
                    for col in (
                        "status",
                        "question",
                        "question_kind",
                        "updated_at",
                        "summary",
                        "severity",
                    )
                },
                "category": func.coalesce(new.category, cases.c.category),
                "created_at": func.coalesce(cases.c.created_at, new.created_at),
                "account_id": func.coalesce(cases.c.account_id, new.account_id),
                "conversation_id": func.coalesce(cases.c.conversation_id, new.conversation_id),
                "last_event_at": func.coalesce(new.last_event_at, cases.c.last_event_at),
            },
            where=cases.c.updated_at <= new.updated_at,
        )

    def case(self, provider: str, ticket_id: str) -> Case | None:
        """The case of `ticket_id` at `provider` (another provider's ticket of that id is
        another case)."""
        query = select(cases).where(cases.c.provider == provider, cases.c.ticket_id == ticket_id)
        with self._engine.connect() as conn:
            found = conn.execute(query).mappings().first()
        return _case(found) if found else None

    def cases_with_id(self, ticket_id: str) -> list[Case]:
        """Every provider's case with this ticket id, for callers that know only the id (one the
        owner typed): more than one is ambiguous, and theirs to resolve, never to guess."""
        query = select(cases).where(cases.c.ticket_id == ticket_id).order_by(cases.c.provider)
        with self._engine.connect() as conn:
            return [_case(r) for r in conn.execute(query).mappings().all()]

    def cases(self, provider: str | None = None, open_only: bool = False) -> list[Case]:
        """Cases, most recently updated first; `open_only` leaves out resolved/closed/cancelled."""
        query = select(cases).order_by(
            cases.c.updated_at.desc(), cases.c.ticket_id, cases.c.provider
        )
        if provider is not None:
            query = query.where(cases.c.provider == provider)
        if open_only:
            query = query.where(cases.c.status.notin_(sorted(FINAL_CASE_STATUSES)))
        with self._engine.connect() as conn:
            return [_case(r) for r in conn.execute(query).mappings().all()]

    # --- what the owner was last told (follow-ups) ---------------------------------------

    def awaiting_customer(self) -> list[Case]:
        """Cases whose company waits for an answer (indexed by status: cheap every second)."""
        query = (
            select(cases)
            .where(cases.c.status == "awaiting_customer")
            .where(cases.c.question.is_not(None))
            .order_by(cases.c.updated_at, cases.c.ticket_id, cases.c.provider)
        )
        with self._engine.connect() as conn:
            return [_case(r) for r in conn.execute(query).mappings().all()]

    def last_check(self, conversation_id: str) -> tuple[datetime, dict[str, Any]] | None:
        """When the owner of `conversation_id` was last told about their cases, and what."""
        with self._engine.connect() as conn:
            row = (
                conn.execute(
                    select(case_checks).where(case_checks.c.conversation_id == conversation_id)
                )
                .mappings()
                .first()
            )
        if row is None:
            return None
        return _aware(row["checked_at"]), json.loads(row["snapshot"])

    def set_last_check(
        self, conversation_id: str, snapshot: Mapping[str, Any], at: datetime | None = None
    ) -> None:
        """Record what the owner was just told (case key -> what they heard about it)."""
        values = {
            "conversation_id": conversation_id,
            "checked_at": _naive_utc(at or utc_now()),
            "snapshot": json.dumps(dict(snapshot), default=str, sort_keys=True),
        }
        stmt = self._insert(case_checks).values(**values)
        stmt = stmt.on_conflict_do_update(
            index_elements=[case_checks.c.conversation_id],
            set_={"checked_at": stmt.excluded.checked_at, "snapshot": stmt.excluded.snapshot},
        )
        with self._engine.begin() as conn:
            conn.execute(stmt)

    # --- provider webhook events --------------------------------------------------------

    def remember_event(
        self,
        event_id: str,
        type: str,
        received_at: datetime,
        provider: str,
        resource_id: str | None = None,
        created_at: datetime | None = None,
        payload: Any = None,
    ) -> bool:
        """Record `provider`'s event id; False when it was already seen.

        Atomic across threads, processes and databases: (provider, event id) is the primary
        key, so of two racing inserts exactly one commits and the other gets an integrity error.
        Another provider's event of the same id is another event.
        """
        try:
            with self._engine.begin() as conn:
                conn.execute(
                    webhook_events.insert().values(
                        event_id=event_id,
                        type=type,
                        provider=provider,
                        resource_id=resource_id,
                        created_at=_naive_utc(created_at),
                        received_at=_naive_utc(received_at),
                        payload=None if payload is None else json.dumps(payload, default=str),
                    )
                )
        except IntegrityError:
            return False
        return True

    def set_event_outcome(self, provider: str, event_id: str, outcome: str) -> None:
        with self._engine.begin() as conn:
            conn.execute(
                webhook_events.update()
                .where(webhook_events.c.provider == provider)
                .where(webhook_events.c.event_id == event_id)
                .values(outcome=outcome)
            )

    def forget_event(self, provider: str, event_id: str) -> None:
        """Drop an event whose handling failed, so the provider's retry is processed."""
        with self._engine.begin() as conn:
            conn.execute(
                webhook_events.delete()
                .where(webhook_events.c.provider == provider)
                .where(webhook_events.c.event_id == event_id)
            )

    def events(self, type: str | None = None) -> list[dict[str, Any]]:
        """Stored webhook events, oldest first (for follow-ups and tests)."""
        query = select(webhook_events).order_by(webhook_events.c.received_at)
        if type is not None:
            query = query.where(webhook_events.c.type == type)
        with self._engine.connect() as conn:
            return [dict(r) for r in conn.execute(query).mappings().all()]

    # --- resources that later journeys own, kept now from webhooks ------------------------

    def upsert_appointment(self, data: Mapping[str, Any]) -> bool:
        """Store an appointment as the desk sent it; never moves it backwards in time."""
        location = data.get("location")
        values = {
            "appointment_id": str(data["id"]),
            "provider": str(data["provider"]),
            "account_id": data.get("account_id"),
            "ticket_id": data.get("ticket_id"),
            "slot_id": data.get("slot_id"),
            "start_at": _naive_utc(data.get("start")),
            "end_at": _naive_utc(data.get("end")),
            "location": location.get("id") if isinstance(location, Mapping) else location,
            "service": data.get("service"),
            "status": str(data["status"]),
            "data": json.dumps(dict(data), default=str),
            "created_at": _naive_utc(data.get("created_at")),
            "updated_at": _naive_utc(data["updated_at"]),
        }
        return self._upsert_newer(appointments, ("provider", "appointment_id"), values)

    def upsert_order(self, data: Mapping[str, Any]) -> bool:
        """Store a parts order as the desk sent it; never moves it backwards in time."""
        values = {
            "order_id": str(data["id"]),
            "provider": str(data["provider"]),
            "account_id": data.get("account_id"),
            "appointment_id": data.get("appointment_id"),
            "sku": data.get("sku"),
            "quantity": data.get("quantity"),
            "status": str(data["status"]),
            "data": json.dumps(dict(data), default=str),
            "created_at": _naive_utc(data.get("created_at")),
            "updated_at": _naive_utc(data["updated_at"]),
        }
        return self._upsert_newer(orders, ("provider", "order_id"), values)

    def appointment(self, provider: str, appointment_id: str) -> dict[str, Any] | None:
        return self._row(appointments, provider, appointments.c.appointment_id, appointment_id)

    def order(self, provider: str, order_id: str) -> dict[str, Any] | None:
        return self._row(orders, provider, orders.c.order_id, order_id)

    def orders(self, provider: str | None = None) -> list[dict[str, Any]]:
        """Stored parts orders, oldest first."""
        query = select(orders).order_by(orders.c.created_at, orders.c.order_id)
        if provider is not None:
            query = query.where(orders.c.provider == provider)
        with self._engine.connect() as conn:
            return [dict(r) for r in conn.execute(query).mappings().all()]

    # --- consents: the owner's decisions on money -----------------------------------------

    def record_consent(
        self,
        conversation_id: str | None,
        subject: str,
        decision: str,
        provider: str | None = None,
        description: str | None = None,
        amount: float | None = None,
        currency: str | None = None,
        owner_words: str | None = None,
        data: Mapping[str, Any] | None = None,
        asked_at: datetime | None = None,
        expires_at: datetime | None = None,
        used_by: str | None = None,
    ) -> int:
        """Record one decision (granted, refused, within_limit...); returns its id.

        `used_by` records a decision used at once by that request (a spend within the limit)."""
        now = _naive_utc(utc_now())
        with self._engine.begin() as conn:
            result = conn.execute(
                consents.insert().values(
                    conversation_id=conversation_id,
                    provider=provider,
                    subject=subject,
                    description=description,
                    amount=amount,
                    currency=currency,
                    decision=decision,
                    asked_at=_naive_utc(asked_at) or now,
                    decided_at=now,
                    data=None if data is None else json.dumps(dict(data), default=str),
                    owner_words=owner_words,
                    expires_at=_naive_utc(expires_at),
                    used_at=now if used_by else None,
                    used_by=used_by,
                )
            )
            return int(result.inserted_primary_key[0])

    def usable_consents(
        self, conversation_id: str | None, subject: str, request_key: str, now: datetime
    ) -> list[dict[str, Any]]:
        """Granted, unexpired consents that are unused or used by this very request."""
        query = (
            select(consents)
            .where(consents.c.conversation_id == conversation_id)
            .where(consents.c.subject == subject)
            .where(consents.c.decision == "granted")
            .where(consents.c.expires_at > _naive_utc(now))
            .where((consents.c.used_by.is_(None)) | (consents.c.used_by == request_key))
            .order_by(consents.c.decided_at.desc(), consents.c.id.desc())
        )
        with self._engine.connect() as conn:
            return [_consent(r) for r in conn.execute(query).mappings().all()]

    def use_consent(self, consent_id: int, request_key: str) -> bool:
        """Mark a consent used by `request_key`; False if another request used it first.

        Atomic: one UPDATE guarded by "unused or already this request's"."""
        stmt = (
            consents.update()
            .where(consents.c.id == consent_id)
            .where((consents.c.used_by.is_(None)) | (consents.c.used_by == request_key))
            .values(used_at=func.coalesce(consents.c.used_at, _naive_utc(utc_now())))
            .values(used_by=request_key)
        )
        with self._engine.begin() as conn:
            return conn.execute(stmt).rowcount == 1

    def consents(self, conversation_id: str | None = None) -> list[dict[str, Any]]:
        """Recorded decisions, oldest first."""
        query = select(consents).order_by(consents.c.id)
        if conversation_id is not None:
            query = query.where(consents.c.conversation_id == conversation_id)
        with self._engine.connect() as conn:
            return [_consent(r) for r in conn.execute(query).mappings().all()]

    def _upsert_newer(self, table: Any, key: tuple[str, ...], values: dict[str, Any]) -> bool:
        stmt = self._insert(table).values(**values)
        stmt = stmt.on_conflict_do_update(
            index_elements=[table.c[k] for k in key],
            set_={c: stmt.excluded[c] for c in values if c not in (*key, "created_at")},
            where=table.c.updated_at <= stmt.excluded.updated_at,
        )
        with self._engine.begin() as conn:
            return conn.execute(stmt).rowcount > 0

    def _row(self, table: Any, provider: str, key: Any, value: str) -> dict[str, Any] | None:
        query = select(table).where(table.c.provider == provider, key == value)
        with self._engine.connect() as conn:
            row = conn.execute(query).mappings().first()
        return dict(row) if row else None


def _consent(row: Mapping[str, Any]) -> dict[str, Any]:
    times = ("asked_at", "decided_at", "expires_at", "used_at")
    found = {k: (_aware(v) if k in times else v) for k, v in row.items()}
    found["data"] = json.loads(row["data"]) if row["data"] else {}
    return found


def audit_entry(row: Mapping[str, Any]) -> AuditEntry:
    """An `audit_log` row as an AuditEntry; a body that is not JSON is kept as its text."""
    raw = row["request_body"]
    try:
        body = json.loads(raw) if raw else None
    except ValueError:
        body = raw
    return AuditEntry(**{**row, "at": _aware(row["at"]), "request_body": body})


def _case(row: Mapping[str, Any]) -> Case:
    times = ("created_at", "updated_at", "last_event_at", "first_seen_at")
    return Case(**{k: (_aware(v) if k in times else v) for k, v in row.items()})
