"""The base of every form's validation: only the owner's own messages fill a form.

A notice pushed by the action server arrives as an external event (`trigger_intent`), and
Rasa runs the active form on it first. Its text ("EXTERNAL: EXTERNAL_notice") must never
become an answer: a form's validation extracts nothing from it, so Rasa rejects the form for
that turn and the notice is said, then the form waits for the owner as before.
"""

from __future__ import annotations

from abc import abstractmethod

from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict

from actions.owner.messages import latest_intent, owner_said_it

# Intents that mean what they say even while a question is open: the owner wants out, or help.
# Any other intent on a message whose words name one of an open question's choices ("send it
# to berlin" read as "try again", "the first one" read as a greeting) is a misreading: the
# message is that answer.
NEVER_ANSWERS = {"stop", "help"}
# Intents the forms' text mappings (domain.yml `not_intent`, less the two above) take no answer
# from: a message read as one of them may still be a misread answer, found by its words.
MISREAD_INTENTS = {"deny", "ticket_status", "try_again", "greet", "bot_challenge"}
# Intents the custom extractions never take an answer from.
NOT_ANSWERS = {"stop", "help", "bot_challenge", "greet", "goodbye", "try_again", "ticket_status"}

# Every slot a form fills; stopping a task, or a question lapsing, clears them all so that
# nothing half-collected lingers.
TASK_SLOTS = (
    "problem_provider",
    "problem_description",
    "problem_category",
    "problem_category_misses",
    "rejected_fields",
    "reading_meter",
    "reading_value",
    "reading_unit",
    "case_ticket",
    "case_provider",
    "case_note_text",
    "case_question",
    "case_question_kind",
    "cancel_confirmed",
    "appointment_provider",
    "appointment_service",
    "appointment_offered",
    "appointment_slot",
    "appointment_target",
    "appointment_choices",
    "appointment_cancel_confirmed",
    "part_device",
    "part_sku",
    "part_centre",
    "part_quote",
    "part_order_confirmed",
    "intent_choice",
    "chosen_intent",
)


def may_be_an_answer(tracker: Tracker) -> bool:
    """Whether the latest message may answer an open question by naming one of its choices."""
    return owner_said_it(tracker) and latest_intent(tracker) not in NEVER_ANSWERS


def still_open(tracker: Tracker, slot: str) -> bool:
    """Whether `slot` is the question asked and not yet answered, and the latest message may
    answer it."""
    return (
        tracker.get_slot("requested_slot") == slot
        and not tracker.get_slot(slot)
        and may_be_an_answer(tracker)
    )


class OwnerFormValidation(FormValidationAction):
    @abstractmethod
    def name(self) -> str: ...

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        if not owner_said_it(tracker):
            return []
        return await super().run(dispatcher, tracker, domain)
