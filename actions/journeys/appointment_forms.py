"""The appointment forms' validation: `appointment_form` works out the company and service
(from the words and the owner's devices) and takes the owner's pick of a slot (the assistant
never picks one itself); `reschedule_appointment_form` and `cancel_appointment_form` find the
booked appointment meant. What the forms keep between turns, and how they end, is here too."""

from __future__ import annotations

import logging
import re
from abc import abstractmethod
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.core.errors import ConfigError
from actions.core.slot_choice import ORDINALS, resolve_choice
from actions.core.words import normalise
from actions.journeys.appointment_display import (
    owner_zone,
)
from actions.journeys.appointment_lookup import booked_appointments, desk_now
from actions.journeys.appointment_words import (
    FAULT_SERVICES,
    infer_place,
    infer_provider,
    infer_service,
    offered_services,
)
from actions.journeys.form_exit import FormWithAWayOut
from actions.journeys.try_again import answering_now
from actions.owner.forms import NOT_ANSWERS
from actions.owner.messages import latest_intent, latest_text
from actions.providers.desk_errors import DeskError
from actions.providers.directory import display_name
from actions.providers.problem_inference import describes_a_fault
from actions.runtime import services

logger = logging.getLogger(__name__)


BOOK_FORM = "appointment_form"
RESCHEDULE_FORM = "reschedule_appointment_form"
CANCEL_FORM = "cancel_appointment_form"
FORM_SLOTS = (
    "appointment_provider",
    "appointment_service",
    "appointment_offered",
    "appointment_slot",
    "appointment_target",
    "appointment_choices",
    "appointment_cancel_confirmed",
    "appointment_fault",
    "appointment_place",
)


NO_APPOINTMENT = "none"  # appointment_target when the owner has nothing to move or cancel
# Intents that are never an answer to the form's question.


def reset_form() -> list[EventType]:
    """Every appointment form's slots emptied: the form is done, whatever its outcome."""
    return [SlotSet(slot, None) for slot in FORM_SLOTS]


def picked_target(tracker: Tracker) -> dict[str, Any] | None:
    """The booked appointment the owner picked to move or cancel, as it was listed."""
    target = tracker.get_slot("appointment_target")
    choices = tracker.get_slot("appointment_choices") or []
    return next((e for e in choices if e["id"] == target), None)


def chosen_slot(tracker: Tracker) -> dict[str, Any] | None:
    """The offered slot the owner picked."""
    slot_id = tracker.get_slot("appointment_slot")
    offered = tracker.get_slot("appointment_offered") or []
    return next((s for s in offered if s["slot_id"] == slot_id), None)


class _SlotChoosing:
    """The slot question, shared by booking and rescheduling."""

    @staticmethod
    async def extract_appointment_slot(
        dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if tracker.get_slot("requested_slot") != "appointment_slot":
            return {}
        if latest_intent(tracker) in NOT_ANSWERS:
            return {}
        if not answering_now(tracker):
            # The form re-opened within the same turn (e.g. after a 409) with a fresh list:
            # the owner's last answer was about the old list, so they must pick again.
            return {}
        offered = tracker.get_slot("appointment_offered") or []
        svc = services()
        now = await desk_now(svc, tracker.get_slot("appointment_provider"), tracker.sender_id)
        index = resolve_choice(latest_text(tracker), offered, now, owner_zone(svc))
        if index is None:
            dispatcher.utter_message(
                response="utter_slot_choice_unclear", answer=latest_text(tracker)
            )
            return {"appointment_slot": None}
        return {"appointment_slot": offered[index]["slot_id"]}


class ValidateAppointmentForm(FormWithAWayOut):
    def name(self) -> str:
        return "validate_appointment_form"

    async def extract_appointment_provider(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if tracker.get_slot("appointment_provider"):
            return {}
        asked = tracker.get_slot("requested_slot") == "appointment_provider"
        intent = latest_intent(tracker)
        if intent in NOT_ANSWERS or (intent != "book_appointment" and not asked):
            return {}
        svc = services()
        text = latest_text(tracker)
        provider = await infer_provider(svc, text)
        if provider is None:
            if asked:
                dispatcher.utter_message(response="utter_appointment_provider_unknown", said=text)
                return {"appointment_provider": None}
            return {}
        # Unknown services (the directory cannot be read) let the slots question say so.
        offered = await offered_services(svc, provider)
        if svc.profile.account_for(provider) is None or offered == []:
            dispatcher.utter_message(
                response="utter_no_appointments_at_provider",
                provider_name=await display_name(svc, provider),
            )
            return {"appointment_provider": None}
        return {"appointment_provider": provider}

    async def validate_appointment_provider(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if not value:
            return {"appointment_provider": None}
        offered = await offered_services(services(), str(value))
        text = latest_text(tracker)
        service = infer_service(offered or [], text)
        # The fault the owner described with the request ("it won't drain") goes to the company
        # as a ticket when the visit is booked; a routine booking has none.
        asked_here = latest_intent(tracker) == "book_appointment"
        fault = asked_here and service in FAULT_SERVICES and describes_a_fault(text)
        return {
            "appointment_provider": value,
            "appointment_service": service,
            "appointment_offered": None,
            "appointment_fault": text if fault else None,
            # "book me in at the Lisbon centre": the slots shown are there.
            "appointment_place": await infer_place(services(), str(value), text),
        }

    async def extract_appointment_slot(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return await _SlotChoosing.extract_appointment_slot(dispatcher, tracker, domain)


class _TargetFinding(FormWithAWayOut):
    """Which booked appointment the owner means (reschedule and cancel)."""

    @abstractmethod
    def name(self) -> str:
        """Each form's validator names itself; abstract, so the SDK does not register this."""

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        if tracker.get_slot("appointment_target") == NO_APPOINTMENT:
            return ["appointment_target"]
        return domain_slots

    async def extract_appointment_target(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if tracker.get_slot("appointment_target"):
            return {}
        asked = tracker.get_slot("requested_slot") == "appointment_target"
        if latest_intent(tracker) in NOT_ANSWERS:
            return {}
        if asked:
            choices = tracker.get_slot("appointment_choices") or []
        else:
            svc = services()
            try:
                choices = await booked_appointments(svc, tracker.sender_id)
            except (DeskError, ConfigError) as err:
                logger.warning("cannot list appointments: %s", err)
                dispatcher.utter_message(response="utter_appointments_unavailable")
                return {"appointment_target": NO_APPOINTMENT}
            if not choices:
                dispatcher.utter_message(response="utter_no_appointments")
                return {"appointment_target": NO_APPOINTMENT}
        picked = await pick_appointment(
            latest_text(tracker),
            choices,
            only_one_is_enough=not asked,
            recent=None if asked else tracker.get_slot("last_appointment_id"),
        )
        if picked is None:
            if asked:
                dispatcher.utter_message(
                    response="utter_appointment_choice_unclear", answer=latest_text(tracker)
                )
                return {"appointment_target": None}
            return {}  # the question lists them
        return {"appointment_target": picked["id"]}

    async def validate_appointment_target(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Keeps the picked appointment's details, which the next steps show and use."""
        if not value or value == NO_APPOINTMENT:
            return {"appointment_target": value or None}
        choices = tracker.get_slot("appointment_choices") or []
        picked = next((e for e in choices if e["id"] == value), None)
        if picked is None:
            try:
                choices = await booked_appointments(services(), tracker.sender_id)
            except (DeskError, ConfigError) as err:
                logger.warning("cannot list appointments: %s", err)
                dispatcher.utter_message(response="utter_appointments_unavailable")
                return {"appointment_target": NO_APPOINTMENT}
            picked = next((e for e in choices if e["id"] == value), None)
        if picked is None:
            return {"appointment_target": None}
        return {
            "appointment_target": picked["id"],
            "appointment_choices": choices,
            "appointment_provider": picked["provider"],
            "appointment_service": picked.get("service"),
            "appointment_offered": None,
        }


async def pick_appointment(
    text: str,
    choices: list[dict[str, Any]],
    only_one_is_enough: bool,
    recent: str | None = None,
) -> dict[str, Any] | None:
    """The one appointment `text` names (id, number, provider or thing), else the one just
    booked in this conversation (`recent`), else None."""
    words = normalise(text)
    for entry in choices:
        if normalise(entry["id"]) in words:
            return entry
    svc = services()
    provider = await infer_provider(svc, text)
    same = choices
    if provider is not None:
        same = [e for e in choices if e["provider"] == provider]
        if len(same) == 1:
            return same[0]
    numbers = [ORDINALS[w] for w in words.split() if w in ORDINALS]
    numbers += [int(n) for n in re.findall(r"(?<![\w-])(\d)(?![\w-])", words)]
    if len(numbers) == 1 and 1 <= numbers[0] <= len(choices):
        return choices[numbers[0] - 1]
    if only_one_is_enough and len(choices) == 1:
        return choices[0]
    return next((e for e in same if recent and e["id"] == recent), None)


class ValidateRescheduleAppointmentForm(_TargetFinding):
    def name(self) -> str:
        return "validate_reschedule_appointment_form"

    async def extract_appointment_slot(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return await _SlotChoosing.extract_appointment_slot(dispatcher, tracker, domain)


class ValidateCancelAppointmentForm(_TargetFinding):
    def name(self) -> str:
        return "validate_cancel_appointment_form"
