"""Applying provider webhook events to the store: each event once, never moving anything back.

`providers.webhooks.read_delivery` verifies and validates a delivery; `receive` then records the
event (a duplicate changes nothing) and applies it: tickets to cases, appointments and parts
orders to theirs, a call's snapshot to the call tracker (handed in, as `CallEvents`).
`receive()` is plain synchronous code returning (status, JSON body); the Sanic route in
`actions.server` runs it in a worker thread.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection
from typing import Any, Protocol

from pydantic import BaseModel

from actions.core.clock import utc_now
from actions.providers.desk_models import Call
from actions.providers.webhooks import (
    TICKET_EVENTS,
    Delivery,
    Reply,
    WebhookEvent,
    error,
    read_delivery,
)
from actions.store.calls import CallStore
from actions.store.case_memory import CaseMemory

logger = logging.getLogger(__name__)


class CallEvents(Protocol):
    """What a call event is applied to (the call tracker): its store, and `apply`, which is
    truthy when the snapshot changed the call."""

    store: CallStore

    def apply(self, call: Call, source: str) -> object: ...


def receive(
    memory: CaseMemory,
    secret: str | None,
    provider_id: str,
    known_providers: Collection[str],
    body: bytes,
    signature: str | None,
    calls: CallEvents | None = None,
    on_case: Callable[[str, str], None] | None = None,
) -> Reply:
    """Handle one delivery to `provider_id`'s URL (checked by `read_delivery`, which has the
    details). Never raises: a store failure answers 503 so the provider retries.

    `on_case(provider, ticket_id)` runs after a ticket
    event changed a case (the closing account)."""
    delivery = read_delivery(secret, provider_id, known_providers, body, signature)
    if not isinstance(delivery, Delivery):
        return delivery
    event, data, raw = delivery.event, delivery.data, delivery.raw
    try:
        reply = _apply(memory, provider_id, event, data, raw, calls)
    except Exception:
        logger.exception("webhook %s (%s) could not be stored", event.id, event.type)
        return error(503, "store_unavailable", "the event could not be stored; retry later")
    if on_case is not None and reply[1].get("status") == "applied" and event.type in TICKET_EVENTS:
        try:
            on_case(provider_id, str(event.data.get("id")))
        except Exception:
            # Stored already: the account of the case is lost, not the event. Said loudly.
            logger.exception("the closing account of %s could not be queued", event.data.get("id"))
    return reply


def _kept(event_type: str, raw: dict[str, Any]) -> dict[str, Any]:
    """What of a delivery is stored: a ticket's notes are left out, since one may carry the
    owner's answer to an identity check, which Stand-in never keeps."""
    data = raw.get("data")
    if event_type not in TICKET_EVENTS or not isinstance(data, dict) or "notes" not in data:
        return raw
    return {**raw, "data": {k: v for k, v in data.items() if k != "notes"}}


def _apply_call(calls: CallEvents | None, provider_id: str, call: Call) -> str:
    assert calls is not None
    # `receive` refused a call naming another provider; another provider's call of this id
    # is answered like an unknown one, so the answer tells nothing about it.
    stored = calls.store.get(call.id)
    if stored is None or stored.provider != provider_id:
        return "ignored"
    return "applied" if calls.apply(call, "webhook") else "stale"


def _apply(
    memory: CaseMemory,
    provider_id: str,
    event: WebhookEvent,
    data: BaseModel | None,
    raw: dict[str, Any],
    calls: CallEvents | None = None,
) -> Reply:
    received = utc_now()
    resource_id = str(event.data.get("id")) if event.data.get("id") else None
    fresh = memory.remember_event(
        event.id,
        event.type,
        received,
        provider=provider_id,
        resource_id=resource_id,
        created_at=event.created_at,
        payload=_kept(event.type, raw),
    )
    if not fresh:
        return 200, {"status": "duplicate", "event_id": event.id}
    # `receive` checked that data.provider is provider_id: every upsert below is keyed by it.
    try:
        if data is None or (isinstance(data, Call) and calls is None):
            outcome, status = "ignored", 202  # kept for later; nothing acts on it yet
        elif isinstance(data, Call):
            outcome, status = _apply_call(calls, provider_id, data), 200
        elif event.type in TICKET_EVENTS:
            changed = memory.upsert_case_from_ticket(event.data, event_at=received)
            outcome, status = ("applied" if changed else "stale"), 200
        elif event.type == "appointment.changed":
            outcome, status = ("applied" if memory.upsert_appointment(event.data) else "stale"), 200
        else:
            outcome, status = ("applied" if memory.upsert_order(event.data) else "stale"), 200
        memory.set_event_outcome(provider_id, event.id, outcome)
    except Exception:
        # Not handled, so not seen: the provider's retry must be processed, not dropped.
        memory.forget_event(provider_id, event.id)
        raise
    if outcome == "stale":
        logger.info("webhook %s is older than what is stored; nothing changed", event.id)
    return status, {"status": outcome, "event_id": event.id}
