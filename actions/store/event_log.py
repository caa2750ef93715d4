"""The provider webhook events received: each seen once, with what handling it came to."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from actions.core.clock import naive_utc
from actions.store.database import Database
from actions.store.schema import webhook_events


class EventLog(Database):
    """The `webhook_events` table."""

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
                        created_at=naive_utc(created_at),
                        received_at=naive_utc(received_at),
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
