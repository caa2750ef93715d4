"""Appointment slots and bookings: book, cancel, reschedule."""

from __future__ import annotations

from typing import Any

from ..api import Ctx
from ..clock import from_datetime, to_iso
from ..errors import ApiError, field_error, invalid_state, not_found
from ..ids import new_id
from ..models import (
    Appointment,
    AppointmentCreate,
    AppointmentList,
    Request,
    Reschedule,
    SlotList,
    SlotsQuery,
)
from ..route_table import route
from ..seed import PROVIDERS, SLOT_LENGTH_S, locations
from ..slots import SlotError, generate, parse_slot_id, public_location, slot_view
from ..store import Store

DEFAULT_RANGE_S = 14 * 24 * 3600
MAX_RANGE_S = 60 * 24 * 3600


class AppointmentCancel(Request):
    reason: str | None = None


def held_slots(store: Store) -> set[str]:
    return {r[0] for r in store.conn.execute("SELECT slot_id FROM slot_holds")}


def is_held(store: Store, slot_id: str) -> bool:
    row = store.conn.execute("SELECT 1 FROM slot_holds WHERE slot_id = ?", (slot_id,))
    return row.fetchone() is not None


def check_bookable(ctx: Ctx, slot_id: str, field: str = "slot_id") -> tuple[dict[str, Any], float]:
    """The slot's location and start if the caller may book it now; else 422 or 409."""
    try:
        provider_id, loc, start = parse_slot_id(slot_id)
    except SlotError as err:
        raise field_error(field, str(err), reason=err.reason) from None
    if provider_id != ctx.provider_id:
        raise field_error(field, "belongs to another provider", reason="other_provider")
    if start <= ctx.now:
        raise field_error(field, "is in the past", reason="in_past")
    if is_held(ctx.desk.store, slot_id):
        raise ApiError(
            409, "slot_taken", "That slot has just been taken; pick another.", {"slot_id": slot_id}
        )
    return loc, start


def owned_appointment(ctx: Ctx, appointment_id: str) -> dict[str, Any]:
    appt = ctx.desk.store.get_owned("appointments", appointment_id, ctx.account_id or "")
    if appt is None:
        raise not_found("appointment", appointment_id)
    return appt


def _changed(ctx: Ctx, appt: dict[str, Any], status: str, **extra: Any) -> None:
    from ..webhooks import emit

    appt["updated_at"] = to_iso(ctx.now)
    appt["history"].append({"status": status, "at": to_iso(ctx.now), **extra})
    emit(ctx.desk.store, appt["account_id"], "appointment.changed", appt, ctx.now)


@route("GET", "/v1/appointments/slots", query=SlotsQuery, response=SlotList, errors=[422])
def list_slots(ctx: Ctx, query: SlotsQuery) -> dict[str, Any]:
    """Free slots (default: the caller's provider, the next 14 days)."""
    provider_id = query.provider or ctx.provider_id
    if provider_id not in PROVIDERS:
        raise field_error("provider", "is not a known provider id", valid=sorted(PROVIDERS))
    provider = PROVIDERS[provider_id]
    services = provider["services"]
    if query.service is not None and query.service not in services:
        raise field_error(
            "service",
            f"must be one of {', '.join(services)}" if services else "no services are bookable",
            valid=services,
        )
    if query.location is not None and query.location not in [x["id"] for x in locations(provider)]:
        raise field_error("location", "is not a location of this provider")
    if not services:
        return {"slots": []}
    start = from_datetime(query.from_) if query.from_ else ctx.now
    end = from_datetime(query.to) if query.to else start + DEFAULT_RANGE_S
    if end <= start:
        raise field_error("to", "must be later than from")
    if end - start > MAX_RANGE_S:
        raise field_error("to", "must be at most 60 days after from")
    held = held_slots(ctx.desk.store)
    service = query.service or services[0]
    slots = [
        slot_view(provider_id, loc, ts, service)
        for loc, ts in generate(provider_id, max(start, ctx.now), end, query.location)
    ]
    return {"slots": [s for s in slots if s["slot_id"] not in held]}


@route(
    "POST",
    "/v1/appointments",
    body=AppointmentCreate,
    response=Appointment,
    status=201,
    creates=True,
    errors=[409, 422],
)
def book(ctx: Ctx, body: AppointmentCreate) -> dict[str, Any]:
    """Book a free slot (409 slot_taken if someone was quicker)."""
    store = ctx.desk.store
    services = ctx.provider["services"]
    service = body.service or (services[0] if services else None)
    if service is None or service not in services:
        raise field_error("service", f"must be one of {', '.join(services) or '(none)'}")
    if body.ticket_id is not None and not store.get_owned(
        "tickets", body.ticket_id, ctx.account_id or ""
    ):
        raise field_error("ticket_id", "is not a ticket of this account")
    loc, start = check_bookable(ctx, body.slot_id)
    at = to_iso(ctx.now)
    appt = {
        "id": new_id("APT"),
        "provider": ctx.provider_id,
        "account_id": ctx.account_id,
        "slot_id": body.slot_id,
        "start": to_iso(start),
        "end": to_iso(start + SLOT_LENGTH_S),
        "location": public_location(loc),
        "service": service,
        "ticket_id": body.ticket_id,
        "notes": body.notes,
        "status": "booked",
        "client": ctx.client,
        "created_at": at,
        "updated_at": at,
        "history": [],
    }
    store.conn.execute(
        "INSERT INTO slot_holds (slot_id, kind, ref, at) VALUES (?, 'appointment', ?, ?)",
        (body.slot_id, appt["id"], ctx.now),
    )
    _changed(ctx, appt, "booked", slot_id=body.slot_id)
    store.insert("appointments", appt, ref=body.slot_id)
    return appt


@route("GET", "/v1/appointments", response=AppointmentList)
def list_appointments(ctx: Ctx) -> dict[str, Any]:
    """The account's appointments."""
    return {"appointments": ctx.desk.store.list("appointments", account_id=ctx.account_id)}


@route("GET", "/v1/appointments/{appointment_id}", response=Appointment, errors=[404])
def get_appointment(ctx: Ctx, appointment_id: str) -> dict[str, Any]:
    """One appointment."""
    return owned_appointment(ctx, appointment_id)


@route(
    "POST",
    "/v1/appointments/{appointment_id}/cancel",
    body=AppointmentCancel,
    response=Appointment,
    creates=True,
    errors=[404, 409],
)
def cancel(ctx: Ctx, body: AppointmentCancel, appointment_id: str) -> dict[str, Any]:
    """Cancel a booked appointment; its slot becomes free again."""
    store = ctx.desk.store
    appt = owned_appointment(ctx, appointment_id)
    if appt["status"] != "booked":
        raise invalid_state(f"The appointment is {appt['status']}.", appt["status"])
    store.conn.execute("DELETE FROM slot_holds WHERE slot_id = ?", (appt["slot_id"],))
    appt["status"] = "cancelled"
    _changed(ctx, appt, "cancelled", slot_id=appt["slot_id"])
    store.update("appointments", appt, ref=appt["slot_id"])
    return appt


@route(
    "POST",
    "/v1/appointments/{appointment_id}/reschedule",
    body=Reschedule,
    response=Appointment,
    creates=True,
    errors=[404, 409, 422],
)
def reschedule(ctx: Ctx, body: Reschedule, appointment_id: str) -> dict[str, Any]:
    """Move a booked appointment to another free slot; the old slot is freed."""
    store = ctx.desk.store
    appt = owned_appointment(ctx, appointment_id)
    if appt["status"] != "booked":
        raise invalid_state(f"The appointment is {appt['status']}.", appt["status"])
    if body.slot_id == appt["slot_id"]:
        raise field_error("slot_id", "is already this appointment's slot", reason="same_slot")
    loc, start = check_bookable(ctx, body.slot_id)
    old = appt["slot_id"]
    store.conn.execute("DELETE FROM slot_holds WHERE slot_id = ?", (old,))
    store.conn.execute(
        "INSERT INTO slot_holds (slot_id, kind, ref, at) VALUES (?, 'appointment', ?, ?)",
        (body.slot_id, appt["id"], ctx.now),
    )
    appt.update(
        slot_id=body.slot_id,
        start=to_iso(start),
        end=to_iso(start + SLOT_LENGTH_S),
        location=public_location(loc),
        status="booked",
    )
    _changed(ctx, appt, "rescheduled", slot_id=body.slot_id, previous_slot_id=old)
    store.update("appointments", appt, ref=body.slot_id)
    return appt
