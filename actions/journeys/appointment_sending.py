"""Sending a prepared booking, move or cancellation to the desk, and telling the owner exactly
what happened. A request that did not go through is kept in `pending_request` ("try again"
resends it, registered here as "appointment"); a slot taken meanwhile brings fresh slots and the
question again."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.core.errors import ConfigError
from actions.devices.incidents import appointment_booked
from actions.handoff.consents import item_of, refuse_unless_permitted
from actions.handoff.owner_control import sending_credentials
from actions.journeys.appointment_display import (
    appointment_entry,
    owner_zone,
    place,
    slot_lines,
    when,
)
from actions.journeys.appointment_forms import (
    BOOK_FORM,
    RESCHEDULE_FORM,
)
from actions.journeys.appointment_lookup import fetch_slots
from actions.journeys.try_again import resends
from actions.providers.desk_errors import DeskError, DeskRejected, DeskTimeout, DeskUnavailable
from actions.providers.desk_models import AppointmentCreate
from actions.providers.directory import display_name
from actions.runtime import Services

logger = logging.getLogger(__name__)


# What the owner hears when a book/reschedule/cancel request did not go through, by operation.
NOT_SENT_RESPONSES = {
    "book": "utter_appointment_book_not_sent",
    "reschedule": "utter_appointment_reschedule_not_sent",
    "cancel": "utter_appointment_cancel_not_sent",
}
OUTCOME_UNKNOWN_RESPONSES = {
    "book": "utter_appointment_book_outcome_unknown",
    "reschedule": "utter_appointment_reschedule_outcome_unknown",
    "cancel": "utter_appointment_cancel_outcome_unknown",
}


@resends("appointment")
async def send_appointment(
    pending: dict[str, Any],
    dispatcher: CollectingDispatcher,
    svc: Services,
    conversation_id: str | None = None,
) -> list[EventType]:
    """Send a prepared booking, move or cancellation; tell the owner exactly what happened."""
    op = pending["op"]
    provider = pending["provider"]
    creds = await sending_credentials(svc, provider, dispatcher, "appointment request")
    if creds is None:
        return [SlotSet("pending_request", None)]
    account, key = creds
    if op == "cancel" and await refuse_unless_permitted(
        svc,
        dispatcher,
        conversation_id,
        provider,
        item_of("cancel_appointment", pending["appointment_id"]),
        pending["idempotency_key"],
    ):
        return [SlotSet("pending_request", None)]
    tz = owner_zone(svc)
    try:
        if op == "book":
            appt = await svc.desk.book_appointment(
                key,
                provider,
                AppointmentCreate.parse_obj(pending["body"]),
                pending["idempotency_key"],
                conversation_id=conversation_id,
            )
        elif op == "reschedule":
            appt = await svc.desk.reschedule_appointment(
                key,
                provider,
                pending["appointment_id"],
                pending["body"]["slot_id"],
                pending["idempotency_key"],
                conversation_id=conversation_id,
            )
        else:
            appt = await svc.desk.cancel_appointment(
                key,
                provider,
                pending["appointment_id"],
                pending["idempotency_key"],
                conversation_id=conversation_id,
            )
    except DeskTimeout:
        dispatcher.utter_message(
            response=OUTCOME_UNKNOWN_RESPONSES[op], provider_name=await display_name(svc, provider)
        )
        return [SlotSet("pending_request", pending)]
    except DeskUnavailable as err:
        dispatcher.utter_message(
            response=NOT_SENT_RESPONSES[op],
            provider_name=await display_name(svc, provider),
            reason=err.reason,
        )
        return [SlotSet("pending_request", pending)]
    except DeskRejected as err:
        return await _rejected(err, pending, dispatcher, svc, conversation_id)
    await asyncio.to_thread(svc.memory.upsert_appointment, appt.dict())
    details = {
        "appointment_id": appt.id,
        "provider_name": await display_name(svc, appt.provider),
        "when": when(appt.start, appt.end, tz),
        "location": place(appointment_entry(appt)),
    }
    if op == "book":
        await appointment_booked(svc, appt.ticket_id, appt.id)
        dispatcher.utter_message(response="utter_appointment_booked", **details)
        if appt.ticket_id:
            dispatcher.utter_message(
                response="utter_appointment_linked_to_ticket", ticket_id=appt.ticket_id
            )
    elif op == "reschedule":
        dispatcher.utter_message(response="utter_appointment_rescheduled", **details)
    else:
        dispatcher.utter_message(response="utter_appointment_cancelled", **details)
        return [SlotSet("pending_request", None)]
    # The appointment "it" means next ("cancel it", "move it"): recent_work.
    return [SlotSet("pending_request", None), SlotSet("last_appointment_id", appt.id)]


async def _rejected(
    err: DeskRejected,
    pending: dict[str, Any],
    dispatcher: CollectingDispatcher,
    svc: Services,
    conversation_id: str | None,
) -> list[EventType]:
    """409 slot_taken or a 422 on the slot: fresh slots and the question again; else refused."""
    op = pending["op"]
    provider = pending["provider"]
    slot_problem = err.code == "slot_taken" or (err.status == 422 and "slot_id" in err.fields)
    if op == "cancel" or not slot_problem:
        dispatcher.utter_message(
            response="utter_appointment_refused",
            provider_name=await display_name(svc, provider),
            message=err.message,
        )
        return [SlotSet("pending_request", None)]
    if err.code == "slot_taken":
        dispatcher.utter_message(
            response="utter_appointment_slot_taken", provider_name=await display_name(svc, provider)
        )
    else:
        dispatcher.utter_message(
            response="utter_appointment_slot_refused",
            provider_name=await display_name(svc, provider),
            message=err.message,
        )
    try:
        fresh = await fetch_slots(svc, provider, pending.get("service"), conversation_id)
    except (DeskError, ConfigError) as fetch_err:
        logger.warning("cannot list fresh slots: %s", fetch_err)
        dispatcher.utter_message(
            response="utter_appointment_slots_unavailable",
            provider_name=await display_name(svc, provider),
        )
        return [SlotSet("pending_request", None)]
    if not fresh:
        dispatcher.utter_message(
            response="utter_no_free_slots", provider_name=await display_name(svc, provider)
        )
        return [SlotSet("pending_request", None)]
    name = await display_name(svc, provider)
    dispatcher.utter_message(
        response="utter_ask_appointment_slot",
        provider_name=name,
        slots=slot_lines(fresh, owner_zone(svc)),
    )
    if conversation_id:
        # The owner picks again: a new choose_slot question with its own deadline.
        await asyncio.to_thread(
            svc.handoffs.open,
            "choose_slot",
            conversation_id,
            provider=provider,
            data={"provider_name": name},
            output_channel=svc.settings.notify_channel,
        )
    form = BOOK_FORM if op == "book" else RESCHEDULE_FORM
    events: list[EventType] = [
        SlotSet("pending_request", None),
        SlotSet("appointment_provider", provider),
        SlotSet("appointment_service", pending.get("service")),
        SlotSet("appointment_offered", fresh),
        SlotSet("appointment_slot", None),
    ]
    if op == "reschedule":
        events += [
            SlotSet("appointment_target", pending["appointment_id"]),
            SlotSet("appointment_choices", [pending["target"]]),
        ]
    return [*events, ActiveLoop(form), SlotSet("requested_slot", "appointment_slot")]
