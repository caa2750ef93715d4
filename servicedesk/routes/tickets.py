"""Tickets: open, read, add notes (which answer the provider's question), cancel, escalate."""

from __future__ import annotations

from typing import Any

from ..api import Ctx, Result
from ..clock import to_iso
from ..errors import field_error, invalid_state, not_found
from ..ids import new_id
from ..models import (
    NoteCreate,
    NoteCreated,
    Request,
    Ticket,
    TicketCreate,
    TicketEscalate,
    TicketList,
    TicketsQuery,
)
from ..route_table import route
from ..seed import PROVIDERS
from ..simulation import (
    TERMINAL_TICKET,
    schedule_new_ticket,
    ticket_defaults,
    ticket_escalate,
    ticket_set_status,
)


class TicketCancel(Request):
    reason: str | None = None


def owned_ticket(ctx: Ctx, ticket_id: str) -> dict[str, Any]:
    ticket = ctx.desk.store.get_owned("tickets", ticket_id, ctx.account_id or "")
    if ticket is None:
        raise not_found("ticket", ticket_id)
    return ticket_defaults(ticket)


def account_device_ids(account: dict[str, Any]) -> list[str]:
    # Meters are devices too: a ticket may be about a faulty meter.
    return [d["device_id"] for d in account["devices"]] + [m["meter_id"] for m in account["meters"]]


@route(
    "POST",
    "/v1/tickets",
    body=TicketCreate,
    response=Ticket,
    status=201,
    creates=True,
    errors=[409, 422],
)
def create_ticket(ctx: Ctx, body: TicketCreate) -> dict[str, Any]:
    """Open a ticket with the caller's provider."""
    if body.provider != ctx.provider_id:
        raise field_error(
            "provider",
            f"must be {ctx.provider_id!r}, the provider this API key belongs to",
            expected=ctx.provider_id,
        )
    categories = [c["id"] for c in ctx.provider["categories"]]
    if body.category not in categories:
        raise field_error("category", f"must be one of {', '.join(categories)}", valid=categories)
    devices = account_device_ids(ctx.account)
    if body.device_id is not None and body.device_id not in devices:
        raise field_error("device_id", "is not a device or meter of this account", valid=devices)
    behalf = body.on_behalf_of.dict(exclude_none=True)
    if body.on_behalf_of.account_id not in (None, ctx.account_id):
        raise field_error("on_behalf_of.account_id", f"must be {ctx.account_id!r} or left out")
    behalf.setdefault("account_id", ctx.account_id)
    at = to_iso(ctx.now)
    ticket = {
        "id": new_id("TCK"),
        "provider": ctx.provider_id,
        "account_id": ctx.account_id,
        "category": body.category,
        "summary": body.summary,
        "description": body.description,
        "severity": body.severity.value,
        "device_id": body.device_id,
        "status": "open",
        "question": None,
        "question_kind": None,
        "questions": [],
        "notes": [],
        "on_behalf_of": behalf,
        "client": ctx.client,
        "created_at": at,
        "updated_at": at,
        "history": [{"status": "open", "at": at}],
        "escalated": False,
        "escalated_at": None,
        "escalation_reason": None,
    }
    ctx.desk.store.insert("tickets", ticket)
    schedule_new_ticket(ctx.desk.store, ticket, ctx.now)
    return ticket


@route("GET", "/v1/tickets", query=TicketsQuery, response=TicketList, errors=[422])
def list_tickets(ctx: Ctx, query: TicketsQuery) -> dict[str, Any]:
    """The account's tickets, optionally by status and provider."""
    if query.provider is not None and query.provider not in PROVIDERS:
        raise field_error("provider", "is not a known provider id", valid=sorted(PROVIDERS))
    tickets = ctx.desk.store.list(
        "tickets",
        account_id=ctx.account_id,
        status=query.status.value if query.status else None,
        provider=query.provider,
    )
    return {"tickets": [ticket_defaults(t) for t in tickets]}


@route("GET", "/v1/tickets/{ticket_id}", response=Ticket, errors=[404])
def get_ticket(ctx: Ctx, ticket_id: str) -> dict[str, Any]:
    """One ticket, with its notes, question and status history."""
    return owned_ticket(ctx, ticket_id)


@route(
    "POST",
    "/v1/tickets/{ticket_id}/notes",
    body=NoteCreate,
    response=NoteCreated,
    status=201,
    creates=True,
    errors=[404, 409, 422],
)
def add_note(ctx: Ctx, body: NoteCreate, ticket_id: str) -> dict[str, Any]:
    """Add information; while awaiting_customer, the note answers the provider's question."""
    store = ctx.desk.store
    ticket = owned_ticket(ctx, ticket_id)
    if ticket["status"] in ("closed", "cancelled"):
        raise invalid_state(f"A {ticket['status']} ticket takes no notes.", ticket["status"])
    note: dict[str, Any] = {
        "id": new_id("NOTE"),
        "text": body.text,
        "at": to_iso(ctx.now),
        "client": ctx.client,
    }
    ticket["notes"].append(note)
    if ticket["status"] == "awaiting_customer":
        note["answers_question"] = ticket["question"]
        if ticket.get("questions"):
            ticket["questions"][-1].update(answered_at=note["at"], note_id=note["id"])
        ticket_set_status(store, ticket, "in_progress", ctx.now)
    else:
        ticket["updated_at"] = note["at"]
        store.update("tickets", ticket)
    return {"note": note, "ticket": ticket}


@route(
    "POST",
    "/v1/tickets/{ticket_id}/cancel",
    body=TicketCancel,
    response=Ticket,
    creates=True,
    errors=[404, 409],
)
def cancel_ticket(ctx: Ctx, body: TicketCancel, ticket_id: str) -> dict[str, Any]:
    """Cancel a ticket that is not yet resolved, closed or cancelled."""
    ticket = owned_ticket(ctx, ticket_id)
    if ticket["status"] in TERMINAL_TICKET:
        raise invalid_state(
            f"The ticket is {ticket['status']} and can no longer be cancelled.", ticket["status"]
        )
    if body.reason:
        ticket["cancel_reason"] = body.reason
    ticket_set_status(ctx.desk.store, ticket, "cancelled", ctx.now)
    return Result(ticket, 200)


@route(
    "POST",
    "/v1/tickets/{ticket_id}/escalate",
    body=TicketEscalate,
    response=Ticket,
    creates=True,
    errors=[404, 409, 422],
)
def escalate_ticket(ctx: Ctx, body: TicketEscalate, ticket_id: str) -> dict[str, Any]:
    """Escalate a ticket that is not closed or cancelled: severity becomes urgent."""
    ticket = owned_ticket(ctx, ticket_id)
    if ticket["status"] in ("closed", "cancelled"):
        raise invalid_state(
            f"The ticket is {ticket['status']} and can no longer be escalated.", ticket["status"]
        )
    ticket_escalate(ctx.desk.store, ticket, body.reason, ctx.now)
    return Result(ticket, 200)
