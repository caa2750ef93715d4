"""The audit log: every request sent to a provider, as the desk client recorded it."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select

from actions.core.clock import aware_utc, naive_utc
from actions.providers.desk_audit import OUTCOMES, AuditEntry
from actions.store.database import Database
from actions.store.schema import audit_log

_AUDIT_INSERT = audit_log.insert()


class AuditLog(Database):
    """The `audit_log` table: appended by the desk client's sink, read by the case summary."""

    def record_request(self, entry: AuditEntry) -> int:
        """Append one request to the audit log; returns the row id."""
        if entry.outcome not in OUTCOMES:
            raise ValueError(f"unknown outcome {entry.outcome!r}")
        body = None if entry.request_body is None else json.dumps(entry.request_body, default=str)
        row = {
            "at": naive_utc(entry.at),
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
            query = query.where(audit_log.c.at >= naive_utc(since))
        if until is not None:
            query = query.where(audit_log.c.at < naive_utc(until))
        if provider is not None:
            query = query.where(audit_log.c.provider == provider)
        if conversation_id is not None:
            query = query.where(audit_log.c.conversation_id == conversation_id)
        with self._engine.connect() as conn:
            rows = conn.execute(query).mappings().all()
        return [audit_entry(row) for row in rows]


def audit_entry(row: Mapping[str, Any]) -> AuditEntry:
    """An `audit_log` row as an AuditEntry; a body that is not JSON is kept as its text."""
    raw = row["request_body"]
    try:
        body = json.loads(raw) if raw else None
    except ValueError:
        body = raw
    return AuditEntry(**{**row, "at": aware_utc(row["at"]), "request_body": body})
