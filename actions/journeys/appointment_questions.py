"""The appointment forms' questions: which company (naming what each of the owner's companies
books, from the directory), which booked appointment, which free slot (fetched once per
question), and the yes or no before a cancellation."""

from __future__ import annotations

import logging

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.core.errors import ConfigError
from actions.core.phrases import response_text
from actions.core.word_lists import one_of
from actions.handoff.consents import item_of
from actions.handoff.registry import ask_owner
from actions.journeys.appointment_display import (
    appointment_lines,
    owner_zone,
    place,
    slot_lines,
    when,
)
from actions.journeys.appointment_forms import (
    picked_target,
    reset_form,
)
from actions.journeys.appointment_lookup import booked_appointments, fetch_slots
from actions.providers.desk_errors import DeskError
from actions.providers.directory import display_name
from actions.runtime import Services, services

logger = logging.getLogger(__name__)


def _filled(text: str, **params: str) -> str:
    for name, value in params.items():
        text = text.replace("{" + name + "}", value)
    return text


async def appointment_offers(svc: Services, domain: DomainDict) -> list[str]:
    """What the owner can book, per company that books appointments, as the directory says:
    "a repair with Voltra Motors (car)" (the default service, and the owner's things there)."""
    offers = []
    for account in svc.profile.accounts:
        try:
            provider = await svc.directory.get(account.provider)
        except DeskError:
            provider = None
        if provider is None or not provider.services:
            continue
        things = [d.name or d.kind.replace("_", " ") for d in account.devices]
        response = "utter_appointment_offer_for" if things else "utter_appointment_offer"
        offers.append(
            _filled(
                response_text(domain, response),
                service=provider.services[0].replace("_", " "),
                provider_name=provider.name,
                things=", ".join(things),
            )
        )
    return offers


class ActionAskAppointmentProvider(Action):
    """Which company the appointment is with, naming what each of the owner's companies books."""

    def name(self) -> str:
        return "action_ask_appointment_provider"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        offers = await appointment_offers(services(), domain)
        if not offers:
            dispatcher.utter_message(response="utter_ask_appointment_provider_any")
            return []
        dispatcher.utter_message(
            response="utter_ask_appointment_provider", offers=one_of(domain, offers)
        )
        return []


class ActionAskAppointmentTarget(Action):
    def name(self) -> str:
        return "action_ask_appointment_target"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        svc = services()
        choices = tracker.get_slot("appointment_choices") or []
        if not choices:
            try:
                choices = await booked_appointments(svc, tracker.sender_id)
            except (DeskError, ConfigError) as err:
                logger.warning("cannot list appointments: %s", err)
                dispatcher.utter_message(response="utter_appointments_unavailable")
                return [ActiveLoop(None), *reset_form()]
            if not choices:
                dispatcher.utter_message(response="utter_no_appointments")
                return [ActiveLoop(None), *reset_form()]
        dispatcher.utter_message(
            response="utter_ask_appointment_target",
            appointments=appointment_lines(choices, owner_zone(svc)),
        )
        return [SlotSet("appointment_choices", choices)]


class ActionAskAppointmentSlot(Action):
    """Show the free slots (fetched once per question; fresh after a slot was taken)."""

    def name(self) -> str:
        return "action_ask_appointment_slot"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        svc = services()
        offered = tracker.get_slot("appointment_offered")
        provider = tracker.get_slot("appointment_provider")
        if not offered:
            try:
                offered = await fetch_slots(
                    svc,
                    provider,
                    tracker.get_slot("appointment_service"),
                    tracker.sender_id,
                    tracker.get_slot("appointment_place"),
                )
            except (DeskError, ConfigError) as err:
                logger.warning("cannot list slots: %s", err)
                dispatcher.utter_message(
                    response="utter_appointment_slots_unavailable",
                    provider_name=await display_name(svc, provider),
                )
                return [ActiveLoop(None), *reset_form()]
            if not offered:
                dispatcher.utter_message(
                    response="utter_no_free_slots", provider_name=await display_name(svc, provider)
                )
                return [ActiveLoop(None), *reset_form()]
        name = await display_name(svc, provider)
        dispatcher.utter_message(
            response="utter_ask_appointment_slot",
            provider_name=name,
            slots=slot_lines(offered, owner_zone(svc)),
        )
        await ask_owner(
            svc, tracker, "choose_slot", provider=provider, data={"provider_name": name}
        )
        return [SlotSet("appointment_offered", offered)]


class ActionAskAppointmentCancelConfirmed(Action):
    def name(self) -> str:
        return "action_ask_appointment_cancel_confirmed"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        entry = picked_target(tracker)
        if entry is None:
            return []
        dispatcher.utter_message(
            response="utter_ask_appointment_cancel_confirmed",
            appointment_id=entry["id"],
            provider_name=entry["provider"],
            when=when(entry["start"], entry["end"], owner_zone(services())),
            location=place(entry),
        )
        await ask_owner(
            services(),
            tracker,
            "cancel_or_contract",
            provider=entry["provider"],
            subject=item_of("cancel_appointment", entry["id"]),
            data={"provider_name": entry["provider"]},
        )
        return []
