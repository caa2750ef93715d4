"""Handoffs: the owner brought in at a point of the catalogue, and what came of it.

A handoff is opened when Stand-in asks the owner (`waiting`, with the point's deadline), and
leaves `waiting` exactly once, by a conditional update:
- `answered`: the owner answered (the outcome says how);
- `lapsed`: the deadline passed; the point's safe default applies and the owner is told, by a
  notice queued in the same transaction;
- `withdrawn`: the question no longer stands (the owner stopped the task, or asked again).

The hold monitor calls `lapse_due` every second or so. The owner's answer and the lapse race
on the same conditional update, so only one of them ever acts.

`agent_connected` is carried by the call tracker (its deadline starts when the question
reached the owner, and its safe default talks to the company); the tracker mirrors it here so
that the record of handoffs is complete.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Engine

from actions.core.clock import aware_utc, naive_utc, utc_now
from actions.handoff.catalogue import HandoffCatalogue
from actions.notify.channels import push_channel
from actions.store.notices import Notice, NoticeOutbox
from actions.store.schema import handoffs

WAITING, ANSWERED, LAPSED, WITHDRAWN = "waiting", "answered", "lapsed", "withdrawn"
# Points whose lapse someone else carries out (see the module's docstring).
LAPSED_ELSEWHERE = ("agent_connected",)
LAPSE_NOTICE = "handoff_lapsed"


@dataclass(frozen=True)
class Handoff:
    id: int
    point: str
    conversation_id: str
    provider: str | None
    subject: str | None
    status: str
    asked_at: datetime
    deadline: datetime | None
    closed_at: datetime | None
    outcome: str | None
    data: dict[str, Any] = field(default_factory=dict)


def _handoff(row: Mapping[str, Any]) -> Handoff:
    return Handoff(
        id=row["id"],
        point=row["point"],
        conversation_id=row["conversation_id"],
        provider=row["provider"],
        subject=row["subject"],
        status=row["status"],
        asked_at=aware_utc(row["asked_at"]),  # type: ignore[arg-type]
        deadline=aware_utc(row["deadline"]),
        closed_at=aware_utc(row["closed_at"]),
        outcome=row["outcome"],
        data=json.loads(row["data"]) if row["data"] else {},
    )


class HandoffRegistry:
    def __init__(
        self,
        engine: Engine,
        outbox: NoticeOutbox,
        catalogue: HandoffCatalogue,
        wait_s: Callable[[str], float],
    ) -> None:
        self._engine = engine
        self._outbox = outbox
        self.catalogue = catalogue
        self._wait_s = wait_s

    def open(
        self,
        point: str,
        conversation_id: str,
        *,
        provider: str | None = None,
        subject: str | None = None,
        data: Mapping[str, Any] | None = None,
        output_channel: str = "callback",
        now: datetime | None = None,
    ) -> Handoff:
        """Record that the owner was asked at `point`. An earlier question of the same point
        about the same subject in this conversation is withdrawn: only the newest stands."""
        self.catalogue.point(point)  # KeyError for a point the catalogue does not declare
        now = now or utc_now()
        wait = self._wait_s(point)
        deadline = now + timedelta(seconds=wait) if wait > 0 else None
        values = {
            "point": point,
            "conversation_id": conversation_id,
            "provider": provider,
            "subject": subject,
            "status": WAITING,
            "asked_at": naive_utc(now),
            "deadline": naive_utc(deadline),
            "data": json.dumps({**(data or {}), "output_channel": output_channel}, default=str),
        }
        with self._engine.begin() as conn:
            conn.execute(
                self._waiting(conversation_id, point, subject).values(
                    status=WITHDRAWN, closed_at=naive_utc(now), outcome="asked_again"
                )
            )
            new_id = conn.execute(handoffs.insert().values(**values)).inserted_primary_key[0]
            row = conn.execute(select(handoffs).where(handoffs.c.id == new_id)).mappings().one()
        return _handoff(row)

    def answer(
        self, conversation_id: str, point: str, outcome: str, subject: str | None = None
    ) -> Handoff | None:
        """The owner answered; None when nothing of that point was waiting (or it lapsed)."""
        return self._close(conversation_id, point, subject, ANSWERED, outcome)

    def withdraw(
        self, conversation_id: str, point: str, outcome: str, subject: str | None = None
    ) -> Handoff | None:
        return self._close(conversation_id, point, subject, WITHDRAWN, outcome)

    def withdraw_all(self, conversation_id: str, points: tuple[str, ...], outcome: str) -> int:
        """Withdraw every waiting question of `points` in the conversation, in one UPDATE."""
        with self._engine.begin() as conn:
            return conn.execute(
                handoffs.update()
                .where(handoffs.c.conversation_id == conversation_id)
                .where(handoffs.c.point.in_(points))
                .where(handoffs.c.status == WAITING)
                .values(status=WITHDRAWN, closed_at=naive_utc(utc_now()), outcome=outcome[:60])
            ).rowcount

    def lapse(
        self, conversation_id: str, point: str, outcome: str, subject: str | None = None
    ) -> Handoff | None:
        """For a point whose lapse is carried out elsewhere (LAPSED_ELSEWHERE)."""
        return self._close(conversation_id, point, subject, LAPSED, outcome)

    def waiting(
        self,
        conversation_id: str | None = None,
        point: str | None = None,
        provider: str | None = None,
    ) -> list[Handoff]:
        query = select(handoffs).where(handoffs.c.status == WAITING).order_by(handoffs.c.id)
        if conversation_id is not None:
            query = query.where(handoffs.c.conversation_id == conversation_id)
        if point is not None:
            query = query.where(handoffs.c.point == point)
        if provider is not None:
            query = query.where(handoffs.c.provider == provider)
        with self._engine.connect() as conn:
            return [_handoff(r) for r in conn.execute(query).mappings().all()]

    def history(
        self, conversation_id: str | None = None, since: datetime | None = None
    ) -> list[Handoff]:
        query = select(handoffs).order_by(handoffs.c.id)
        if conversation_id is not None:
            query = query.where(handoffs.c.conversation_id == conversation_id)
        if since is not None:
            query = query.where(handoffs.c.asked_at >= naive_utc(since))
        with self._engine.connect() as conn:
            return [_handoff(r) for r in conn.execute(query).mappings().all()]

    def subjects(self, wanted: list[str]) -> set[str]:
        """Which of `wanted` any handoff (in any state) is about."""
        if not wanted:
            return set()
        query = select(handoffs.c.subject).where(handoffs.c.subject.in_(wanted))
        with self._engine.connect() as conn:
            return {row[0] for row in conn.execute(query)}

    def latest(self, conversation_id: str, point: str) -> Handoff | None:
        """The newest handoff of `point` in the conversation, whatever its state."""
        query = (
            select(handoffs)
            .where(handoffs.c.conversation_id == conversation_id)
            .where(handoffs.c.point == point)
            .order_by(handoffs.c.id.desc())
            .limit(1)
        )
        with self._engine.connect() as conn:
            row = conn.execute(query).mappings().first()
        return _handoff(row) if row else None

    def get(self, handoff_id: int) -> Handoff | None:
        with self._engine.connect() as conn:
            row = conn.execute(select(handoffs).where(handoffs.c.id == handoff_id)).mappings()
            found = row.first()
        return _handoff(found) if found else None

    def lapse_due(self, now: datetime | None = None) -> list[Handoff]:
        """Every waiting handoff past its deadline moves to `lapsed` with its point's safe
        default, and the owner is told by a notice queued in the same transaction."""
        now = now or utc_now()
        lapsed: list[Handoff] = []
        query = (
            select(handoffs)
            .where(handoffs.c.status == WAITING)
            .where(handoffs.c.deadline.is_not(None))
            .where(handoffs.c.deadline <= naive_utc(now))
            .where(handoffs.c.point.not_in(LAPSED_ELSEWHERE))
            .order_by(handoffs.c.id)
            .limit(500)
        )
        with self._engine.connect() as conn:
            due = [_handoff(r) for r in conn.execute(query).mappings().all()]
        for item in due:
            default = self.catalogue.point(item.point).on_no_answer
            with self._engine.begin() as conn:
                taken = conn.execute(
                    handoffs.update()
                    .where(handoffs.c.id == item.id)
                    .where(handoffs.c.status == WAITING)
                    .values(status=LAPSED, closed_at=naive_utc(now), outcome=default)
                ).rowcount
                if not taken:
                    continue  # the owner answered in the meantime
                params = {
                    "point": item.point,
                    "provider": item.provider,
                    "subject": item.subject,
                    "handoff_id": item.id,
                    **{k: v for k, v in item.data.items() if k in NOTICE_FIELDS},
                }
                self._outbox.add(
                    conn,
                    Notice(
                        LAPSE_NOTICE,
                        params,
                        subject=item.subject,
                        dedupe_key=f"handoff:{item.id}:lapsed",
                    ),
                    item.conversation_id,
                    str(item.data.get("output_channel") or "callback"),
                )
            lapsed.append(self.get(item.id) or item)
        if lapsed:
            self._outbox.queued()
        return lapsed

    def _waiting(self, conversation_id: str, point: str, subject: str | None) -> Any:
        update = (
            handoffs.update()
            .where(handoffs.c.conversation_id == conversation_id)
            .where(handoffs.c.point == point)
            .where(handoffs.c.status == WAITING)
        )
        if subject is not None:
            update = update.where(handoffs.c.subject == subject)
        return update

    def _close(
        self,
        conversation_id: str,
        point: str,
        subject: str | None,
        status: str,
        outcome: str,
    ) -> Handoff | None:
        now = naive_utc(utc_now())
        with self._engine.begin() as conn:
            query = (
                select(handoffs.c.id)
                .where(handoffs.c.conversation_id == conversation_id)
                .where(handoffs.c.point == point)
                .where(handoffs.c.status == WAITING)
                .order_by(handoffs.c.id.desc())
            )
            if subject is not None:
                query = query.where(handoffs.c.subject == subject)
            found = conn.execute(query).first()
            if found is None:
                return None
            taken = conn.execute(
                handoffs.update()
                .where(handoffs.c.id == found[0])
                .where(handoffs.c.status == WAITING)
                .values(status=status, closed_at=now, outcome=outcome[:60])
            ).rowcount
        return self.get(found[0]) if taken else None


# What of a handoff's data a lapse notice may carry to the owner (never an answer).
NOTICE_FIELDS = ("provider_name", "ticket_id", "item", "amount", "currency", "what", "question")


async def ask_owner(
    svc: Any,
    tracker: Any,
    point: str,
    *,
    provider: str | None = None,
    subject: str | None = None,
    data: Mapping[str, Any] | None = None,
) -> None:
    """From an action that has just asked the owner: open the handoff of `point`."""
    await asyncio.to_thread(
        svc.handoffs.open,
        point,
        tracker.sender_id,
        provider=provider,
        subject=subject,
        data=data,
        output_channel=push_channel(svc.settings, tracker),
    )


async def owner_answered(
    svc: Any, tracker: Any, point: str, outcome: str, subject: str | None = None
) -> Handoff | None:
    return await asyncio.to_thread(svc.handoffs.answer, tracker.sender_id, point, outcome, subject)
