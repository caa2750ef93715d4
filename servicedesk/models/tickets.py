"""Tickets, their notes and status history."""

from __future__ import annotations

from typing import Any

from pydantic import Field, constr

from .base import (
    Client,
    QuestionKind,
    Request,
    Response,
    Severity,
    TicketStatus,
)


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
