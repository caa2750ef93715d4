"""A way out of every form: an answer that only refuses ("no, I'll do it later", "never mind,
keep the original time", "none of those suit me, leave it") ends the form as "stop" does, with
one answer and nothing sent, whatever intent Rasa read in it.

An answer that asks for another journey that acts at a company ("actually, just ring them
instead", read with confidence) sets the form aside, with nothing sent, and asks the owner to
confirm the new one (intent_choice_form), keeping the company the form was about.

A plain "no" or "stop" that answers nothing is also caught by the forms' "stop ... half way"
rules once the form rejects it; this catches the refusals Rasa reads as an answer. A yes/no
question's "no" is that question's answer, never a way out.
"""

from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.core.words import says_any, says_no_more
from actions.handoff.misunderstanding import choice_label, kept_message
from actions.journeys.stop import abandon_task, stop_task
from actions.journeys.try_again import answering_now
from actions.owner.forms import OwnerFormValidation
from actions.owner.messages import latest_intent, latest_text, owner_said_it

# Questions whose "no" is the answer (the owner declines the order or the cancellation).
YES_NO_SLOTS = {"part_order_confirmed", "cancel_confirmed", "appointment_cancel_confirmed"}
# Questions whose answer is the owner's own free text: what it asks for is the answer, unless
# the owner says they changed their mind.
FREE_TEXT_SLOTS = {"problem_description", "case_note_text"}
# The journey each form belongs to: asking for it again is an answer, not a switch.
FORM_INTENTS = {
    "report_problem_form": "report_problem",
    "meter_reading_form": "submit_meter_reading",
    "appointment_form": "book_appointment",
    "reschedule_appointment_form": "reschedule_appointment",
    "cancel_appointment_form": "cancel_appointment",
    "case_note_form": "add_case_note",
    "cancel_case_form": "cancel_case",
    "part_order_form": "order_part",
}
# The slot of each form that names the company, carried into the journey switched to.
COMPANY_SLOTS = ("problem_provider", "appointment_provider", "case_provider")
SWITCH_CONFIDENCE = 0.8
# In a free-text answer a switch must also say the owner changed their mind: "my phone keeps
# dropping calls" describes a fault; "actually, just ring them instead" asks for a call.
CHANGE_OF_MIND = ("instead", "actually", "rather", "changed my mind", "on second thought")


def refuses(tracker: Tracker) -> bool:
    """Whether the owner's latest message, answering a form's question, only refuses."""
    asked = tracker.get_slot("requested_slot")
    return (
        bool(asked)
        and asked not in YES_NO_SLOTS
        and owner_said_it(tracker)
        and answering_now(tracker)
        and says_no_more(latest_text(tracker))
    )


def switches_to(tracker: Tracker) -> str | None:
    """The other journey that acts at a company the owner's answer asks for, if any."""
    form = (tracker.active_loop or {}).get("name")
    asked = tracker.get_slot("requested_slot")
    intent = latest_intent(tracker)
    confidence = float(((tracker.latest_message or {}).get("intent") or {}).get("confidence") or 0)
    if (
        form not in FORM_INTENTS
        or not asked
        or (asked in FREE_TEXT_SLOTS and not says_any(latest_text(tracker), CHANGE_OF_MIND))
        or intent is None
        or intent == FORM_INTENTS[form]
        or choice_label(intent) is None
        or confidence < SWITCH_CONFIDENCE
        or not owner_said_it(tracker)
        or not answering_now(tracker)
    ):
        return None
    return intent


def _switch_choice(tracker: Tracker, intent: str) -> dict:
    latest = tracker.latest_message or {}
    entities = list(latest.get("entities") or [])
    company = next((tracker.get_slot(s) for s in COMPANY_SLOTS if tracker.get_slot(s)), None)
    if company and not any(e.get("entity") == "provider" for e in entities):
        entities.append({"entity": "provider", "value": company})
    return kept_message(latest, [intent], entities)


class FormWithAWayOut(OwnerFormValidation):
    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        if refuses(tracker):
            return await stop_task(dispatcher, tracker)
        other = switches_to(tracker)
        if other is not None:
            choice = _switch_choice(tracker, other)
            dispatcher.utter_message(response="utter_task_set_aside")
            return [
                *await abandon_task(tracker),
                SlotSet("intent_choice", choice),
                FollowupAction("intent_choice_form"),
            ]
        return await super().run(dispatcher, tracker, domain)
