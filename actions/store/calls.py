"""Stand-in's record of its phone calls: one row per call, every step, and the hold's state.

Snapshots from the desk (a webhook, a poll, the answer to a key press) are applied with a
compare-and-set on the stored version, so two arriving at once cannot both win, and an older
one never moves a call backwards. The steps and notices a change causes are written in the
same transaction as the change.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Engine

from actions.core.clock import aware_utc, naive_utc, utc_now
from actions.providers.desk_models import Call
from actions.store.notices import Notice, NoticeOutbox
from actions.store.schema import call_steps, calls

# Desk states in which Stand-in still follows the call.
ACTIVE_STATES = ("ivr", "queued", "agent_connected", "callback_scheduled", "transferred")


@dataclass(frozen=True)
class CallRecord:
    call_id: str
    provider: str
    account_id: str | None
    reason: str | None
    topic: str | None
    state: str
    conversation_id: str | None
    output_channel: str | None
    desk_version: str | None
    position: int | None
    estimated_wait_s: int | None
    outcome: str | None
    handoff: str | None
    handoff_deadline: datetime | None
    notify: dict[str, Any]
    snapshot: dict[str, Any]
    created_at: datetime | None
    updated_at: datetime

    @property
    def active(self) -> bool:
        return self.state in ACTIVE_STATES


@dataclass(frozen=True)
class Step:
    call_id: str
    at: datetime
    kind: str
    detail: str | None = None
    data: dict[str, Any] | None = None


@dataclass
class Change:
    """What applying one snapshot does, decided by the tracker from the record and snapshot."""

    values: dict[str, Any] = field(default_factory=dict)  # extra columns to set
    notify: dict[str, Any] | None = None  # the new notify state, when it changes
    steps: list[Step] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)


def _record(row: Mapping[str, Any]) -> CallRecord:
    return CallRecord(
        call_id=row["call_id"],
        provider=row["provider"],
        account_id=row["account_id"],
        reason=row["reason"],
        topic=row["topic"],
        state=row["state"],
        conversation_id=row["conversation_id"],
        output_channel=row["output_channel"],
        desk_version=row["desk_version"],
        position=row["position"],
        estimated_wait_s=row["estimated_wait_s"],
        outcome=row["outcome"],
        handoff=row["handoff"],
        handoff_deadline=aware_utc(row["handoff_deadline"]),
        notify=json.loads(row["notify_state"]) if row["notify_state"] else {},
        snapshot=json.loads(row["data"]) if row["data"] else {},
        created_at=aware_utc(row["created_at"]),
        updated_at=aware_utc(row["updated_at"]),  # type: ignore[arg-type]
    )


def _snapshot_values(call: Call) -> dict[str, Any]:
    return {
        "state": call.state,
        "desk_version": call.version,
        "position": call.position,
        "estimated_wait_s": call.estimated_wait_s,
        "data": call.json(),
        "updated_at": naive_utc(utc_now()),
    }


class CallStore:
    """Thread-safe like the case memory: each method has its own connection and transaction."""

    def __init__(self, engine: Engine, outbox: NoticeOutbox) -> None:
        self._engine = engine
        self._outbox = outbox

    def create(
        self,
        call: Call,
        *,
        account_id: str | None,
        reason: str,
        topic: str | None,
        conversation_id: str,
        output_channel: str,
        notify: dict[str, Any],
        steps: list[Step],
    ) -> CallRecord:
        with self._engine.begin() as conn:
            exists = conn.execute(select(calls.c.call_id).where(calls.c.call_id == call.id))
            if exists.first() is None:
                conn.execute(
                    calls.insert().values(
                        call_id=call.id,
                        provider=call.provider,
                        account_id=account_id,
                        reason=reason,
                        topic=topic,
                        conversation_id=conversation_id,
                        output_channel=output_channel,
                        notify_state=json.dumps(notify),
                        created_at=naive_utc(call.created_at or utc_now()),
                        **_snapshot_values(call),
                    )
                )
                self._add_steps(conn, steps)
        record = self.get(call.id)
        assert record is not None
        return record

    def get(self, call_id: str) -> CallRecord | None:
        with self._engine.connect() as conn:
            row = conn.execute(select(calls).where(calls.c.call_id == call_id)).mappings().first()
        return _record(row) if row else None

    def active(self) -> list[CallRecord]:
        with self._engine.connect() as conn:
            rows = conn.execute(select(calls).where(calls.c.state.in_(ACTIVE_STATES)))
            return [_record(r) for r in rows.mappings().all()]

    def latest(
        self,
        provider: str | None = None,
        conversation_id: str | None = None,
        active_only: bool = False,
    ) -> list[CallRecord]:
        """Calls newest first, optionally for one provider or conversation, or active only."""
        query = select(calls).order_by(calls.c.created_at.desc(), calls.c.call_id.desc())
        if provider is not None:
            query = query.where(calls.c.provider == provider)
        if conversation_id is not None:
            query = query.where(calls.c.conversation_id == conversation_id)
        if active_only:
            query = query.where(calls.c.state.in_(ACTIVE_STATES))
        with self._engine.connect() as conn:
            return [_record(r) for r in conn.execute(query).mappings().all()]

    def apply(
        self, call: Call, decide: Callable[[CallRecord, Call], Change | None]
    ) -> tuple[CallRecord, Change] | None:
        """Apply a snapshot newer than the stored one; None when it is stale or not ours.

        `decide` may run more than once when a concurrent writer wins the race."""
        for _ in range(10):
            record = self.get(call.id)
            if record is None or (record.desk_version and call.version <= record.desk_version):
                return None
            if record.provider != call.provider:
                return None  # another provider's call of that id: never applied to ours
            change = decide(record, call)
            if change is None:
                return None
            values = {**_snapshot_values(call), **change.values}
            if change.notify is not None:
                values["notify_state"] = json.dumps(change.notify)
            with self._engine.begin() as conn:
                won = conn.execute(
                    calls.update()
                    .where(calls.c.call_id == call.id)
                    .where(
                        calls.c.desk_version == record.desk_version
                        if record.desk_version is not None
                        else calls.c.desk_version.is_(None)
                    )
                    .values(**values)
                ).rowcount
                if not won:
                    continue
                self._add_steps(conn, change.steps)
                self._add_notices(conn, record, change.notices)
            updated = self.get(call.id)
            assert updated is not None
            return updated, change
        raise RuntimeError(f"call {call.id}: could not apply a snapshot after 10 races")

    def update(
        self,
        call_id: str,
        *,
        expect: Mapping[str, Any] | None = None,
        notify: dict[str, Any] | None = None,
        steps: list[Step] | None = None,
        notices: list[Notice] | None = None,
        **values: Any,
    ) -> bool:
        """Set columns (only where the columns in `expect` hold those values); True if set.

        The conditional form is how a handoff is claimed: exactly one of the owner's answer
        and the timeout can move it from `waiting`."""
        stmt = calls.update().where(calls.c.call_id == call_id)
        for column, value in (expect or {}).items():
            col = calls.c[column]
            stmt = stmt.where(col.is_(None) if value is None else col == value)
        if notify is not None:
            values["notify_state"] = json.dumps(notify)
        if "handoff_deadline" in values:
            values["handoff_deadline"] = naive_utc(values["handoff_deadline"])
        values["updated_at"] = naive_utc(utc_now())
        with self._engine.begin() as conn:
            if not conn.execute(stmt.values(**values)).rowcount:
                return False
            self._add_steps(conn, steps or [])
            if notices:
                record = conn.execute(select(calls).where(calls.c.call_id == call_id))
                self._add_notices(conn, _record(record.mappings().one()), notices)
        return True

    def add_steps(self, steps: list[Step]) -> None:
        with self._engine.begin() as conn:
            self._add_steps(conn, steps)

    def steps(self, call_id: str) -> list[Step]:
        query = select(call_steps).where(call_steps.c.call_id == call_id).order_by(call_steps.c.id)
        with self._engine.connect() as conn:
            return [
                Step(
                    call_id=r["call_id"],
                    at=aware_utc(r["at"]),  # type: ignore[arg-type]
                    kind=r["kind"],
                    detail=r["detail"],
                    data=json.loads(r["data"]) if r["data"] else None,
                )
                for r in conn.execute(query).mappings().all()
            ]

    def expired_handoffs(self, now: datetime) -> list[CallRecord]:
        query = (
            select(calls)
            .where(calls.c.handoff == "waiting")
            .where(calls.c.handoff_deadline <= naive_utc(now))
        )
        with self._engine.connect() as conn:
            return [_record(r) for r in conn.execute(query).mappings().all()]

    @staticmethod
    def _add_steps(conn: Any, steps: list[Step]) -> None:
        if steps:
            conn.execute(
                call_steps.insert(),
                [
                    {
                        "call_id": s.call_id,
                        "at": naive_utc(s.at),
                        "recorded_at": naive_utc(utc_now()),
                        "kind": s.kind,
                        "detail": s.detail,
                        "data": json.dumps(s.data, default=str) if s.data else None,
                    }
                    for s in steps
                ],
            )

    def _add_notices(self, conn: Any, record: CallRecord, notices: list[Notice]) -> None:
        for notice in notices:
            if record.conversation_id:
                self._outbox.add(
                    conn, notice, record.conversation_id, record.output_channel or "callback"
                )
