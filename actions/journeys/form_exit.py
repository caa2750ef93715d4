"""A way out of every form: an answer that only refuses ("no, I'll do it later", "never mind,
keep the original time", "none of those suit me, leave it") ends the form as "stop" does, with
one answer and nothing sent, whatever intent Rasa read in it.

A plain "no" or "stop" that answers nothing is also caught by the forms' "stop ... half way"
rules once the form rejects it; this catches the refusals Rasa reads as an answer. A yes/no
question's "no" is that question's answer, never a way out.
"""

from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.core.words import says_no_more
from actions.journeys.stop import stop_task
from actions.journeys.try_again import answering_now
from actions.owner.forms import OwnerFormValidation
from actions.owner.messages import latest_text, owner_said_it

# Questions whose "no" is the answer (the owner declines the order or the cancellation).
YES_NO_SLOTS = {"part_order_confirmed", "cancel_confirmed", "appointment_cancel_confirmed"}


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


class FormWithAWayOut(OwnerFormValidation):
    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        if refuses(tracker):
            return await stop_task(dispatcher, tracker)
        return await super().run(dispatcher, tracker, domain)
