"""Pydantic models: request bodies and queries (validated) and responses (documented).

The OpenAPI document is generated from these, so they are the single description of the API.
"""

from __future__ import annotations

from datetime import datetime, timezone
from enum import Enum
from typing import Any

from pydantic import AnyHttpUrl, BaseModel, Extra, Field, confloat, conint, constr, validator
from pydantic.datetime_parse import parse_datetime

PHONE_RE = r"^\+[1-9]\d{6,14}$"
MAX_ADVANCE_S = 30 * 24 * 3600

EVENT_TYPES = [
    "call.queued",
    "call.position_changed",
    "call.agent_connected",
    "call.ended",
    "call.callback_due",
    "ticket.status_changed",
    "ticket.awaiting_customer",
    "appointment.changed",
    "parts_order.shipped",
]


class UtcTime(datetime):
    """An ISO 8601 time (no zone means UTC), limited to years 2000-2100 so arithmetic is safe."""

    @classmethod
    def __get_validators__(cls):  # type: ignore[no-untyped-def]
        yield parse_datetime
        yield cls._check

    @classmethod
    def _check(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        if not 2000 <= value.astimezone(timezone.utc).year <= 2100:
            raise ValueError("must be a time between the years 2000 and 2100")
        return value

    @classmethod
    def __modify_schema__(cls, field_schema: dict[str, Any]) -> None:
        field_schema.update(type="string", format="date-time")


class Request(BaseModel):
    class Config:
        extra = Extra.ignore
        anystr_strip_whitespace = True
        allow_inf_nan = False  # NaN/Infinity are valid Python JSON but never a valid value


class Response(BaseModel):
    class Config:
        extra = Extra.allow


# -- enums --------------------------------------------------------------------------------------
class Severity(str, Enum):
    low = "low"
    normal = "normal"
    high = "high"
    urgent = "urgent"


class TicketStatus(str, Enum):
    open = "open"
    in_progress = "in_progress"
    awaiting_customer = "awaiting_customer"
    resolved = "resolved"
    closed = "closed"
    cancelled = "cancelled"


class QuestionKind(str, Enum):
    general = "general"
    identity = "identity"  # only the account holder knows the answer (an identity check)


class CallState(str, Enum):
    ivr = "ivr"
    queued = "queued"
    agent_connected = "agent_connected"
    transferred = "transferred"
    callback_scheduled = "callback_scheduled"
    ended = "ended"


# -- shared pieces ------------------------------------------------------------------------------
class Client(Response):
    kind: str = Field(..., description="machine or human")
    software: str | None = Field(None, description="From X-Machine-Customer, e.g. Stand-in/0.1.0")


class ErrorBody(Response):
    code: str
    message: str
    details: dict[str, Any] = {}


class Error(Response):
    error: ErrorBody


class Health(Response):
    status: str


# -- providers and account ----------------------------------------------------------------------
class Category(Response):
    id: str
    name: str
    description: str


class MenuOption(Response):
    digit: str
    label: str
    topic: str
    queue: str | None = Field(None, description="Set on leaves: the queue the call joins")
    next: MenuNode | None = Field(None, description="Set on branches: the next menu")


class MenuNode(Response):
    prompt: str
    options: list[MenuOption]


MenuOption.update_forward_refs()


class SupportHours(Response):
    timezone: str
    days: list[str]
    open: str
    close: str


class Location(Response):
    id: str
    name: str
    city: str | None
    address: str
    timezone: str | None = None


class Provider(Response):
    id: str
    name: str
    aliases: list[str]
    kind: str
    phone_number: str
    categories: list[Category]
    menu: MenuNode
    support_hours: SupportHours
    average_handle_time_s: int
    typical_wait_s: int
    agents: int
    callbacks_offered: bool
    service_centres: list[Location] = Field(
        ..., description="Where the provider's customers bring what they own; parts can go there"
    )
    services: list[str] = Field(
        ..., description="The services its appointments are for, the first being the default"
    )
    technician_visits: bool
    visit_locations: list[Location] = Field(
        ..., description="Where its technicians visit (the customer's address), for appointments"
    )
    keywords: list[str] = Field(
        ...,
        description="Words for what a customer has with the provider (router, car, fridge):"
        " a customer who names one means this provider",
    )
    parts_delivery: str | None = Field(
        ...,
        description="Where parts go when the provider has no service centres (one of"
        " visit_locations' ids: parts come with the technician); null where it sends no parts",
    )


class ProviderList(Response):
    providers: list[Provider]


class Device(Response):
    device_id: str
    kind: str
    model: str
    name: str


class LastReading(Response):
    value: float
    read_at: str


class Meter(Response):
    meter_id: str
    kind: str
    unit: str
    last_reading: LastReading


class Owner(Response):
    name: str
    phone: str


class Account(Response):
    account_id: str
    provider: str
    owner: Owner
    devices: list[Device]
    meters: list[Meter]


# -- tickets ------------------------------------------------------------------------------------
class OnBehalfOf(Request):
    name: constr(min_length=1, max_length=200)  # type: ignore[valid-type]
    account_id: str | None = None
    phone: str | None = None


class TicketCreate(Request):
    provider: str
    category: str
    summary: constr(min_length=1, max_length=200)  # type: ignore[valid-type]
    description: constr(max_length=5000)  # type: ignore[valid-type]
    severity: Severity
    device_id: str | None = None
    on_behalf_of: OnBehalfOf


class TicketsQuery(Request):
    status: TicketStatus | None = None
    provider: str | None = None


class TicketEscalate(Request):
    reason: constr(min_length=1, max_length=1000)  # type: ignore[valid-type]


class NoteCreate(Request):
    text: constr(min_length=1, max_length=5000)  # type: ignore[valid-type]


class StatusAt(Response):
    status: str
    at: str
    event: str | None = Field(
        None, description="Set on entries that are not a status change, e.g. escalated"
    )


class Note(Response):
    id: str
    text: str
    at: str
    client: Client
    answers_question: str | None = None


class Ticket(Response):
    id: str
    provider: str
    account_id: str
    category: str
    summary: str
    description: str
    severity: Severity
    device_id: str | None
    status: TicketStatus
    question: str | None
    question_kind: QuestionKind | None = Field(
        None,
        description="Set with question: general, or identity (a check only the account holder"
        " can answer, e.g. a security question or the last payment amount)",
    )
    notes: list[Note]
    on_behalf_of: dict[str, Any]
    client: Client
    created_at: str
    updated_at: str
    history: list[StatusAt]
    escalated: bool = False
    escalated_at: str | None = None
    escalation_reason: str | None = None


class TicketList(Response):
    tickets: list[Ticket]


class NoteCreated(Response):
    note: Note
    ticket: Ticket


# -- calls --------------------------------------------------------------------------------------
class CallCreate(Request):
    provider: str
    reason: constr(min_length=1, max_length=500)  # type: ignore[valid-type]


class CallsQuery(Request):
    state: CallState | None = None


class Dtmf(Request):
    digits: constr(regex=r"^[0-9*#]{1,10}$")  # type: ignore[valid-type]


class CallbackCreate(Request):
    phone_number: constr(regex=PHONE_RE)  # type: ignore[valid-type]
    not_before: UtcTime | None = None
    not_after: UtcTime | None = None


class TransferCreate(Request):
    phone_number: constr(regex=PHONE_RE)  # type: ignore[valid-type]


class PublicMenuOption(Response):
    digit: str
    label: str


class PublicMenu(Response):
    prompt: str
    options: list[PublicMenuOption]


class Agent(Response):
    id: str
    name: str


class CallHistory(Response):
    state: str
    at: str
    detail: str | None


class Callback(Response):
    phone_number: str
    due_at: str
    not_before: str | None
    not_after: str | None
    status: str = Field(..., description="scheduled or due")


class Call(Response):
    id: str
    provider: str
    account_id: str
    reason: str
    state: CallState
    menu: PublicMenu | None
    path: list[str]
    queue: str | None
    position: int | None
    estimated_wait_s: int | None
    agent: Agent | None
    ended_reason: str | None
    wrong_attempts: int
    replayed: bool | None = None
    history: list[CallHistory]
    callback: Callback | None
    transfer: dict[str, Any] | None
    client: Client
    created_at: str
    updated_at: str


class CallList(Response):
    calls: list[Call]


# -- appointments -------------------------------------------------------------------------------
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


# -- parts --------------------------------------------------------------------------------------
class PartsQuery(Request):
    provider: str | None = None
    model: str | None = None


class Part(Response):
    sku: str
    name: str
    price: float
    currency: str
    fits: list[str]


class PartList(Response):
    parts: list[Part]


class PartOrderCreate(Request):
    sku: constr(min_length=1)  # type: ignore[valid-type]
    quantity: conint(ge=1, le=10)  # type: ignore[valid-type]
    deliver_to_service_centre: str | None = None
    appointment_id: str | None = None


class PartOrder(Response):
    id: str
    provider: str
    account_id: str
    sku: str
    name: str
    quantity: int
    unit_price: float
    total: float
    currency: str
    deliver_to_service_centre: str | None
    appointment_id: str | None
    status: str = Field(..., description="ordered, shipped or cancelled")
    client: Client
    created_at: str
    updated_at: str
    shipped_at: str | None


class PartOrderList(Response):
    orders: list[PartOrder]


# -- meter readings -----------------------------------------------------------------------------
class MeterReadingCreate(Request):
    meter_id: constr(min_length=1)  # type: ignore[valid-type]
    value: confloat(ge=0)  # type: ignore[valid-type]
    unit: constr(min_length=1)  # type: ignore[valid-type]
    read_at: UtcTime


class MeterReadingsQuery(Request):
    meter_id: str | None = None


class MeterReading(Response):
    id: str
    account_id: str
    meter_id: str
    value: float
    unit: str
    read_at: str
    status: str
    previous_value: float
    client: Client
    created_at: str


class MeterReadingList(Response):
    readings: list[MeterReading]


# -- webhooks -----------------------------------------------------------------------------------
class WebhookCreate(Request):
    class Config:
        anystr_strip_whitespace = False  # the secret is used byte for byte by both sides

    url: AnyHttpUrl
    events: list[str] = Field(..., min_items=1)
    secret: constr(min_length=16, max_length=256)  # type: ignore[valid-type]

    @validator("events")
    def _known_events(cls, value: list[str]) -> list[str]:  # noqa: N805 (pydantic API)
        unknown = [e for e in value if e != "*" and e not in EVENT_TYPES]
        if unknown:
            raise ValueError(
                f"unknown event type(s) {', '.join(unknown)}; use '*' or one of "
                + ", ".join(EVENT_TYPES)
            )
        return list(dict.fromkeys(value))


class Webhook(Response):
    id: str
    url: str
    events: list[str]
    created_at: str


class WebhookList(Response):
    webhooks: list[Webhook]


class Deleted(Response):
    id: str
    deleted: bool


class EventEnvelope(Response):
    id: str
    type: str
    created_at: str
    data: dict[str, Any]


# -- simulation control -------------------------------------------------------------------------
class Advance(Request):
    seconds: confloat(gt=0, le=MAX_ADVANCE_S)  # type: ignore[valid-type]


class Advanced(Response):
    now: str
    processed: int


Rate = confloat(ge=0, le=1)


class Faults(Request):
    error_rate: Rate | None = None  # type: ignore[valid-type]
    latency_ms: tuple[conint(ge=0, le=60000), conint(ge=0, le=60000)] | None = None  # type: ignore[valid-type]
    timeout_rate: Rate | None = None  # type: ignore[valid-type]
    rate_limit_rate: Rate | None = None  # type: ignore[valid-type]
    seed: int | None = None
    timeout_s: confloat(ge=0, le=300) | None = None  # type: ignore[valid-type]

    @validator("latency_ms")
    def _ordered(cls, value: tuple[int, int] | None) -> tuple[int, int] | None:  # noqa: N805
        if value is not None and value[0] > value[1]:
            raise ValueError("must be [min, max] with min <= max")
        return value


class SimTicketStatus(Request):
    status: TicketStatus
    question: constr(min_length=1, max_length=1000) | None = None  # type: ignore[valid-type]
    question_kind: QuestionKind | None = Field(
        None,
        description="general or identity; defaults to the seeded question's kind, else general",
    )


class SimRateLimit(Request):
    rate: confloat(ge=0)  # type: ignore[valid-type]


MAX_MISHEARD_DIGITS = 10


class SimIvr(Request):
    provider: constr(min_length=1, max_length=100)  # type: ignore[valid-type]
    misheard_digits: conint(strict=True, ge=0, le=MAX_MISHEARD_DIGITS) = Field(  # type: ignore[valid-type]
        ...,
        description="How many of the next digits pressed on any call to the provider the phone"
        " menu does not recognise (each replays the menu like a wrong digit).",
    )


class SimIvrSettings(Response):
    provider: str
    misheard_digits: int = Field(..., description="Misheard digits still to come")


class Generic(Response):
    """Free-form JSON (simulation/test helpers)."""
