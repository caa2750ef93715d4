"""What "it" means right after Stand-in did something: "cancel it" just after a booking means
that booking, "scrap that ticket" just after a report means that ticket.

The newest ticket opened or appointment booked in this conversation is the one meant when the
owner names none. Nothing is sent on this reading alone: the cancel forms read the case back and
wait for the owner's yes.
"""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.core.words import says_any
from actions.handoff.misunderstanding import kept_message
from actions.journeys.intent_choice import reread_as

# Words that undo something just done ("cancel it", "scrap that", "call it off").
UNDO_WORDS = ("cancel", "scrap", "withdraw", "call it off", "call that off", "undo", "take back")
# The slot each kind of recent work is remembered in, and the journey that undoes it.
RECENT_SLOTS = {"last_ticket_id": "cancel_case", "last_appointment_id": "cancel_appointment"}


def newest_work(tracker: Tracker) -> tuple[str, str] | None:
    """The newest ticket or appointment this conversation made, as (slot, id)."""
    for event in reversed(tracker.events):
        if event.get("event") == "slot" and event.get("name") in RECENT_SLOTS:
            if event.get("value"):
                return event["name"], str(event["value"])
    return None


class ActionStopWithNothingRunning(Action):
    """A "stop" with no task running: "cancel it" right after a booking or a report is about
    that booking or ticket, and goes to its cancel journey; anything else is told there is
    nothing to stop."""

    def name(self) -> str:
        return "action_stop_with_nothing_running"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        latest = tracker.latest_message or {}
        recent = newest_work(tracker)
        if recent is None or not says_any(str(latest.get("text") or ""), UNDO_WORDS):
            dispatcher.utter_message(response="utter_nothing_to_stop")
            return []
        return reread_as(tracker, RECENT_SLOTS[recent[0]], kept_message(latest, []))
