"""Simulation control for tests and demos; served only with SERVICE_DESK_SIM_CONTROL=1."""

from __future__ import annotations

import json
from typing import Any

from ..api import Ctx
from ..clock import to_iso
from ..errors import ApiError, invalid_state, not_found
from ..models import (
    Advance,
    Advanced,
    Call,
    Faults,
    Generic,
    SimIvr,
    SimIvrSettings,
    SimRateLimit,
    SimTicketStatus,
)
from ..route_table import route
from ..seed import GENERAL, PROVIDERS
from ..simulation import (
    call_callback_due,
    call_connect_agent,
    call_end,
    provider_question_and_kind,
    ticket_set_status,
)
from ..slots import SlotError, parse_slot_id
from ..webhooks import delivery_log

SIM = {"auth": False, "sim": True, "tag": "simulation"}
GENERIC_QUESTION = "Could you tell us more about the problem?"


@route("POST", "/_sim/advance", body=Advance, response=Advanced, **SIM)
def advance(ctx: Ctx, body: Advance) -> dict[str, Any]:
    """Move simulated time forward, running everything that falls due on the way."""
    processed = ctx.desk.advance(body.seconds)
    return {"now": to_iso(ctx.desk.now()), "processed": processed}


@route("GET", "/_sim/faults", response=Generic, **SIM)
def get_faults(ctx: Ctx) -> dict[str, Any]:
    """The faults currently injected into /v1 calls."""
    return ctx.desk.faults.describe()


@route("POST", "/_sim/faults", body=Faults, response=Generic, **SIM)
def set_faults(ctx: Ctx, body: Faults) -> dict[str, Any]:
    """Replace the injected faults; {} clears them."""
    ctx.desk.faults.configure(body.dict(exclude_none=True))
    return ctx.desk.faults.describe()


@route("POST", "/_sim/rate-limit", body=SimRateLimit, response=Generic, **SIM)
def set_rate_limit(ctx: Ctx, body: SimRateLimit) -> dict[str, Any]:
    """Change the per-key rate limit (requests per second, 0 = off) until the next reset."""
    ctx.desk.limiter.set_rate(body.rate)
    return {"rate": body.rate}


@route("POST", "/_sim/reset", response=Generic, **SIM)
def reset(ctx: Ctx) -> dict[str, Any]:
    """Back to the seeded state: clock, faults, subscriptions, idempotency records, outbox."""
    ctx.desk.reset()
    return {"status": "reset", "now": to_iso(ctx.desk.now())}


@route("GET", "/_sim/state", response=Generic, **SIM)
def state(ctx: Ctx) -> dict[str, Any]:
    """Everything, for tests."""
    store = ctx.desk.store
    meters = [
        {**dict(r), "last_read_at": to_iso(r["last_read_at"])}
        for r in store.conn.execute("SELECT * FROM meters ORDER BY meter_id")
    ]
    events = [
        json.loads(r["body"])
        for r in store.conn.execute("SELECT body FROM events ORDER BY seq DESC LIMIT 2000")
    ][::-1]
    return {
        "now": to_iso(ctx.desk.now()),
        "sim_start": to_iso(ctx.desk.sim_start),
        "tickets": store.list("tickets"),
        "calls": store.list("calls"),
        "appointments": store.list("appointments"),
        "slot_holds": [dict(r) for r in store.conn.execute("SELECT * FROM slot_holds")],
        "part_orders": store.list("part_orders"),
        "meter_readings": store.list("meter_readings"),
        "meters": meters,
        "webhooks": [{k: v for k, v in w.items() if k != "secret"} for w in store.list("webhooks")],
        "events": events,
        "deliveries": delivery_log(store),
        "idempotency_records": store.count("idempotency"),
        "jobs": [{**j, "due_at": to_iso(j["due_at"])} for j in store.jobs()],
        "faults": ctx.desk.faults.describe(),
        "rate_limit": ctx.desk.limiter.rate,
        "ivr": store.sim_ivr(),
    }


@route("GET", "/_sim/deliveries", response=Generic, **SIM)
def deliveries(ctx: Ctx) -> dict[str, Any]:
    """The webhook delivery log: each delivery with all its attempts."""
    return {"deliveries": delivery_log(ctx.desk.store)}


@route("GET", "/_sim/events", response=Generic, **SIM)
def events(ctx: Ctx) -> dict[str, Any]:
    """Every event emitted (also those without subscribers), oldest first."""
    rows = ctx.desk.store.conn.execute("SELECT account_id, body FROM events ORDER BY seq")
    return {"events": [{**json.loads(r["body"]), "account_id": r["account_id"]} for r in rows]}


@route("POST", "/_sim/slots/{slot_id}/take", response=Generic, errors=[404, 409], **SIM)
def take_slot(ctx: Ctx, slot_id: str) -> dict[str, Any]:
    """Another customer takes a slot: a later booking of it gets 409 slot_taken."""
    try:
        parse_slot_id(slot_id)
    except SlotError:
        raise not_found("slot", slot_id) from None
    store = ctx.desk.store
    if store.conn.execute("SELECT 1 FROM slot_holds WHERE slot_id = ?", (slot_id,)).fetchone():
        raise ApiError(409, "slot_taken", "That slot is already taken.", {"slot_id": slot_id})
    store.conn.execute(
        "INSERT INTO slot_holds (slot_id, kind, ref, at) VALUES (?, 'taken', NULL, ?)",
        (slot_id, ctx.now),
    )
    return {"slot_id": slot_id, "taken": True}


@route("POST", "/_sim/ivr", body=SimIvr, response=SimIvrSettings, errors=[404], **SIM)
def set_ivr(ctx: Ctx, body: SimIvr) -> dict[str, Any]:
    """The provider's phone menu will not recognise the next N digits pressed (until reset)."""
    if body.provider not in PROVIDERS:
        raise not_found("provider", body.provider)
    ctx.desk.store.set_misheard_digits(body.provider, body.misheard_digits)
    return {"provider": body.provider, "misheard_digits": body.misheard_digits}


def _sim_call(ctx: Ctx, call_id: str) -> dict[str, Any]:
    call = ctx.desk.store.get("calls", call_id)
    if call is None:
        raise not_found("call", call_id)
    return call


@route("POST", "/_sim/calls/{call_id}/connect", response=Call, errors=[404, 409], **SIM)
def connect_call(ctx: Ctx, call_id: str) -> dict[str, Any]:
    """An agent picks up a queued call (or calls back a scheduled callback) now."""
    store = ctx.desk.store
    call = _sim_call(ctx, call_id)
    if call["state"] == "queued":
        call_connect_agent(store, call, ctx.now, "agent picked up")
    elif call["state"] == "callback_scheduled":
        call_callback_due(store, call, ctx.now)
    else:
        raise invalid_state(
            f"Only a queued call or a scheduled callback can be connected, not {call['state']}.",
            call["state"],
        )
    store.update("calls", call)
    return call


@route("POST", "/_sim/calls/{call_id}/end", response=Call, errors=[404, 409], **SIM)
def end_call(ctx: Ctx, call_id: str) -> dict[str, Any]:
    """The provider ends a call (ended_reason provider_ended)."""
    store = ctx.desk.store
    call = _sim_call(ctx, call_id)
    if call["state"] == "ended":
        raise invalid_state("The call has already ended.", "ended")
    call_end(store, call, "provider_ended", ctx.now)
    store.update("calls", call)
    return call


@route(
    "POST",
    "/_sim/tickets/{ticket_id}/status",
    body=SimTicketStatus,
    response=Generic,
    errors=[404],
    **SIM,
)
def force_ticket_status(ctx: Ctx, body: SimTicketStatus, ticket_id: str) -> dict[str, Any]:
    """Force a ticket into a status (awaiting_customer takes an optional question and kind)."""
    store = ctx.desk.store
    ticket = store.get("tickets", ticket_id)
    if ticket is None:
        raise not_found("ticket", ticket_id)
    status = body.status.value
    question = kind = None
    if status == "awaiting_customer":
        seeded = provider_question_and_kind(ticket["provider"], ticket["category"])
        if body.question:
            question, kind = body.question, GENERAL
        elif seeded:
            question, kind = seeded
        else:
            question, kind = GENERIC_QUESTION, GENERAL
        if body.question_kind is not None:
            kind = body.question_kind.value
    ticket_set_status(store, ticket, status, ctx.now, question, kind)
    return ticket
