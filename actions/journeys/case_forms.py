"""The two follow-up forms: add information to a case (`case_note_form`, which also answers
the provider's question) and cancel one (`cancel_case_form`).

Both first settle which case is meant, checked against the case memory and the desk; their
questions are asked by the `action_ask_*` actions here. Sending is case_notes' and
case_cancellation's job.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.core.errors import ConfigError
from actions.handoff.consents import item_of
from actions.handoff.identity_answers import RELAYED as IDENTITY_RELAYED
from actions.handoff.identity_answers import relay_identity_answer
from actions.handoff.provider_questions import (
    IDENTITY_POINT,
    QUESTION_POINT,
    is_identity_question,
    subject_for,
)
from actions.handoff.registry import ask_owner
from actions.journeys.case_refresh import refresh
from actions.journeys.form_exit import FormWithAWayOut
from actions.journeys.which_case import ambiguous_id, pick_case, say_ambiguous, slot_case
from actions.owner.messages import latest_intent, latest_text
from actions.owner.wording import status_words
from actions.providers.desk_errors import DeskError
from actions.providers.directory import display_name
from actions.runtime import services
from actions.store.owner_cases import AmbiguousTicket, owner_case, owner_cases

NOTE_FORM = "case_note_form"
CANCEL_FORM = "cancel_case_form"
NOTE_SLOTS = (
    "case_ticket",
    "case_provider",
    "case_note_text",
    "case_question",
    "case_question_kind",
)
CANCEL_SLOTS = ("case_ticket", "case_provider", "cancel_confirmed")
START_INTENTS = {"add_case_note", "answer_provider_question", "cancel_case"}
# Messages that steer the conversation rather than answer the question asked.
NOT_AN_ANSWER = {"stop", "help", "bot_challenge", "try_again", "EXTERNAL_notice"}
# What comes after these words is the information itself: "add that it happens every evening".
NOTE_LEAD = re.compile(
    r"(?:\bthat\b|\bsaying\b|\bsay\b|\btell them\b|\banswer is\b|:)\s*(.+)$",
    re.IGNORECASE | re.DOTALL,
)
MAX_NOTE = 5000


def note_from(text: str) -> str | None:
    """The information in "add to my Nimbus ticket that it happens every evening"."""
    found = NOTE_LEAD.search(text)
    note = found.group(1).strip() if found else ""
    return note or None


class _CaseFormValidation(FormWithAWayOut):
    """Shared by both forms: which case is meant, checked against the memory and the desk."""

    form = ""

    def name(self) -> str:
        return f"validate_{self.form}"

    async def extract_case_ticket(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        intent = latest_intent(tracker)
        asked = tracker.get_slot("requested_slot") == "case_ticket"
        if tracker.get_slot("case_ticket") or intent in NOT_AN_ANSWER:
            return {}
        if intent not in START_INTENTS and not asked:
            return {}
        svc = services()
        case = pick_case(svc, tracker)
        if case is None and (ambiguous := ambiguous_id(svc, tracker)) is not None:
            await say_ambiguous(svc, dispatcher, ambiguous)
        # The company is set by validate_case_ticket: rasa_sdk drops an extracted slot the
        # form does not require (case_provider) once validation has run.
        return {"case_ticket": case.ticket_id} if case else {}

    async def validate_case_ticket(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        svc = services()
        provider = tracker.get_slot("case_provider")
        meant = pick_case(svc, tracker)  # what extract_case_ticket found, company included
        if meant is not None and meant.ticket_id == str(value or ""):
            provider = meant.provider
        try:
            case = await asyncio.to_thread(owner_case, svc, str(value or ""), provider)
        except AmbiguousTicket as err:
            await say_ambiguous(svc, dispatcher, err)
            return {"case_ticket": None, "case_provider": None}
        if case is None:
            dispatcher.utter_message(response="utter_ticket_not_found", ticket_id=str(value))
            return {"case_ticket": None, "case_provider": None}
        try:
            ticket = await refresh(svc, case, tracker.sender_id)
            status, question, kind = ticket.status, ticket.question, ticket.question_kind
        except (DeskError, ConfigError):
            # The desk decides when it is sent.
            status, question, kind = case.status, case.question, case.question_kind
        if status in ("closed", "cancelled") or (self.form == CANCEL_FORM and status == "resolved"):
            dispatcher.utter_message(
                response="utter_case_is_final",
                provider_name=await display_name(svc, case.provider),
                ticket_id=case.ticket_id,
                status=status_words(status),
            )
            return {"case_ticket": None, "case_provider": None}
        result: dict[str, Any] = {"case_ticket": case.ticket_id, "case_provider": case.provider}
        if self.form == NOTE_FORM:
            asked = question if status == "awaiting_customer" else None
            result["case_question"] = asked
            result["case_question_kind"] = (
                None
                if not asked
                else "identity"
                if is_identity_question(asked, kind)
                else "general"
            )
        return result


class ValidateCaseNoteForm(_CaseFormValidation):
    form = NOTE_FORM

    async def extract_case_note_text(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        intent = latest_intent(tracker)
        text = latest_text(tracker).strip()
        if tracker.get_slot("case_note_text") or intent in NOT_AN_ANSWER or not text:
            return {}
        if tracker.get_slot("requested_slot") == "case_note_text":
            if tracker.get_slot("case_question_kind") == "identity":
                # Passed through now, from the message itself: never kept in a slot.
                case = await slot_case(services(), tracker, dispatcher)
                if case is None:
                    return {}
                done = await relay_identity_answer(services(), dispatcher, tracker, case, text)
                return {"case_note_text": IDENTITY_RELAYED if done else None}
            return {"case_note_text": text}
        if intent in ("add_case_note", "answer_provider_question"):
            case = pick_case(services(), tracker)
            if (
                case is not None
                and case.question
                and is_identity_question(case.question, case.question_kind)
            ):
                return {}  # an identity answer is asked for on its own, never taken in passing
            note = note_from(text)
            return {"case_note_text": note} if note else {}
        return {}

    async def validate_case_note_text(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if tracker.get_slot("case_question_kind") == "identity" and value != IDENTITY_RELAYED:
            return {"case_note_text": None}  # only ever passed through by the extraction
        text = str(value or "").strip()
        if len(text) > MAX_NOTE:
            dispatcher.utter_message(response="utter_case_note_too_long", limit=MAX_NOTE)
            return {"case_note_text": None}
        return {"case_note_text": text or None}


class ValidateCancelCaseForm(_CaseFormValidation):
    form = CANCEL_FORM


class ActionAskCaseTicket(Action):
    """Which case? Lists the open ones; with none, says so and ends the form."""

    def name(self) -> str:
        return "action_ask_case_ticket"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        svc = services()
        open_cases = owner_cases(svc, open_only=True)
        if not open_cases:
            dispatcher.utter_message(response="utter_no_tickets")
            return [
                ActiveLoop(None),
                SlotSet("requested_slot", None),
                *(SlotSet(s, None) for s in (*NOTE_SLOTS, "cancel_confirmed")),
            ]
        listed = []
        for case in open_cases:
            name = await display_name(svc, case.provider)
            listed.append(f'{name} {case.ticket_id} ("{case.summary or ""}")')
        dispatcher.utter_message(response="utter_ask_case_ticket", cases="; ".join(listed))
        return []


class ActionAskCaseNoteText(Action):
    """The provider's question word for word when there is one, else what to add."""

    def name(self) -> str:
        return "action_ask_case_note_text"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        svc = services()
        case = await slot_case(svc, tracker)
        name = await display_name(svc, case.provider) if case else "the company"
        question = tracker.get_slot("case_question")
        if question and case is not None:
            identity = tracker.get_slot("case_question_kind") == "identity"
            dispatcher.utter_message(
                response="utter_identity_question" if identity else "utter_provider_asks",
                provider_name=name,
                question=question,
                ticket_id=case.ticket_id,
            )
            await ask_owner(
                svc,
                tracker,
                IDENTITY_POINT if identity else QUESTION_POINT,
                provider=case.provider,
                subject=subject_for(case.ticket_id, question),
                data={"ticket_id": case.ticket_id, "question": question},
            )
        elif question:
            dispatcher.utter_message(
                response="utter_provider_asks", provider_name=name, question=question
            )
        else:
            dispatcher.utter_message(
                response="utter_ask_case_note_text",
                provider_name=name,
                ticket_id=tracker.get_slot("case_ticket"),
            )
        return []


class ActionAskCancelConfirmed(Action):
    def name(self) -> str:
        return "action_ask_cancel_confirmed"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        svc = services()
        case = await slot_case(svc, tracker)
        dispatcher.utter_message(
            response="utter_confirm_cancel_case",
            provider_name=await display_name(svc, case.provider) if case else "the company",
            ticket_id=tracker.get_slot("case_ticket"),
            summary=(case.summary if case else "") or "",
            buttons=[
                {"title": "yes", "payload": "/affirm"},
                {"title": "no", "payload": "/deny"},
            ],
        )
        if case is not None:
            await ask_owner(
                svc,
                tracker,
                "cancel_or_contract",
                provider=case.provider,
                subject=item_of("cancel_ticket", case.ticket_id),
                data={"ticket_id": case.ticket_id},
            )
        return []
