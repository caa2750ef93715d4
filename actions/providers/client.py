"""The service-desk client: one object with every request of the desk's contract.

It is composed of the per-resource requests (`desk_tickets`, `desk_account`, `desk_appointments`,
`desk_parts`, `desk_calls`, `desk_webhooks`), all sent through one `DeskTransport` (identity,
API key, idempotency keys, retries, the audit sink). What it sends and reads is in
`desk_models`; how a request failed in `desk_errors`; the audit record in `desk_audit`.
"""

from __future__ import annotations

from actions.providers.desk_account import AccountRequests
from actions.providers.desk_appointments import AppointmentRequests
from actions.providers.desk_calls import CallRequests
from actions.providers.desk_parts import PartRequests
from actions.providers.desk_tickets import TicketRequests
from actions.providers.desk_webhooks import WebhookRequests


class ServiceDeskClient(
    AccountRequests,
    TicketRequests,
    AppointmentRequests,
    PartRequests,
    CallRequests,
    WebhookRequests,
):
    """One client per process; it opens an aiohttp session per event loop and reuses it."""
