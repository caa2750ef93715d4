"""Meter readings submitted and listed."""

from __future__ import annotations

from pydantic import confloat, constr

from .base import (
    Client,
    Request,
    Response,
    UtcTime,
)


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
