"""What every model shares: the request and response bases, UTC times, enums, errors and limits."""

from __future__ import annotations

from datetime import datetime, timezone
from enum import Enum
from typing import Any

from pydantic import BaseModel, Extra, Field
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
