"""The service desk's requests and answers, as Stand-in reads them (unknown fields are ignored)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from pydantic import BaseModel, Extra, Field


class _Model(BaseModel):
    class Config:
        extra = Extra.ignore


class Category(_Model):
    id: str
    name: str
    description: str = ""


class MenuOption(_Model):
    digit: str
    label: str
    topic: str | None = None
    queue: str | None = None
    next: MenuNode | None = None


class MenuNode(_Model):
    prompt: str = ""
    options: list[MenuOption] = []


MenuOption.update_forward_refs()


class Location(_Model):
    id: str
    name: str = ""
    city: str | None = None
    address: str | None = None
    timezone: str | None = None


class Provider(_Model):
    id: str
    name: str
    aliases: list[str] = []
    categories: list[Category] = []
    callbacks_offered: bool = False
    phone_number: str | None = None
    menu: MenuNode | None = None
    average_handle_time_s: int | None = None
    # Where appointments happen and parts go, what appointments are for (the first service is
    # the default) and the things a customer has there: company data, read, never coded.
    service_centres: list[Location] = []
    visit_locations: list[Location] = []
    services: list[str] = []
    keywords: list[str] = []
    parts_delivery: str | None = None
    # Where a problem that fits none of the other categories is filed (one of `categories`).
    general_category: str | None = None

    def category(self, category_id: str) -> Category | None:
        return next((c for c in self.categories if c.id == category_id), None)

    def general(self) -> Category | None:
        """The category for a problem that fits no other; None where the desk names none."""
        return self.category(self.general_category) if self.general_category else None

    @property
    def short_name(self) -> str:
        """What people call it ("Voltra"): its first alias, else its name."""
        return self.aliases[0] if self.aliases else self.name


class OnBehalfOf(_Model):
    name: str
    account_id: str | None = None


class TicketCreate(_Model):
    provider: str
    category: str
    summary: str = Field(..., min_length=1, max_length=200)
    description: str = Field(..., max_length=5000)
    severity: str = "normal"
    device_id: str | None = None
    on_behalf_of: OnBehalfOf


class Ticket(_Model):
    id: str
    provider: str
    category: str
    summary: str
    status: str
    severity: str = "normal"
    question: str | None = None
    # "identity" when only the account holder can answer (an extra field of the reference desk).
    question_kind: str | None = None
    account_id: str | None = None
    escalated: bool = False
    created_at: datetime
    updated_at: datetime


class TicketNote(_Model):
    id: str
    text: str
    at: str | None = None
    answers_question: str | None = None


class NoteAdded(_Model):
    note: TicketNote
    ticket: Ticket


class MeterReadingCreate(_Model):
    meter_id: str = Field(..., min_length=1)
    value: float
    unit: str
    read_at: str


class MeterReading(_Model):
    id: str
    meter_id: str
    value: float
    unit: str
    read_at: str
    status: str = "accepted"
    previous_value: float | None = None


class Slot(_Model):
    slot_id: str
    start: datetime
    end: datetime
    location: Location
    service: str | None = None
    provider: str | None = None


class AppointmentCreate(_Model):
    slot_id: str = Field(..., min_length=1)
    ticket_id: str | None = None
    notes: str | None = None
    service: str | None = None


class Appointment(_Model):
    id: str
    provider: str
    slot_id: str
    start: datetime
    end: datetime
    location: Location
    service: str | None = None
    ticket_id: str | None = None
    status: str
    account_id: str | None = None
    created_at: str | None = None
    updated_at: str


class Part(_Model):
    sku: str
    name: str
    price: float
    currency: str
    fits: list[str] = []


class PartOrderCreate(_Model):
    sku: str = Field(..., min_length=1)
    quantity: int = Field(1, ge=1, le=10)
    deliver_to_service_centre: str | None = None
    appointment_id: str | None = None


class PartOrder(_Model):
    id: str
    provider: str
    account_id: str | None = None
    sku: str
    name: str = ""
    quantity: int
    unit_price: float
    total: float
    currency: str
    deliver_to_service_centre: str | None = None
    appointment_id: str | None = None
    status: str
    created_at: str | None = None
    updated_at: str
    shipped_at: str | None = None


class WebhookSubscription(_Model):
    id: str
    url: str
    events: list[str] = []
    created_at: str | None = None


class CallAgent(_Model):
    id: str
    name: str


class CallStep(_Model):
    state: str
    at: datetime
    detail: str | None = None


class CallCallback(_Model):
    phone_number: str
    due_at: datetime
    not_before: datetime | None = None
    not_after: datetime | None = None
    status: str


class Call(_Model):
    """A call as the desk reports it (`GET /v1/calls/{id}`, and every call webhook's data)."""

    id: str
    provider: str
    state: str
    menu: MenuNode | None = None
    path: list[str] = []
    queue: str | None = None
    position: int | None = None
    estimated_wait_s: int | None = None
    agent: CallAgent | None = None
    ended_reason: str | None = None
    wrong_attempts: int = 0
    replayed: bool | None = None
    history: list[CallStep] = []
    callback: CallCallback | None = None
    transfer: dict[str, Any] | None = None
    created_at: datetime | None = None
    updated_at: datetime

    @property
    def version(self) -> str:
        """Orders snapshots of one call: the desk's update time, then its number of steps
        (two steps can share a time: the last queue move and the agent picking up)."""
        stamp = self.updated_at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")
        return f"{stamp}|{len(self.history):05d}"
