"""Appointment slots and bookings."""

from __future__ import annotations

from typing import Any

from pydantic import Field, constr

from .base import (
    Client,
    Request,
    Response,
    UtcTime,
)
from .providers import (
    Location,
)


class SlotsQuery(Request):
    provider: str | None = None
    service: str | None = None
    from_: UtcTime | None = Field(None, alias="from")
    to: UtcTime | None = None
    location: str | None = None


class Slot(Response):
    slot_id: str
    start: str
    end: str
    location: Location
    service: str


class SlotList(Response):
    slots: list[Slot]


class AppointmentCreate(Request):
    slot_id: constr(min_length=1, max_length=200)  # type: ignore[valid-type]
    ticket_id: str | None = None
    notes: constr(max_length=2000) | None = None  # type: ignore[valid-type]
    service: str | None = None


class Reschedule(Request):
    slot_id: constr(min_length=1, max_length=200)  # type: ignore[valid-type]


class Appointment(Response):
    id: str
    provider: str
    account_id: str
    slot_id: str
    start: str
    end: str
    location: Location
    service: str
    ticket_id: str | None
    notes: str | None
    status: str = Field(..., description="booked or cancelled")
    client: Client
    created_at: str
    updated_at: str
    history: list[dict[str, Any]]


class AppointmentList(Response):
    appointments: list[Appointment]
