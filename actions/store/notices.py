"""The outbox of notices: messages for the owner that no turn of theirs asked for.

A notice is written in the same transaction as the change that caused it, under a key naming
that cause, so a duplicate webhook or a repeated poll finds the key taken and adds nothing.

Delivered means said in its own conversation, and nothing less. Each attempt carries a fresh
delivery id: the notifier claims the notice with it (`claim_due`), the action that utters the
notice checks the conversation and records that this attempt said it (`mark_said`), and only
when Rasa then answers 200 (its output channel took every message) does the notifier mark it
`delivered` (`confirm`). Anything short of that (Rasa down, the push to the owner's relay
refused, the action not run or run in another conversation) leaves it to be retried with
backoff, and one that cannot be said is marked `failed` and reported, never dropped silently.
A notice said once and confirmed is never said again; one whose attempt was cut short after
the push may be said twice, and carries its id so the relay can drop the repeat.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.engine import Connection, Engine

from actions.core.clock import aware_utc, naive_utc, utc_now
from actions.store.schema import notices

FINAL = ("delivered", "superseded", "failed")
# How the action marks an attempt it refused for good (`not_said`): no retry can say it.
REFUSED_PREFIX = "refused:"
DEFERRED = "deferred"  # held back for the owner's quiet hours (see `add`)


@dataclass(frozen=True)
class Notice:
    kind: str
    params: dict[str, Any]
    subject: str | None = None  # the call (or case) it is about
    urgent: bool = False  # urgent notices are sent in quiet hours too
    dedupe_key: str | None = None


@dataclass(frozen=True)
class StoredNotice:
    id: int
    dedupe_key: str
    conversation_id: str
    output_channel: str
    kind: str
    subject: str | None
    params: dict[str, Any]
    urgent: bool
    status: str
    attempts: int
    created_at: datetime
    sent_at: datetime | None
    delivered_at: datetime | None
    # The attempt in flight (claim_due), and the attempt whose action said the notice.
    delivery: str | None = None
    said_by: str | None = None
    last_error: str | None = None


def _stored(row: Mapping[str, Any]) -> StoredNotice:
    return StoredNotice(
        id=row["id"],
        dedupe_key=row["dedupe_key"],
        conversation_id=row["conversation_id"],
        output_channel=row["output_channel"],
        kind=row["kind"],
        subject=row["subject"],
        params=json.loads(row["params"]),
        urgent=bool(row["urgent"]),
        status=row["status"],
        attempts=row["attempts"],
        created_at=aware_utc(row["created_at"]),  # type: ignore[arg-type]
        sent_at=aware_utc(row["sent_at"]),
        delivered_at=aware_utc(row["delivered_at"]),
        delivery=row.get("delivery"),
        said_by=row.get("said_by"),
        last_error=row.get("last_error"),
    )


class NoticeOutbox:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        # Set by the server: wakes the notifier (safe from any thread).
        self.on_queued: Callable[[], None] = lambda: None

    def queued(self) -> None:
        """Call after committing a transaction in which `add` queued a notice."""
        self.on_queued()

    def add(
        self,
        conn: Connection,
        notice: Notice,
        conversation_id: str,
        output_channel: str,
        hold_until: datetime | None = None,
    ) -> int | None:
        """Queue `notice` inside the caller's transaction; None when its key was already used.

        With `hold_until` (the end of the owner's quiet hours, on the world's clock) it waits,
        `deferred`, until `release_deferred` is called with a time past it."""
        key = notice.dedupe_key or f"{notice.subject}:{notice.kind}:{utc_now().isoformat()}"
        if conn.execute(select(notices.c.id).where(notices.c.dedupe_key == key)).first():
            return None
        now = naive_utc(utc_now())
        if notice.subject is not None and notice.kind in SUPERSEDED_BY_NEWER:
            # A queue position nobody has heard yet is worthless once a newer one exists.
            conn.execute(
                notices.update()
                .where(notices.c.subject == notice.subject)
                .where(notices.c.kind.in_(SUPERSEDED_BY_NEWER))
                .where(notices.c.status == "pending")
                .values(status="superseded")
            )
        result = conn.execute(
            notices.insert().values(
                dedupe_key=key,
                conversation_id=conversation_id,
                output_channel=output_channel,
                kind=notice.kind,
                subject=notice.subject,
                params=json.dumps(notice.params, default=str),
                urgent=notice.urgent,
                status="pending" if hold_until is None else DEFERRED,
                hold_until=naive_utc(hold_until),
                attempts=0,
                next_attempt_at=now,
                created_at=now,
            )
        )
        return int(result.inserted_primary_key[0])

    def enqueue(self, notice: Notice, conversation_id: str, output_channel: str) -> int | None:
        """Queue `notice` in a transaction of its own and wake the notifier."""
        with self._engine.begin() as conn:
            notice_id = self.add(conn, notice, conversation_id, output_channel)
        if notice_id is not None:
            self.queued()
        return notice_id

    def release_deferred(self, world_now: datetime) -> int:
        """Deferred notices whose quiet hours are over by `world_now` become pending."""
        with self._engine.begin() as conn:
            released = conn.execute(
                notices.update()
                .where(notices.c.status == DEFERRED)
                .where(notices.c.hold_until <= naive_utc(world_now))
                .values(status="pending", next_attempt_at=naive_utc(utc_now()))
            ).rowcount
        if released:
            self.queued()
        return released

    def has_deferred(self) -> bool:
        with self._engine.connect() as conn:
            found = conn.execute(select(notices.c.id).where(notices.c.status == DEFERRED).limit(1))
            return found.first() is not None

    def recover(self) -> int:
        """After a restart: sends cut short are made again (the action drops a second one)."""
        with self._engine.begin() as conn:
            return conn.execute(
                notices.update().where(notices.c.status == "sending").values(status="pending")
            ).rowcount

    def claim_due(self, limit: int = 50) -> list[StoredNotice]:
        """Pending notices that are due, oldest first, marked `sending`.

        A conversation's notices keep their order: behind one that waits for a retry, the
        later ones of that conversation wait too."""
        now = naive_utc(utc_now())
        with self._engine.begin() as conn:
            rows = (
                conn.execute(
                    select(notices)
                    .where(notices.c.status == "pending")
                    .order_by(notices.c.id)
                    .limit(max(limit * 10, 500))
                )
                .mappings()
                .all()
            )
            blocked: set[str] = set()
            claimed = []
            for row in rows:
                conversation = row["conversation_id"]
                if conversation in blocked:
                    continue
                if row["next_attempt_at"] > now:
                    blocked.add(conversation)
                    continue
                delivery = uuid.uuid4().hex
                taken = conn.execute(
                    notices.update()
                    .where(notices.c.id == row["id"])
                    .where(notices.c.status == "pending")
                    .values(status="sending", attempts=row["attempts"] + 1, delivery=delivery)
                ).rowcount
                if taken:
                    claimed.append(
                        _stored(
                            {
                                **row,
                                "status": "sending",
                                "attempts": row["attempts"] + 1,
                                "delivery": delivery,
                            }
                        )
                    )
                if len(claimed) >= limit:
                    break
            return claimed

    def release(self, notice_ids: list[int]) -> None:
        """Give claimed notices back unsent (an earlier one of their conversation failed)."""
        if not notice_ids:
            return
        with self._engine.begin() as conn:
            conn.execute(
                notices.update()
                .where(notices.c.id.in_(notice_ids))
                .where(notices.c.status == "sending")
                .values(status="pending", attempts=notices.c.attempts - 1)
            )

    def retry_later(self, notice_id: int, error: str, delay_s: float, give_up: bool) -> None:
        """Attempt failed: pending again after `delay_s`, or `failed` for good."""
        with self._engine.begin() as conn:
            conn.execute(
                notices.update()
                .where(notices.c.id == notice_id)
                .where(notices.c.status == "sending")
                .values(
                    status="failed" if give_up else "pending",
                    last_error=error[:500],
                    next_attempt_at=naive_utc(utc_now() + timedelta(seconds=delay_s)),
                )
            )

    def mark_said(self, notice_id: int, delivery: str) -> StoredNotice | None:
        """The action is about to utter the notice for attempt `delivery`: returns it, or None
        when that attempt is not the one in flight (a late duplicate, or already delivered)."""
        with self._engine.begin() as conn:
            taken = conn.execute(
                notices.update()
                .where(notices.c.id == notice_id)
                .where(notices.c.status == "sending")
                .where(notices.c.delivery == delivery)
                # Once per attempt, even if Rasa ran the action twice in one turn.
                .where(or_(notices.c.said_by.is_(None), notices.c.said_by != delivery))
                .values(said_by=delivery)
            ).rowcount
            if not taken:
                return None
            row = conn.execute(select(notices).where(notices.c.id == notice_id)).mappings().first()
        return _stored(row) if row else None

    def not_said(self, notice_id: int, delivery: str, reason: str) -> None:
        """The action refused attempt `delivery` (e.g. another conversation): why, for the
        notifier, which decides between a retry and giving up."""
        with self._engine.begin() as conn:
            conn.execute(
                notices.update()
                .where(notices.c.id == notice_id)
                .where(notices.c.delivery == delivery)
                .values(last_error=reason[:500])
            )

    def confirm(self, notice_id: int, delivery: str) -> bool:
        """Rasa answered 200 to attempt `delivery`: delivered if that attempt's action said it
        (Rasa's answer means its output channel took every message); False otherwise."""
        now = naive_utc(utc_now())
        with self._engine.begin() as conn:
            return bool(
                conn.execute(
                    notices.update()
                    .where(notices.c.id == notice_id)
                    .where(notices.c.status == "sending")
                    .where(notices.c.delivery == delivery)
                    .where(notices.c.said_by == delivery)
                    .values(status="delivered", sent_at=now, delivered_at=now, last_error=None)
                ).rowcount
            )

    def get(self, notice_id: int) -> StoredNotice | None:
        with self._engine.connect() as conn:
            row = conn.execute(select(notices).where(notices.c.id == notice_id)).mappings().first()
        return _stored(row) if row else None

    def all(self, subject: str | None = None) -> list[StoredNotice]:
        query = select(notices).order_by(notices.c.id)
        if subject is not None:
            query = query.where(notices.c.subject == subject)
        with self._engine.connect() as conn:
            return [_stored(r) for r in conn.execute(query).mappings().all()]


# Kinds where only the newest pending one is worth saying.
SUPERSEDED_BY_NEWER = ("call_queued", "call_position")
