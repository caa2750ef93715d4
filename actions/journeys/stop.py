"""Stopping whatever the assistant is collecting from the owner, before anything is sent."""

from __future__ import annotations

import asyncio

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.owner.forms import TASK_SLOTS
from actions.owner.messages import latest_intent
from actions.runtime import services

# The handoff points a form waits on; "stop" withdraws them (the owner decided: nothing).
STOPPABLE_POINTS = (
    "choose_slot",
    "approve_cost",
    "identity_check",
    "provider_question",
    "cancel_or_contract",
)


class ActionStopTask(Action):
    def name(self) -> str:
        return "action_stop_task"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        events = await stop_task(dispatcher, tracker)
        if latest_intent(tracker) == "goodbye":
            # Leaving mid-question ends the task, and the owner gets their goodbye after it.
            dispatcher.utter_message(response="utter_goodbye")
        return events


async def stop_task(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType]:
    """Say so, withdraw the questions the task had put to the owner, forget what it had
    collected and end its form: nothing is sent."""
    dispatcher.utter_message(response="utter_task_stopped")
    return await abandon_task(tracker)


async def abandon_task(tracker: Tracker) -> list[EventType]:
    """`stop_task` without a word: for the caller that says what happens instead."""
    # The questions the stopped task had put to the owner no longer stand.
    await asyncio.to_thread(
        services().handoffs.withdraw_all, tracker.sender_id, STOPPABLE_POINTS, "owner_stopped"
    )
    return [ActiveLoop(None), SlotSet("requested_slot", None)] + [
        SlotSet(slot, None) for slot in (*TASK_SLOTS, "handoff_question", "handoff_context")
    ]
