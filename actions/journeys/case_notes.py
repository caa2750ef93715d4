"""Adding information to a case, or answering the provider's question on it.

A note goes out with an idempotency key; one that did not go through is kept in
`pending_request` ("ticket_note") so "try again" resends it.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.core.idempotency import request_key
from actions.handoff.identity_answers import RELAYED as IDENTITY_RELAYED
from actions.handoff.owner_control import sending_credentials
from actions.handoff.provider_questions import QUESTION_POINT, subject_for
from actions.journeys.case_forms import NOTE_FORM, NOTE_SLOTS
from actions.journeys.case_refresh import remember
from actions.journeys.try_again import resends
from actions.journeys.which_case import case_or_say_why_not
from actions.owner.messages import turn_marker
from actions.owner.wording import status_words
from actions.providers.desk_errors import DeskError, DeskRejected, DeskTimeout, DeskUnavailable
from actions.providers.directory import display_name
from actions.runtime import Services, services

logger = logging.getLogger(__name__)


@resends("ticket_note")
async def send_note(
    pending: dict[str, Any],
    dispatcher: CollectingDispatcher,
    svc: Services,
    conversation_id: str | None = None,
) -> list[EventType]:
    """Send a prepared note, read the ticket back, and tell the owner exactly what happened."""
    ticket_id, text = pending["ticket_id"], pending["body"]["text"]
    name = await display_name(svc, pending["provider"])
    creds = await sending_credentials(svc, pending["provider"], dispatcher, "note")
    if creds is None:
        return [SlotSet("pending_request", None)]
    account, key = creds
    try:
        added = await svc.desk.add_ticket_note(
            key,
            ticket_id,
            text,
            pending["idempotency_key"],
            provider=account.provider,
            conversation_id=conversation_id,
        )
    except DeskTimeout:
        dispatcher.utter_message(
            response="utter_case_note_outcome_unknown", provider_name=name, ticket_id=ticket_id
        )
        return [SlotSet("pending_request", pending)]
    except DeskUnavailable as err:
        dispatcher.utter_message(
            response="utter_case_note_not_sent",
            provider_name=name,
            ticket_id=ticket_id,
            reason=err.reason,
        )
        return [SlotSet("pending_request", pending)]
    except DeskRejected as err:
        if err.status == 422:
            # The owner can fix the text: ask for it again, for the same case.
            dispatcher.utter_message(
                response="utter_case_note_rejected_field", provider_name=name, message=err.message
            )
            return [
                SlotSet("pending_request", None),
                SlotSet("case_ticket", ticket_id),
                SlotSet("case_provider", pending["provider"]),
                SlotSet("case_note_text", None),
                ActiveLoop(NOTE_FORM),
            ]
        dispatcher.utter_message(
            response="utter_case_note_refused",
            provider_name=name,
            ticket_id=ticket_id,
            message=err.message,
        )
        return [SlotSet("pending_request", None)]
    ticket = added.ticket
    try:
        # Read back from the desk: the owner hears where the ticket stands now.
        ticket = await svc.desk.get_ticket(
            key, ticket_id, account_provider=account.provider, conversation_id=conversation_id
        )
    except DeskError:
        logger.info("reading %s back failed; its state is the one the note answer gave", ticket_id)
    await remember(svc, ticket, account, conversation_id)
    if added.note.answers_question:
        if conversation_id:
            await asyncio.to_thread(
                svc.handoffs.answer,
                conversation_id,
                QUESTION_POINT,
                "answered",
                subject_for(ticket_id, added.note.answers_question),
            )
        dispatcher.utter_message(
            response="utter_case_answer_delivered",
            provider_name=name,
            ticket_id=ticket_id,
            question=added.note.answers_question,
            answer=added.note.text,
            status=status_words(ticket.status),
        )
    else:
        dispatcher.utter_message(
            response="utter_case_note_added",
            provider_name=name,
            ticket_id=ticket_id,
            note_text=added.note.text,
            status=status_words(ticket.status),
        )
    return [SlotSet("pending_request", None), SlotSet("last_ticket_id", ticket_id)]


class ActionSendCaseNote(Action):
    def name(self) -> str:
        return "action_send_case_note"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        reset = [SlotSet(s, None) for s in NOTE_SLOTS]
        ticket_id, text = tracker.get_slot("case_ticket"), tracker.get_slot("case_note_text")
        if not ticket_id or not text:
            return reset  # the form ended without a case (the owner has none open)
        if text == IDENTITY_RELAYED:
            return reset  # the answer went (once) as the owner gave it; nothing to send
        svc = services()
        case = await case_or_say_why_not(svc, tracker, dispatcher)
        if case is None:
            return reset
        body = {"text": str(text)}
        pending = {
            "kind": "ticket_note",
            "provider": case.provider,
            "ticket_id": case.ticket_id,
            "body": body,
            "idempotency_key": request_key(
                tracker.sender_id,
                turn_marker(tracker),
                "ticket_note",
                {"ticket_id": case.ticket_id, **body},
            ),
        }
        try:
            events = await send_note(pending, dispatcher, svc, tracker.sender_id)
        except Exception:
            logger.exception("sending the note failed unexpectedly")
            dispatcher.utter_message(
                response="utter_case_note_outcome_unknown",
                provider_name=case.provider,
                ticket_id=case.ticket_id,
            )
            events = [SlotSet("pending_request", pending)]
        if any(e.get("event") == "active_loop" for e in events):
            return events
        return [*reset, *events]
