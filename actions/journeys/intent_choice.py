"""Which did the owner mean? Asked when Rasa's reading of a message would act at a company on
too thin a lead (actions/handoff/misunderstanding.py starts `intent_choice_form`).

The question names the alternatives ("Do you want me to phone Nimbus Telecom or report the
problem to Nimbus Telecom?"); the owner's answer picks one (by saying it, by its number, or
"yes" when there is one), and the original message is then taken again, with the chosen intent
and its own words, entities and stamp, so the journey starts as if it had been understood. A
"no" ends it with nothing done.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.core.phrases import response_text
from actions.core.slot_choice import ORDINALS
from actions.core.word_lists import one_of
from actions.core.words import has_phrase, normalise
from actions.handoff.misunderstanding import choice_label
from actions.journeys.form_exit import FormWithAWayOut
from actions.owner.messages import latest_intent, latest_text
from actions.providers.desk_errors import DeskError
from actions.runtime import services

CHOICE_SLOTS = ("intent_choice", "chosen_intent")
# Intents about the call under way, whose company is that call's when the owner names none.
CALL_INTENTS = {"hang_up", "request_callback"}
PICK_BY_NUMBER = re.compile(
    r"^(?:the )?(?:option |number )?(first|second|1st|2nd|1|2)(?: one)?(?: please)?$"
)
# Words that pick an alternative when the owner answers in their own words ("report it", "just
# ring them"): whatever intent Rasa reads in the answer, these name one option.
CHOICE_WORDS: dict[str, tuple[str, ...]] = {
    "report_problem": ("report", "log", "ticket", "fault", "complaint"),
    "place_call": ("call", "phone", "ring"),
    "request_callback": ("callback", "call back", "call me back"),
    "hang_up": ("hang up", "put the phone down"),
    "add_case_note": ("note", "add"),
    "cancel_case": ("cancel", "withdraw"),
    "escalate_case": ("escalate", "manager"),
    "book_appointment": ("book", "visit", "appointment"),
    "reschedule_appointment": ("move", "reschedule", "later"),
    "cancel_appointment": ("cancel",),
    "order_part": ("order", "buy"),
    "submit_meter_reading": ("reading", "meter", "send"),
    "change_contract": ("contract", "plan", "change"),
}


def _options(tracker: Tracker) -> list[str]:
    choice = tracker.get_slot("intent_choice")
    return list(choice.get("options") or []) if isinstance(choice, dict) else []


async def _company(tracker: Tracker) -> str | None:
    """The company the kept message names, if any, by its display name."""
    choice = tracker.get_slot("intent_choice") or {}
    said = [e.get("value") for e in choice.get("entities") or [] if e.get("entity") == "provider"]
    svc = services()
    try:
        provider = await svc.directory.match(str(said[0] if said else choice.get("text")))
        if provider is None and CALL_INTENTS & set(choice.get("options") or []):
            # "hang up" names no company: the one call under way is the one meant.
            calls = await asyncio.to_thread(svc.calls.store.latest, None, tracker.sender_id, True)
            if len({c.provider for c in calls}) == 1:
                provider = await svc.directory.get(calls[0].provider)
    except DeskError:
        return None
    return provider.name if provider else None


class ActionAskChosenIntent(Action):
    def name(self) -> str:
        return "action_ask_chosen_intent"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        company = await _company(tracker) or response_text(domain, "utter_choice_the_company")
        labels = [
            response_text(domain, choice_label(o) or "").replace("{company}", company)
            for o in _options(tracker)
        ]
        dispatcher.utter_message(
            response="utter_ask_chosen_intent",
            choices=one_of(domain, labels),
            buttons=[
                {"title": label, "payload": f"/{option}"}
                for label, option in zip(labels, _options(tracker), strict=True)
            ],
        )
        return []


class ValidateIntentChoiceForm(FormWithAWayOut):
    def name(self) -> str:
        return "validate_intent_choice_form"

    async def extract_chosen_intent(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if tracker.get_slot("requested_slot") != "chosen_intent":
            return {}
        options = _options(tracker)
        intent = latest_intent(tracker)
        if intent in options:
            return {"chosen_intent": intent}
        said = normalise(latest_text(tracker))
        named = [o for o in options if any(has_phrase(said, w) for w in CHOICE_WORDS.get(o, ()))]
        if len(named) == 1:
            return {"chosen_intent": named[0]}
        # A number only as the whole answer ("the second one", "2"): "under 2 mbps" picks nothing.
        picked = PICK_BY_NUMBER.match(said)
        if picked:
            number = ORDINALS.get(picked.group(1)) or int(picked.group(1))
            if 1 <= number <= len(options):
                return {"chosen_intent": options[number - 1]}
        if intent == "affirm" and len(options) == 1:
            return {"chosen_intent": options[0]}
        return {}


class ActionApplyIntentChoice(Action):
    def name(self) -> str:
        return "action_apply_intent_choice"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        choice = tracker.get_slot("intent_choice")
        chosen = tracker.get_slot("chosen_intent")
        reset = [SlotSet(slot, None) for slot in CHOICE_SLOTS]
        if not isinstance(choice, dict) or chosen not in (choice.get("options") or []):
            return reset  # the owner stopped the question, and has been told
        return [*reset, *reread_as(tracker, chosen, choice)]


def reread_as(tracker: Tracker, intent: str, message: dict[str, Any]) -> list[EventType]:
    """The owner's own message again, now understood as `intent`: its words, entities and stamp
    are theirs, so the journey reads it exactly as if Rasa had understood it the first time.
    `message` holds the kept text, entities, message_id and metadata."""
    parse_data = {
        "text": message.get("text") or "",
        "intent": {"name": intent, "confidence": 1.0},
        "intent_ranking": [{"name": intent, "confidence": 1.0}],
        "entities": message.get("entities") or [],
    }
    again = {
        "event": "user",
        "text": parse_data["text"],
        "parse_data": parse_data,
        "message_id": message.get("message_id"),
        "metadata": message.get("metadata") or {},
        "input_channel": tracker.get_latest_input_channel(),
    }
    return [ActionExecuted("action_listen"), again]
