"""Stand-in's memory of device telemetry: the events, the incidents found in them and the
scheduled meter reading submissions (tables of revision 0008).

The intake writes with a connection inside its own transaction (an event, the incident or
submission it causes and the notice that tells the owner commit together); the worker reads
and moves incidents and submissions on with conditional updates.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection, Engine

from actions.core.clock import aware_utc, naive_utc, utc_now
from actions.core.samples import Sample
from actions.store.schema import device_incidents, meter_submissions, telemetry_events

# Incident stages the worker acts on; the rest wait for the owner or are over.
WORK_STAGES = ("report", "part", "slots", "notify")
ASK_OWNER, AWAITING_APPROVAL, AWAITING_SLOT = "ask_owner", "awaiting_approval", "awaiting_slot"
BOOKED, DONE, DISMISSED, FAILED = "booked", "done", "dismissed", "failed"
# Submission statuses.
PENDING, SENT, REJECTED = "pending", "sent", "rejected"
AWAITING_OWNER, DECLINED = "awaiting_owner", "declined"


@dataclass(frozen=True)
class Incident:
    id: int
    device_id: str
    problem_id: str
    provider: str
    stage: str
    severity: str
    conversation_id: str
    ticket_id: str | None
    part_state: str | None
    order_id: str | None
    location_id: str | None
    appointment_id: str | None
    first_at: datetime
    last_at: datetime
    repeats: int
    attempts: int
    open: bool
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Submission:
    id: int
    meter_id: str
    provider: str
    period: str
    event_id: str
    value: float
    unit: str
    read_at: datetime
    conversation_id: str
    status: str
    reading_id: str | None
    idempotency_key: str
    attempts: int
    last_error: str | None


def _incident(row: Mapping[str, Any]) -> Incident:
    return Incident(
        id=row["id"],
        device_id=row["device_id"],
        problem_id=row["problem_id"],
        provider=row["provider"],
        stage=row["stage"],
        severity=row["severity"],
        conversation_id=row["conversation_id"],
        ticket_id=row["ticket_id"],
        part_state=row["part_state"],
        order_id=row["order_id"],
        location_id=row["location_id"],
        appointment_id=row["appointment_id"],
        first_at=aware_utc(row["first_at"]),  # type: ignore[arg-type]
        last_at=aware_utc(row["last_at"]),  # type: ignore[arg-type]
        repeats=row["repeats"],
        attempts=row["attempts"],
        open=row["open_key"] is not None,
        data=json.loads(row["data"] or "{}"),
    )


def _submission(row: Mapping[str, Any]) -> Submission:
    return Submission(
        id=row["id"],
        meter_id=row["meter_id"],
        provider=row["provider"],
        period=row["period"],
        event_id=row["event_id"],
        value=row["value"],
        unit=row["unit"],
        read_at=aware_utc(row["read_at"]),  # type: ignore[arg-type]
        conversation_id=row["conversation_id"],
        status=row["status"],
        reading_id=row["reading_id"],
        idempotency_key=row["idempotency_key"],
        attempts=row["attempts"],
        last_error=row["last_error"],
    )


def open_key(device_id: str, problem_id: str) -> str:
    return f"{device_id}:{problem_id}"


class DeviceStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # --- events (inside the intake's transaction) ---------------------------------------

    @staticmethod
    def has_event(conn: Connection, device_id: str, event_id: str) -> bool:
        query = select(telemetry_events.c.id).where(
            telemetry_events.c.device_id == device_id, telemetry_events.c.event_id == event_id
        )
        return conn.execute(query).first() is not None

    @staticmethod
    def add_event(conn: Connection, device_id: str, values: Mapping[str, Any]) -> None:
        conn.execute(
            telemetry_events.insert().values(
                device_id=device_id,
                **{**values, "at": naive_utc(values["at"])},
                received_at=naive_utc(utc_now()),
            )
        )

    @staticmethod
    def last_reading(conn: Connection, meter_id: str) -> Sample | None:
        row = conn.execute(
            select(telemetry_events.c.at, telemetry_events.c.value)
            .where(telemetry_events.c.device_id == meter_id)
            .where(telemetry_events.c.type == "meter_reading")
            .where(telemetry_events.c.status == "accepted")
            .order_by(telemetry_events.c.at.desc())
            .limit(1)
        ).first()
        return Sample(aware_utc(row.at), row.value) if row else None  # type: ignore[arg-type]

    @staticmethod
    def metric_samples(
        conn: Connection, device_id: str, metric: str, until: datetime, back: timedelta
    ) -> list[Sample]:
        """The metric's samples from `until - back` to `until`, newest first."""
        rows = conn.execute(
            select(telemetry_events.c.at, telemetry_events.c.value)
            .where(telemetry_events.c.device_id == device_id)
            .where(telemetry_events.c.type == "metric")
            .where(telemetry_events.c.metric == metric)
            .where(telemetry_events.c.at <= naive_utc(until))
            .where(telemetry_events.c.at >= naive_utc(until - back))
            .order_by(telemetry_events.c.at.desc())
            .limit(5000)
        ).all()
        return [Sample(aware_utc(r.at), r.value) for r in rows]  # type: ignore[arg-type]

    def events(self, device_id: str) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(telemetry_events)
                .where(telemetry_events.c.device_id == device_id)
                .order_by(telemetry_events.c.at, telemetry_events.c.id)
            )
            return [dict(r) for r in rows.mappings().all()]

    # --- incidents ------------------------------------------------------------------------

    @staticmethod
    def open_incident(conn: Connection, device_id: str, problem_id: str) -> Incident | None:
        row = (
            conn.execute(
                select(device_incidents).where(
                    device_incidents.c.open_key == open_key(device_id, problem_id)
                )
            )
            .mappings()
            .first()
        )
        return _incident(row) if row else None

    @staticmethod
    def create_incident(conn: Connection, **values: Any) -> int:
        now = naive_utc(utc_now())
        result = conn.execute(
            device_incidents.insert().values(
                open_key=open_key(values["device_id"], values["problem_id"]),
                repeats=0,
                attempts=0,
                next_attempt_at=now,
                created_at=now,
                updated_at=now,
                **{
                    **values,
                    "first_at": naive_utc(values["first_at"]),
                    "last_at": naive_utc(values["last_at"]),
                    "data": json.dumps(values.get("data") or {}, default=str),
                },
            )
        )
        return int(result.inserted_primary_key[0])

    @staticmethod
    def note_repeat(conn: Connection, incident_id: int, at: datetime) -> None:
        conn.execute(
            device_incidents.update()
            .where(device_incidents.c.id == incident_id)
            .values(
                repeats=device_incidents.c.repeats + 1,
                last_at=naive_utc(at),
                updated_at=naive_utc(utc_now()),
            )
        )

    @staticmethod
    def close(conn: Connection, incident_id: int, stage: str | None = None) -> None:
        """The incident no longer covers its problem: the next detection opens a new one."""
        values: dict[str, Any] = {"open_key": None, "updated_at": naive_utc(utc_now())}
        if stage:
            values["stage"] = stage
        conn.execute(
            device_incidents.update().where(device_incidents.c.id == incident_id).values(**values)
        )

    def move(
        self, incident_id: int, from_stage: str | tuple[str, ...], **values: Any
    ) -> Incident | None:
        """Update the incident if it is still in `from_stage`; the new row, or None."""
        stages = (from_stage,) if isinstance(from_stage, str) else from_stage
        if "data" in values:
            values["data"] = json.dumps(values["data"], default=str)
        for name in ("next_attempt_at",):
            if name in values:
                values[name] = naive_utc(values[name])
        with self.engine.begin() as conn:
            moved = conn.execute(
                device_incidents.update()
                .where(device_incidents.c.id == incident_id)
                .where(device_incidents.c.stage.in_(stages))
                .values(**values, updated_at=naive_utc(utc_now()))
            ).rowcount
            if not moved:
                return None
            row = (
                conn.execute(select(device_incidents).where(device_incidents.c.id == incident_id))
                .mappings()
                .first()
            )
        return _incident(row) if row else None

    def incident(self, incident_id: int) -> Incident | None:
        with self.engine.connect() as conn:
            row = (
                conn.execute(select(device_incidents).where(device_incidents.c.id == incident_id))
                .mappings()
                .first()
            )
        return _incident(row) if row else None

    def incidents(self, stage: str | None = None, device_id: str | None = None) -> list[Incident]:
        query = select(device_incidents).order_by(device_incidents.c.id)
        if stage is not None:
            query = query.where(device_incidents.c.stage == stage)
        if device_id is not None:
            query = query.where(device_incidents.c.device_id == device_id)
        with self.engine.connect() as conn:
            return [_incident(r) for r in conn.execute(query).mappings().all()]

    def due_incidents(self, now: datetime, limit: int = 20) -> list[Incident]:
        query = (
            select(device_incidents)
            .where(device_incidents.c.stage.in_(WORK_STAGES))
            .where(device_incidents.c.next_attempt_at <= naive_utc(now))
            .order_by(device_incidents.c.next_attempt_at, device_incidents.c.id)
            .limit(limit)
        )
        with self.engine.connect() as conn:
            return [_incident(r) for r in conn.execute(query).mappings().all()]

    # --- meter submissions ----------------------------------------------------------------

    @staticmethod
    def has_submission(conn: Connection, meter_id: str, period: str) -> bool:
        query = select(meter_submissions.c.id).where(
            meter_submissions.c.meter_id == meter_id, meter_submissions.c.period == period
        )
        return conn.execute(query).first() is not None

    @staticmethod
    def add_submission(conn: Connection, **values: Any) -> int:
        now = naive_utc(utc_now())
        result = conn.execute(
            meter_submissions.insert().values(
                attempts=0,
                next_attempt_at=now,
                created_at=now,
                **{**values, "read_at": naive_utc(values["read_at"])},
            )
        )
        return int(result.inserted_primary_key[0])

    def due_submissions(self, now: datetime, limit: int = 20) -> list[Submission]:
        query = (
            select(meter_submissions)
            .where(meter_submissions.c.status == PENDING)
            .where(meter_submissions.c.next_attempt_at <= naive_utc(now))
            .order_by(meter_submissions.c.id)
            .limit(limit)
        )
        with self.engine.connect() as conn:
            return [_submission(r) for r in conn.execute(query).mappings().all()]

    def move_submission(self, submission_id: int, from_status: str, **values: Any) -> bool:
        for name in ("next_attempt_at", "sent_at"):
            if name in values:
                values[name] = naive_utc(values[name])
        with self.engine.begin() as conn:
            return (
                conn.execute(
                    meter_submissions.update()
                    .where(meter_submissions.c.id == submission_id)
                    .where(meter_submissions.c.status == from_status)
                    .values(**values)
                ).rowcount
                > 0
            )

    def submission(self, submission_id: int) -> Submission | None:
        with self.engine.connect() as conn:
            row = (
                conn.execute(
                    select(meter_submissions).where(meter_submissions.c.id == submission_id)
                )
                .mappings()
                .first()
            )
        return _submission(row) if row else None

    def submissions(self, meter_id: str | None = None) -> list[Submission]:
        query = select(meter_submissions).order_by(meter_submissions.c.id)
        if meter_id is not None:
            query = query.where(meter_submissions.c.meter_id == meter_id)
        with self.engine.connect() as conn:
            return [_submission(r) for r in conn.execute(query).mappings().all()]
