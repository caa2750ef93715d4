"""What a device may send to `POST /telemetry/{device_id}`: one event, validated with pydantic.

Three types, told apart by `type`:
- `meter_reading`: a meter's register (`value` in `unit`);
- `fault`: a fault or diagnostic code with a severity;
- `metric`: a health measurement (router packet loss, fridge temperature, water flow).
Every event has the device's own `event_id` (the intake's idempotency key) and `at`, the
device's clock, with a time zone.
"""

from __future__ import annotations

import math
from datetime import datetime, timezone
from typing import Literal

from pydantic import BaseModel, Extra, Field, validator

from actions.devices.config import SEVERITIES

EARLIEST = datetime(2000, 1, 1, tzinfo=timezone.utc)
LATEST = datetime(2100, 1, 1, tzinfo=timezone.utc)


class _Event(BaseModel, extra=Extra.forbid):
    event_id: str = Field(..., min_length=1, max_length=100, regex=r"^[A-Za-z0-9._:-]+$")
    at: datetime

    @validator("at")
    def _aware_and_sane(cls, value: datetime) -> datetime:  # noqa: N805
        if value.tzinfo is None:
            raise ValueError("needs a time zone (e.g. 2026-11-23T09:00:00Z)")
        if not EARLIEST <= value < LATEST:
            raise ValueError("is not a plausible device time")
        return value.astimezone(timezone.utc)


def _finite(value: float) -> float:
    if not math.isfinite(value):
        raise ValueError("must be a finite number")
    return value


class MeterReadingEvent(_Event):
    type: Literal["meter_reading"]
    value: float = Field(..., ge=0, le=1e9)
    unit: str = Field(..., min_length=1, max_length=20)

    _value = validator("value", allow_reuse=True)(_finite)


class FaultEvent(_Event):
    type: Literal["fault"]
    code: str = Field(..., min_length=1, max_length=60, regex=r"^[A-Za-z0-9._-]+$")
    severity: str = "normal"
    detail: str | None = Field(None, max_length=1000)

    @validator("severity")
    def _severity(cls, value: str) -> str:  # noqa: N805
        if value not in SEVERITIES:
            raise ValueError(f"must be one of {', '.join(SEVERITIES)}")
        return value


class MetricEvent(_Event):
    type: Literal["metric"]
    metric: str = Field(..., regex=r"^[a-z][a-z0-9_]{0,59}$")
    value: float = Field(..., ge=-1e6, le=1e6)

    _value = validator("value", allow_reuse=True)(_finite)


class TelemetryBody(BaseModel):
    __root__: MeterReadingEvent | FaultEvent | MetricEvent = Field(..., discriminator="type")


TelemetryEvent = MeterReadingEvent | FaultEvent | MetricEvent


class TelemetryAccepted(BaseModel):
    """The intake's answer: 202 for a new event, 200 for one it had already."""

    event_id: str
    device_id: str
    status: Literal["accepted", "held", "duplicate"]
    reason: str | None = None
    detected: list[str] = []
