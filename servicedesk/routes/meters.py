"""Meter readings: accepted only in the meter's unit and never lower than the last one."""

from __future__ import annotations

from typing import Any

from ..api import Ctx
from ..clock import from_datetime, to_iso
from ..errors import ApiError, field_error, not_found
from ..ids import new_id
from ..models import MeterReading, MeterReadingCreate, MeterReadingList, MeterReadingsQuery
from ..route_table import route

FUTURE_TOLERANCE_S = 60  # clocks on devices drift a little

UNIT_ALIASES = {"kwh": "kWh", "m3": "m3", "m³": "m3", "m^3": "m3", "cubic metres": "m3"}


def normalise_unit(unit: str) -> str:
    return UNIT_ALIASES.get(unit.strip().lower(), unit.strip())


def owned_meter(ctx: Ctx, meter_id: str) -> dict[str, Any]:
    row = ctx.desk.store.conn.execute(
        "SELECT * FROM meters WHERE meter_id = ? AND account_id = ?", (meter_id, ctx.account_id)
    ).fetchone()
    if row is None:
        raise not_found("meter", meter_id)
    return dict(row)


@route(
    "POST",
    "/v1/meter-readings",
    body=MeterReadingCreate,
    response=MeterReading,
    status=201,
    creates=True,
    errors=[404, 422],
)
def submit_reading(ctx: Ctx, body: MeterReadingCreate) -> dict[str, Any]:
    """Submit a reading (422 reading_decreased / unit_mismatch when implausible)."""
    store = ctx.desk.store
    meter = owned_meter(ctx, body.meter_id)
    unit = normalise_unit(body.unit)
    if unit != meter["unit"]:
        raise ApiError(
            422,
            "unit_mismatch",
            f"Meter {meter['meter_id']} measures {meter['unit']}, not {body.unit}.",
            {"field": "unit", "expected_unit": meter["unit"], "got": body.unit},
        )
    read_at = from_datetime(body.read_at)
    if read_at > ctx.now + FUTURE_TOLERANCE_S:
        raise field_error("read_at", f"is in the future (desk time is {to_iso(ctx.now)})")
    if body.value < meter["last_value"]:
        raise ApiError(
            422,
            "reading_decreased",
            f"The reading {body.value} is lower than the last accepted one"
            f" ({meter['last_value']} {meter['unit']}).",
            {
                "field": "value",
                "last_value": meter["last_value"],
                "last_read_at": to_iso(meter["last_read_at"]),
            },
        )
    reading = {
        "id": new_id("MR"),
        "account_id": ctx.account_id,
        "provider": ctx.provider_id,
        "meter_id": meter["meter_id"],
        "value": body.value,
        "unit": meter["unit"],
        "read_at": to_iso(read_at),
        "status": "accepted",
        "previous_value": meter["last_value"],
        "consumption": round(body.value - meter["last_value"], 3),
        "client": ctx.client,
        "created_at": to_iso(ctx.now),
    }
    store.insert("meter_readings", reading, ref=meter["meter_id"])
    store.conn.execute(
        "UPDATE meters SET last_value = ?, last_read_at = ? WHERE meter_id = ?",
        (body.value, read_at, meter["meter_id"]),
    )
    return reading


@route(
    "GET",
    "/v1/meter-readings",
    query=MeterReadingsQuery,
    response=MeterReadingList,
    errors=[404, 422],
)
def list_readings(ctx: Ctx, query: MeterReadingsQuery) -> dict[str, Any]:
    """Past readings submitted for the account's meters (one meter with meter_id)."""
    if query.meter_id is not None:
        owned_meter(ctx, query.meter_id)
    readings = ctx.desk.store.list("meter_readings", account_id=ctx.account_id, ref=query.meter_id)
    return {"readings": readings}
