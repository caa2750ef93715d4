"""Appointments: book, reschedule or cancel a repair or a technician visit, and list them.

Each action prepares the request from what its form gathered (a booking is linked to the
device incident's ticket, else to an open ticket with that company) with an idempotency key, and
hands it to `appointment_sending`; cancelling needs the owner's yes, recorded as permission."""

from __future__ import annotations

import asyncio
import logging

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.core.errors import ConfigError
from actions.core.idempotency import request_key
from actions.devices.incidents import ticket_for_slot
from actions.handoff.consents import item_of, permission_from_this_turn
from actions.handoff.registry import owner_answered
from actions.journeys.appointment_display import (
    appointment_lines,
    owner_zone,
    when,
)
from actions.journeys.appointment_forms import (
    chosen_slot,
    picked_target,
    reset_form,
)
from actions.journeys.appointment_lookup import booked_appointments
from actions.journeys.appointment_sending import send_appointment
from actions.journeys.open_ticket import send_ticket, ticket_request
from actions.owner.messages import turn_marker
from actions.providers.desk_errors import DeskError
from actions.providers.desk_models import AppointmentCreate
from actions.providers.problem_inference import infer_category
from actions.runtime import Services, services

logger = logging.getLogger(__name__)


class ActionBookAppointment(Action):
    def name(self) -> str:
        return "action_book_appointment"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        svc = services()
        provider = tracker.get_slot("appointment_provider")
        chosen = chosen_slot(tracker)
        if not provider or chosen is None:
            return reset_form()  # the form ended without a choice and has said why
        await owner_answered(svc, tracker, "choose_slot", "picked")
        # A slot offered for a device's incident goes with that incident's ticket; otherwise
        # with the newest open case at the provider.
        ticket_id = await ticket_for_slot(svc, tracker.sender_id, provider, chosen["slot_id"])
        if ticket_id is None:
            cases = await asyncio.to_thread(svc.memory.cases, provider=provider, open_only=True)
            ticket_id = cases[0].ticket_id if cases else None
        reported: list[EventType] = []
        fault = tracker.get_slot("appointment_fault")
        if ticket_id is None and fault:
            reported = await _report_fault(svc, dispatcher, tracker, provider, str(fault))
            ticket_id = next(
                (e["value"] for e in reported if e.get("name") == "last_ticket_id"), None
            )
        body = AppointmentCreate(
            slot_id=chosen["slot_id"],
            ticket_id=ticket_id,
            service=tracker.get_slot("appointment_service"),
        ).dict(exclude_none=True)
        pending = {
            "kind": "appointment",
            "op": "book",
            "provider": provider,
            "service": body.get("service"),
            "body": body,
            "idempotency_key": request_key(
                tracker.sender_id, turn_marker(tracker), "appointment_book", body
            ),
        }
        booked = await send_appointment(pending, dispatcher, svc, tracker.sender_id)
        if any(e.get("name") == "pending_request" and e.get("value") for e in reported):
            # The ticket did not go out and is kept for "try again"; the booking's own outcome
            # has been told, and a booking still pending is the one kept.
            booked = [e for e in booked if e.get("name") != "pending_request" or e.get("value")]
        return [*reset_form(), *reported, *booked]


async def _report_fault(
    svc: Services,
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    provider_id: str,
    fault: str,
) -> list[EventType]:
    """Open a ticket for the fault the owner described with their booking, so the visit goes
    with it; the owner is told what happened either way."""
    account = svc.profile.account_for(provider_id)
    try:
        provider = await svc.directory.get(provider_id)
    except DeskError:
        return []  # without the categories no ticket can be filed; the visit still goes ahead
    category = infer_category(fault, provider) or provider.general_category
    if account is None or category is None:
        return []
    pending = ticket_request(svc, tracker, account, provider, provider_id, fault, category)
    return await send_ticket(pending, dispatcher, svc, tracker.sender_id)


class ActionRescheduleAppointment(Action):
    def name(self) -> str:
        return "action_reschedule_appointment"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        svc = services()
        target = picked_target(tracker)
        chosen = chosen_slot(tracker)
        if target is None or chosen is None:
            return reset_form()  # nothing to move, and the owner has been told
        await owner_answered(svc, tracker, "choose_slot", "picked")
        body = {"slot_id": chosen["slot_id"]}
        pending = {
            "kind": "appointment",
            "op": "reschedule",
            "provider": target["provider"],
            "service": target.get("service"),
            "appointment_id": target["id"],
            "target": target,
            "body": body,
            "idempotency_key": request_key(
                tracker.sender_id,
                turn_marker(tracker),
                "appointment_reschedule",
                {"id": target["id"], **body},
            ),
        }
        return [*reset_form(), *await send_appointment(pending, dispatcher, svc, tracker.sender_id)]


class ActionCancelAppointment(Action):
    def name(self) -> str:
        return "action_cancel_appointment"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        svc = services()
        target = picked_target(tracker)
        if target is None:
            return reset_form()  # nothing to cancel, and the owner has been told
        confirmed = tracker.get_slot("appointment_cancel_confirmed") is True
        subject = item_of("cancel_appointment", target["id"])
        await owner_answered(
            svc, tracker, "cancel_or_contract", "yes" if confirmed else "no", subject
        )
        if confirmed:
            await permission_from_this_turn(
                svc, tracker, target["provider"], subject, f"cancel {target['id']}"
            )
        if not confirmed:
            dispatcher.utter_message(
                response="utter_appointment_kept",
                appointment_id=target["id"],
                when=when(target["start"], target["end"], owner_zone(svc)),
            )
            return reset_form()
        pending = {
            "kind": "appointment",
            "op": "cancel",
            "provider": target["provider"],
            "appointment_id": target["id"],
            "target": target,
            "body": {},
            "idempotency_key": request_key(
                tracker.sender_id, turn_marker(tracker), "appointment_cancel", {"id": target["id"]}
            ),
        }
        return [*reset_form(), *await send_appointment(pending, dispatcher, svc, tracker.sender_id)]


class ActionListAppointments(Action):
    def name(self) -> str:
        return "action_list_appointments"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        svc = services()
        try:
            entries = await booked_appointments(svc, tracker.sender_id)
        except (DeskError, ConfigError) as err:
            logger.warning("cannot list appointments: %s", err)
            dispatcher.utter_message(response="utter_appointments_unavailable")
            return []
        if not entries:
            dispatcher.utter_message(response="utter_no_appointments")
            return []
        dispatcher.utter_message(
            response="utter_appointments_list",
            appointments=appointment_lines(entries, owner_zone(svc)),
        )
        return []
