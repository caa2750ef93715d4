"""Sending a prepared parts order, only with consent for its cost, and telling the owner exactly
what happened. An order that did not go through is kept in `pending_request` ("try again"
resends it, registered here as "parts_order")."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.devices.incidents import part_decided
from actions.handoff.consents import (
    authorise,
)
from actions.handoff.owner_control import sending_credentials
from actions.journeys.part_catalogue import (
    part_spend,
)
from actions.journeys.part_form import (
    FORM,
)
from actions.journeys.try_again import resends
from actions.owner.wording import money
from actions.providers.desk_errors import DeskRejected, DeskTimeout, DeskUnavailable
from actions.providers.desk_models import PartOrderCreate
from actions.providers.part_destinations import destination_of
from actions.runtime import Services
from actions.store.owner_preferences import current_preferences

logger = logging.getLogger(__name__)


@resends("parts_order")
async def send_part_order(
    pending: dict[str, Any],
    dispatcher: CollectingDispatcher,
    svc: Services,
    conversation_id: str | None = None,
) -> list[EventType]:
    """Send a prepared parts order, only with consent for its cost; tell exactly what happened.

    The price comes from the desk's catalogue now, and `authorise` checks it against the
    standing limit or a recorded, unexpired, unused consent for this item and amount (or one
    used by this same request, identified by its idempotency key, on an attempt that did not
    go through). Without that, nothing is sent.
    """
    provider = pending["provider"]
    body = pending["body"]
    creds = await sending_credentials(svc, provider, dispatcher, "parts order")
    if creds is None:
        return [SlotSet("pending_request", None)]
    account, key = creds
    where = await destination_of(svc.directory, provider, body.get("deliver_to_service_centre"))
    try:
        catalogue = await svc.desk.list_parts(key, provider, conversation_id=conversation_id)
    except (DeskUnavailable, DeskTimeout) as err:
        dispatcher.utter_message(
            response="utter_parts_order_not_sent", sku=body["sku"], reason=str(err)
        )
        return [SlotSet("pending_request", pending)]
    except DeskRejected as err:
        dispatcher.utter_message(response="utter_parts_order_refused", message=err.message)
        return [SlotSet("pending_request", None)]
    part = next((p for p in catalogue if p.sku == body["sku"]), None)
    if part is None:
        dispatcher.utter_message(response="utter_parts_unknown_sku", sku=body["sku"])
        return [SlotSet("pending_request", None)]
    quantity = int(body.get("quantity", 1))
    total = round(part.price * quantity, 2)
    quote = {
        "provider": provider,
        "sku": part.sku,
        "name": part.name,
        "quantity": quantity,
        "destination": where,
    }
    spend = part_spend(quote, total, part.currency)
    granted = await authorise(svc, conversation_id or "", spend, pending["idempotency_key"])
    if granted is None:
        dispatcher.utter_message(
            response="utter_parts_needs_consent",
            sku=part.sku,
            part_name=part.name,
            amount=money(total),
            currency=part.currency,
        )
        return [SlotSet("pending_request", None)]
    try:
        order = await svc.desk.order_part(
            key,
            provider,
            PartOrderCreate.parse_obj(body),
            pending["idempotency_key"],
            conversation_id=conversation_id,
        )
    except DeskTimeout:
        dispatcher.utter_message(response="utter_parts_order_outcome_unknown", sku=part.sku)
        return [SlotSet("pending_request", pending)]
    except DeskUnavailable as err:
        dispatcher.utter_message(
            response="utter_parts_order_not_sent", sku=part.sku, reason=err.reason
        )
        return [SlotSet("pending_request", pending)]
    except DeskRejected as err:
        dispatcher.utter_message(response="utter_parts_order_refused", message=err.message)
        if err.status == 422 and pending.get("device"):
            # The desk's question goes back to the owner: where should it go?
            return [
                SlotSet("pending_request", None),
                SlotSet("part_device", pending["device"]),
                SlotSet("part_sku", part.sku),
                SlotSet("part_centre", None),
                ActiveLoop(FORM),
            ]
        return [SlotSet("pending_request", None)]
    await asyncio.to_thread(svc.memory.upsert_order, order.dict())
    await part_decided(svc, provider, part.sku, order.id)
    dispatcher.utter_message(
        response="utter_parts_ordered",
        order_id=order.id,
        part_name=order.name or part.name,
        quantity=order.quantity,
        amount=money(order.total),
        currency=order.currency,
        destination=await destination_of(svc.directory, provider, order.deliver_to_service_centre),
    )
    if granted.basis == "within_limit":
        prefs = await current_preferences(svc)
        dispatcher.utter_message(
            response="utter_parts_within_limit",
            limit=money(prefs.spending_limit),
            currency=prefs.currency,
        )
    return [SlotSet("pending_request", None)]
