"""Provider webhooks as they arrive: verify the signature, then read and validate the event.

Deliveries are signed `X-ServiceDesk-Signature: t=<unix>,v1=<hex hmac-sha256("t.body")>` with
the subscription's secret. Verification is Stand-in's own (it must not depend on the reference
desk's code) and refuses signatures older or newer than five minutes, so a captured delivery
cannot be replayed later.

Each provider's subscription has a secret of its own, derived from STANDIN_WEBHOOK_SECRET
(`provider_secret`), and a delivery to `/webhooks/servicedesk/<provider>` is checked with that
provider's secret only. So a company can sign only events about itself: an event whose resource
names another provider is refused (422 `provider_mismatch`). What a valid event changes is
applied by `actions.store.provider_events`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Extra, Field, ValidationError

from actions.providers.desk_models import Call
from rasa_addons.owner_stamp import body_signed, sign_body

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-ServiceDesk-Signature"
TOLERANCE_S = 300
TICKET_EVENTS = ("ticket.status_changed", "ticket.awaiting_customer")
CALL_EVENTS = (
    "call.queued",
    "call.position_changed",
    "call.agent_connected",
    "call.callback_due",
    "call.ended",
)
SUBSCRIBED_EVENTS = (*TICKET_EVENTS, *CALL_EVENTS, "appointment.changed", "parts_order.shipped")
Reply = tuple[int, dict[str, Any]]


def verify_signature(
    secret: str,
    body: bytes,
    header: str | None,
    tolerance_s: float = TOLERANCE_S,
    now: float | None = None,
) -> bool:
    """True when `header` signs exactly `body` with `secret`, within `tolerance_s` of now."""
    return body_signed(secret, body, header, tolerance_s, now)


def provider_secret(master: str, provider_id: str) -> str:
    """The secret of `provider_id`'s subscription, derived from the master secret.

    An HMAC, so one provider's secret says nothing about the master or any other provider's,
    nothing needs storing, and every action server with the same master derives the same."""
    mac = hmac.new(master.encode(), f"stand-in webhook:{provider_id}".encode(), hashlib.sha256)
    return mac.hexdigest()


def sign(secret: str, body: bytes, timestamp: int) -> str:
    """The header a provider would send; for tests and local tools."""
    return sign_body(secret, body, timestamp)


class _Strict(BaseModel):
    class Config:
        extra = Extra.allow  # providers add fields; they are kept, never refused


class WebhookEvent(_Strict):
    id: str = Field(..., min_length=1, max_length=100)
    type: str = Field(..., min_length=1, max_length=100)
    created_at: datetime
    data: dict[str, Any]


class TicketData(_Strict):
    id: str = Field(..., min_length=1)
    provider: str = Field(..., min_length=1)
    status: str = Field(..., min_length=1)
    updated_at: datetime


class ResourceData(_Strict):
    """Appointments and parts orders: what the store needs to keep them in order."""

    id: str = Field(..., min_length=1)
    provider: str = Field(..., min_length=1)
    status: str = Field(..., min_length=1)
    updated_at: datetime


def error(status: int, code: str, message: str, **details: Any) -> Reply:
    """The same error shape the desk uses, so one client can read both."""
    return status, {"error": {"code": code, "message": message, "details": details}}


def _invalid(err: ValidationError, prefix: str = "") -> Reply:
    fields = [
        {"field": prefix + ".".join(str(p) for p in e["loc"]), "message": e["msg"]}
        for e in err.errors()
    ]
    names = ", ".join(f["field"] for f in fields)
    return error(422, "validation_error", f"invalid field(s): {names}", fields=fields)


@dataclass(frozen=True)
class Delivery:
    """A delivery that is signed by its provider, valid, and speaks only for that provider."""

    provider_id: str
    event: WebhookEvent
    data: BaseModel | None  # TicketData, ResourceData or Call; None for an unknown event type
    raw: dict[str, Any]  # the body as sent


def read_delivery(
    secret: str | None,
    provider_id: str,
    known_providers: Collection[str],
    body: bytes,
    signature: str | None,
) -> Delivery | Reply:
    """The delivery to `provider_id`'s URL, or the error reply that refuses it.

    `secret` is the master secret (STANDIN_WEBHOOK_SECRET); the delivery must be signed with
    `provider_secret(secret, provider_id)`."""
    if not secret:
        return error(503, "webhooks_not_configured", "STANDIN_WEBHOOK_SECRET is not set")
    # Authenticity first: an unsigned request learns nothing, not even whether it was valid.
    # Only this provider's secret: another provider's (or the master) signs nothing here.
    if not verify_signature(provider_secret(secret, provider_id), body, signature):
        return error(401, "invalid_signature", f"missing, wrong or stale {SIGNATURE_HEADER}")
    if provider_id not in known_providers:
        return error(404, "not_found", f"no account at provider {provider_id!r}")
    try:
        raw = json.loads(body)
    except ValueError:
        return error(400, "invalid_json", "the body is not JSON")
    if not isinstance(raw, dict):
        return error(422, "validation_error", "the body must be a JSON object", fields=[])
    try:
        event = WebhookEvent.parse_obj(raw)
    except ValidationError as err:
        return _invalid(err)
    try:
        data = _validate_data(event)
    except ValidationError as err:
        return _invalid(err, "data.")
    claimed = getattr(data, "provider", None)
    if claimed is not None and claimed != provider_id:
        # A company speaks only for itself: refused whole (nothing stored, so nothing of it is
        # ever applied), and visibly, so a subscription pointed at the wrong URL shows up as
        # failed deliveries instead of events silently dropped.
        logger.warning(
            "webhook %s (%s) to %s names provider %s: refused",
            event.id,
            event.type,
            provider_id,
            claimed,
        )
        return error(
            422,
            "provider_mismatch",
            f"data.provider must be {provider_id!r}, the provider this URL and signature are for",
            fields=[{"field": "data.provider", "message": "not the provider of this URL"}],
        )
    return Delivery(provider_id, event, data, raw)


def _validate_data(event: WebhookEvent) -> BaseModel | None:
    if event.type in TICKET_EVENTS:
        return TicketData.parse_obj(event.data)
    if event.type in ("appointment.changed", "parts_order.shipped"):
        return ResourceData.parse_obj(event.data)
    if event.type in CALL_EVENTS:
        return Call.parse_obj(event.data)
    return None
