"""Misunderstandings: the first gets a short re-prompt; two in a row offer the owner the wheel.

A message whose leading intent would act at a company, read with too little confidence
(rasa_addons/effect_fallback.py), is not a misunderstanding but a doubt: the owner is asked
which was meant, naming the alternatives (`intent_choice_form`, actions/journeys/intent_choice.py),
and nothing is done until they say.

The offer names the open case and the last thing done in the owner's name, from the
assistant's own records, so the owner can take over without asking what state things are in.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.handoff.registry import ask_owner
from actions.runtime import services

logger = logging.getLogger(__name__)

FALLBACK_INTENT = "nlu_fallback"
POINT = "misunderstood"
# Below this, an intent is not worth naming as an alternative.
ALTERNATIVE_FLOOR = 0.1


# What each intent that acts at a company would do, as the owner is asked it ("phone
# {company}"): the intents Stand-in can offer as alternatives when unsure.
CHOICE_LABELS = {
    "report_problem": "utter_choice_report_problem",
    "place_call": "utter_choice_place_call",
    "request_callback": "utter_choice_request_callback",
    "hang_up": "utter_choice_hang_up",
    "add_case_note": "utter_choice_add_case_note",
    "cancel_case": "utter_choice_cancel_case",
    "escalate_case": "utter_choice_escalate_case",
    "book_appointment": "utter_choice_book_appointment",
    "reschedule_appointment": "utter_choice_reschedule_appointment",
    "cancel_appointment": "utter_choice_cancel_appointment",
    "order_part": "utter_choice_order_part",
    "submit_meter_reading": "utter_choice_submit_meter_reading",
    "change_contract": "utter_choice_change_contract",
}


def choice_label(intent: str) -> str | None:
    """The response that names what `intent` would do, or None if it is not offered."""
    return CHOICE_LABELS.get(intent)


def doubtful_choice(tracker: Tracker) -> dict[str, Any] | None:
    """The owner's message kept with the alternatives to put to them, when Rasa's doubt was
    about an intent that acts at a company; None for a plain misunderstanding."""
    if tracker.active_loop.get("name"):
        return None
    latest = tracker.latest_message or {}
    ranking = [
        r
        for r in latest.get("intent_ranking") or []
        if r.get("name") != FALLBACK_INTENT and float(r.get("confidence") or 0) >= ALTERNATIVE_FLOOR
    ]
    options = [r["name"] for r in ranking[:2] if choice_label(r["name"])]
    if not ranking or not options or options[0] != ranking[0]["name"]:
        return None
    return kept_message(latest, options)


def kept_message(
    latest: dict[str, Any], options: list[str], entities: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """The owner's message as it must be taken again once they pick (its words, entities and
    stamp), with the intents to pick from."""
    return {
        "text": latest.get("text") or "",
        "entities": latest.get("entities") or [] if entities is None else entities,
        "message_id": latest.get("message_id"),
        "metadata": latest.get("metadata") or {},
        "options": options,
    }


def misunderstandings_in_a_row(tracker: Tracker) -> int:
    """How many of the owner's latest messages in a row were not understood."""
    count = 0
    for event in reversed(tracker.events):
        if event.get("event") != "user":
            continue
        intent = (event.get("parse_data") or {}).get("intent") or {}
        if intent.get("name") != FALLBACK_INTENT:
            break
        count += 1
    return count


class ActionHandleMisunderstanding(Action):
    def name(self) -> str:
        return "action_handle_misunderstanding"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        choice = doubtful_choice(tracker)
        if choice is not None:
            return [SlotSet("intent_choice", choice), FollowupAction("intent_choice_form")]
        if misunderstandings_in_a_row(tracker) < 2:
            dispatcher.utter_message(response="utter_default")
            return []
        svc = services()
        try:
            cases = await asyncio.to_thread(svc.memory.cases, None, True)
        except Exception:
            logger.exception("case memory unreadable while offering a handoff")
            cases = []
        mine = [c for c in cases if c.conversation_id in (None, tracker.sender_id)]
        if not mine:
            dispatcher.utter_message(response="utter_misunderstood_twice")
            return []
        case = max(mine, key=lambda c: c.updated_at)
        dispatcher.utter_message(
            response="utter_misunderstood_twice_with_case",
            ticket_id=case.ticket_id,
            provider=case.provider,
            summary=case.summary or "",
            status=case.status.replace("_", " "),
        )
        # The offer to take over is a handoff point: its yes hands the company to the owner.
        await ask_owner(
            svc,
            tracker,
            POINT,
            provider=case.provider,
            subject=case.ticket_id,
            data={"ticket_id": case.ticket_id},
        )
        return [
            SlotSet("handoff_question", POINT),
            SlotSet("handoff_context", {"provider": case.provider, "ticket_id": case.ticket_id}),
        ]
