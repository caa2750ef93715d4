"""The owner's yes or no to a handoff question asked outside forms and calls: "take it over
yourself?" after two misunderstandings, "report it?" about a device, and a contract change or
escalation read back. The questions come from several capabilities (handoff, devices,
journeys), so their one answering action sits here, above them all.

Only the owner's own message answers (never an external event), and only while the question
still stands: a lapsed question was answered by its safe default already, and the owner was
told so.
"""

from __future__ import annotations

import asyncio
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.devices.notices import DEVICE_REPORT, decide_report
from actions.handoff.owner_control import take_over
from actions.journeys.contract_changes import decide
from actions.owner.messages import latest_intent, latest_text, owner_said_it
from actions.runtime import services

MISUNDERSTOOD = "misunderstood"


class ActionHandoffAnswer(Action):
    def name(self) -> str:
        return "action_handoff_answer"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        cleared = [SlotSet("handoff_question", None), SlotSet("handoff_context", None)]
        if not owner_said_it(tracker):
            return []  # the question stays open for the owner
        question = tracker.get_slot("handoff_question")
        context: dict[str, Any] = tracker.get_slot("handoff_context") or {}
        yes = latest_intent(tracker) == "affirm"
        svc = services()
        if question == MISUNDERSTOOD:
            claimed = await asyncio.to_thread(
                svc.handoffs.answer,
                tracker.sender_id,
                MISUNDERSTOOD,
                "took_over" if yes else "carry_on",
            )
            if claimed is None or not context.get("provider"):
                dispatcher.utter_message(response="utter_handoff_no_question")
            elif yes:
                words = latest_text(tracker)
                await take_over(svc, dispatcher, tracker, str(context["provider"]), words)
            else:
                dispatcher.utter_message(response="utter_misunderstood_kept")
            return cleared
        if question == DEVICE_REPORT:
            await decide_report(svc, dispatcher, tracker, context, yes)
            return cleared
        if question in ("contract_change", "escalation") and context.get("item"):
            settled = await decide(svc, dispatcher, tracker, context, yes)
            return cleared if settled else []
        dispatcher.utter_message(response="utter_handoff_no_question")
        return cleared
