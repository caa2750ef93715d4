"""Consents: the owner's decisions on money, and which request used each one."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from actions.core.clock import aware_utc, naive_utc, utc_now
from actions.store.database import Database
from actions.store.schema import consents


class ConsentRecords(Database):
    """The `consents` table."""

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
        now = naive_utc(utc_now())
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
                    asked_at=naive_utc(asked_at) or now,
                    decided_at=now,
                    data=None if data is None else json.dumps(dict(data), default=str),
                    owner_words=owner_words,
                    expires_at=naive_utc(expires_at),
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
            .where(consents.c.expires_at > naive_utc(now))
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
            .values(used_at=func.coalesce(consents.c.used_at, naive_utc(utc_now())))
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


def _consent(row: Mapping[str, Any]) -> dict[str, Any]:
    times = ("asked_at", "decided_at", "expires_at", "used_at")
    found = {k: (aware_utc(v) if k in times else v) for k, v in row.items()}
    found["data"] = json.loads(row["data"]) if row["data"] else {}
    return found
