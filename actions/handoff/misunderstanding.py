"""Misunderstandings: the first gets a short re-prompt; two in a row offer the owner the wheel.

The offer names the open case and the last thing done in the owner's name, from the
assistant's own records, so the owner can take over without asking what state things are in.
"""

from __future__ import annotations

import asyncio
import logging

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.handoff.registry import ask_owner
from actions.runtime import services

logger = logging.getLogger(__name__)

FALLBACK_INTENT = "nlu_fallback"
POINT = "misunderstood"


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
