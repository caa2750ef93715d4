"""Tickets at a service desk: open, read, list, add a note, cancel, escalate."""

from __future__ import annotations

from actions.providers.desk_audit import WITHHELD
from actions.providers.desk_models import NoteAdded, Ticket, TicketCreate
from actions.providers.desk_transport import DeskTransport


class TicketRequests(DeskTransport):
    """The ticket endpoints (`/v1/tickets`)."""

    async def create_ticket(
        self,
        api_key: str,
        ticket: TicketCreate,
        idempotency_key: str,
        conversation_id: str | None = None,
    ) -> Ticket:
        body = await self._request(
            "POST",
            "/v1/tickets",
            api_key,
            ticket.provider,
            json=ticket.dict(exclude_none=True),
            idempotency_key=idempotency_key,
            conversation_id=conversation_id,
        )
        return self._parse(Ticket, body)

    async def get_ticket(
        self,
        api_key: str,
        ticket_id: str,
        account_provider: str | None = None,
        conversation_id: str | None = None,
    ) -> Ticket:
        """`account_provider`: the provider whose account `api_key` is (for the audit log)."""
        body = await self._request(
            "GET",
            f"/v1/tickets/{ticket_id}",
            api_key,
            account_provider or "unknown",
            conversation_id=conversation_id,
        )
        return self._parse(Ticket, body)

    async def list_tickets(
        self,
        api_key: str,
        provider: str | None = None,
        status: str | None = None,
        account_provider: str | None = None,
        conversation_id: str | None = None,
    ) -> list[Ticket]:
        params = {k: v for k, v in (("provider", provider), ("status", status)) if v}
        body = await self._request(
            "GET",
            "/v1/tickets",
            api_key,
            account_provider or provider or "unknown",
            params=params,
            conversation_id=conversation_id,
        )
        items = body.get("tickets", []) if isinstance(body, dict) else body
        return [self._parse(Ticket, item) for item in items]

    async def add_ticket_note(
        self,
        api_key: str,
        ticket_id: str,
        text: str,
        idempotency_key: str,
        provider: str,
        conversation_id: str | None = None,
        withhold_text: bool = False,
    ) -> NoteAdded:
        """Add information to a ticket; while it awaits the customer, the note answers it.

        `withhold_text`: an identity answer goes to the company but never into the audit log."""
        body = await self._request(
            "POST",
            f"/v1/tickets/{ticket_id}/notes",
            api_key,
            provider,
            json={"text": text},
            idempotency_key=idempotency_key,
            conversation_id=conversation_id,
            audit_body={"text": WITHHELD, "redacted": True} if withhold_text else None,
        )
        return self._parse(NoteAdded, body)

    async def cancel_ticket(
        self,
        api_key: str,
        ticket_id: str,
        idempotency_key: str,
        provider: str,
        reason: str | None = None,
        conversation_id: str | None = None,
    ) -> Ticket:
        body = await self._request(
            "POST",
            f"/v1/tickets/{ticket_id}/cancel",
            api_key,
            provider,
            json={"reason": reason} if reason else {},
            idempotency_key=idempotency_key,
            conversation_id=conversation_id,
        )
        return self._parse(Ticket, body)

    async def escalate_ticket(
        self,
        api_key: str,
        ticket_id: str,
        reason: str,
        idempotency_key: str,
        provider: str,
        conversation_id: str | None = None,
    ) -> Ticket:
        body = await self._request(
            "POST",
            f"/v1/tickets/{ticket_id}/escalate",
            api_key,
            provider,
            json={"reason": reason},
            idempotency_key=idempotency_key,
            conversation_id=conversation_id,
        )
        return self._parse(Ticket, body)
