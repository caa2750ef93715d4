"""Following up on cases: list them, add information, answer the provider's question, cancel,
and "anything new?".

The case memory is the source of truth for which cases exist; each is refreshed from the desk
when it can be reached, and when it cannot, the owner hears what the memory last knew, marked
as not fresh. Notes and cancellations go out with an idempotency key; one that did not go
through is kept in `pending_request` ("ticket_note", "ticket_cancel") so "try again" resends it.

A case is a ticket at one company (two companies may use the same ticket id): the forms keep
the company in `case_provider` next to the id in `case_ticket`. Where only an id is known, it is
looked up among the owner's cases, and an id several companies use is said to be ambiguous,
never guessed (`owner_case`).
"""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.core.errors import ConfigError
from actions.core.idempotency import request_key
from actions.handoff.consents import item_of, permission_from_this_turn, refuse_unless_permitted
from actions.handoff.identity_answers import RELAYED as IDENTITY_RELAYED
from actions.handoff.identity_answers import relay_identity_answer
from actions.handoff.owner_control import sending_credentials
from actions.handoff.provider_questions import (
    IDENTITY_POINT,
    QUESTION_POINT,
    is_identity_question,
    subject_for,
)
from actions.handoff.registry import ask_owner, owner_answered
from actions.journeys.try_again import resends
from actions.owner.forms import OwnerFormValidation
from actions.owner.messages import turn_marker
from actions.owner.profile import Account
from actions.owner.wording import local_time, status_words
from actions.providers.desk_errors import DeskError, DeskRejected, DeskTimeout, DeskUnavailable
from actions.providers.desk_models import Ticket
from actions.providers.directory import display_name
from actions.providers.naming import named_provider
from actions.runtime import Services, services
from actions.store.cases import Case
from actions.store.owner_cases import AmbiguousTicket, owner_case, owner_cases

logger = logging.getLogger(__name__)

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
TICKET_ID = re.compile(r"\btck-[a-z0-9]+\b", re.IGNORECASE)
# What comes after these words is the information itself: "add that it happens every evening".
NOTE_LEAD = re.compile(
    r"(?:\bthat\b|\bsaying\b|\bsay\b|\btell them\b|\banswer is\b|:)\s*(.+)$",
    re.IGNORECASE | re.DOTALL,
)
MAX_NOTE = 5000


# --- the case memory, for this owner --------------------------------------------------------


def case_key(case: Case) -> str:
    """How the owner's "what was I told" snapshot names a case (provider ids have no "/")."""
    return f"{case.provider}/{case.ticket_id}"


async def slot_case(
    svc: Services, tracker: Tracker, dispatcher: CollectingDispatcher | None = None
) -> Case | None:
    """The case the form settled on (`case_ticket` at `case_provider`). An ambiguous id (a
    form from before `case_provider` existed) is said as such when `dispatcher` is given."""
    ticket_id = tracker.get_slot("case_ticket")
    if not ticket_id:
        return None
    try:
        return await asyncio.to_thread(
            owner_case, svc, str(ticket_id), tracker.get_slot("case_provider")
        )
    except AmbiguousTicket as err:
        if dispatcher is not None:
            await say_ambiguous(svc, dispatcher, err)
        return None


async def say_ambiguous(
    svc: Services, dispatcher: CollectingDispatcher, err: AmbiguousTicket
) -> None:
    names = [await display_name(svc, c.provider) for c in err.cases]
    dispatcher.utter_message(
        response="utter_case_ticket_ambiguous", ticket_id=err.ticket_id, providers=", ".join(names)
    )


def account_of(svc: Services, case: Case) -> Account | None:
    by_id = next((a for a in svc.profile.accounts if a.account_id == case.account_id), None)
    return by_id or svc.profile.account_for(case.provider)


async def remember(
    svc: Services, ticket: Ticket, account: Account | None, conversation_id: str | None = None
) -> None:
    """Keep the memory in step with the desk; a store failure never changes what is said."""
    try:
        await asyncio.to_thread(
            svc.memory.upsert_case_from_ticket,
            ticket.dict(),
            conversation_id,
            account.account_id if account else None,
        )
    except Exception:
        logger.exception("CASE MEMORY WRITE FAILED for ticket %s", ticket.id)


async def refresh(svc: Services, case: Case, conversation_id: str | None) -> Ticket:
    """Read one case back from its desk and store it. Raises DeskError / ConfigError."""
    account = account_of(svc, case)
    if account is None:
        raise ConfigError(f"no account for {case.provider}")
    ticket = await svc.desk.get_ticket(
        svc.profile.api_key(account),
        case.ticket_id,
        account_provider=account.provider,
        conversation_id=conversation_id,
    )
    await remember(svc, ticket, account)
    return ticket


async def refresh_all(
    svc: Services, cases: list[Case], conversation_id: str | None
) -> tuple[list[Case], str | None]:
    """Refresh every case; returns the memory's view afterwards and why any refresh failed."""
    problem: str | None = None
    for case in cases:
        try:
            await refresh(svc, case, conversation_id)
        except DeskRejected as err:
            if err.status != 404:
                problem = problem or err.message
        except DeskUnavailable as err:
            problem = problem or err.reason
        except (DeskError, ConfigError) as err:
            problem = problem or str(err)
    keys = {case_key(c) for c in cases}
    return [c for c in owner_cases(svc) if case_key(c) in keys], problem


def snapshot_of(cases: list[Case]) -> dict[str, Any]:
    return {case_key(c): {"status": c.status, "question": c.question} for c in cases}


def told_about(told: dict[str, Any], case: Case) -> Any:
    """What the owner was last told about `case`; snapshots saved before cases were keyed by
    provider name the ticket id alone."""
    return told.get(case_key(case), told.get(case.ticket_id))


def save_check(svc: Services, conversation_id: str, cases: list[Case]) -> None:
    try:
        previous = svc.memory.last_check(conversation_id)
        snapshot = {**(previous[1] if previous else {}), **snapshot_of(cases)}
        svc.memory.set_last_check(conversation_id, snapshot)
    except Exception:
        logger.exception("could not record what the owner was told about their cases")


# --- which case the owner means -------------------------------------------------------------


def _said(svc: Services, tracker: Tracker, text: str | None) -> tuple[str, Any, str | None]:
    """The owner's words, the ticket id they name (a match or None), and the company."""
    text = tracker.latest_message.get("text") or "" if text is None else text
    said_id = next(tracker.get_latest_entity_values("ticket_id"), None)
    match = TICKET_ID.search(str(said_id or "")) or TICKET_ID.search(text)
    said_provider = next(tracker.get_latest_entity_values("provider"), None)
    profile = svc.profile
    provider = named_provider(profile, str(said_provider or "")) or named_provider(profile, text)
    return text, match, provider


def _with_id(every: list[Case], ticket_id: str, provider: str | None) -> list[Case]:
    named = [c for c in every if c.ticket_id.upper() == ticket_id.upper()]
    if provider is not None and len(named) > 1:
        named = [c for c in named if c.provider == provider]
    return named


def ambiguous_id(svc: Services, tracker: Tracker) -> AmbiguousTicket | None:
    """Set when the owner names a ticket id several of their companies use, and no company."""
    _, match, provider = _said(svc, tracker, None)
    if not match:
        return None
    named = _with_id(owner_cases(svc), match.group(0), provider)
    return AmbiguousTicket(match.group(0), named) if len(named) > 1 else None


def pick_case(svc: Services, tracker: Tracker, text: str | None = None) -> Case | None:
    """The case the owner means: a ticket id, a provider, or the only candidate there is.

    A ticket id more than one company uses needs the company too; without it, None
    (`ambiguous_id` says so)."""
    text, match, provider = _said(svc, tracker, text)
    every = owner_cases(svc)
    if match:
        named = _with_id(every, match.group(0), provider)
        return named[0] if len(named) == 1 else None
    open_cases = [c for c in every if c.is_open]
    if provider is not None:
        open_cases = [c for c in open_cases if c.provider == provider]
    awaiting = [c for c in open_cases if c.status == "awaiting_customer"]
    intent = (tracker.latest_message.get("intent") or {}).get("name")
    if intent == "answer_provider_question" and len(awaiting) == 1:
        return awaiting[0]
    return open_cases[0] if len(open_cases) == 1 else None


def note_from(text: str) -> str | None:
    """The information in "add to my Nimbus ticket that it happens every evening"."""
    found = NOTE_LEAD.search(text)
    note = found.group(1).strip() if found else ""
    return note or None


class _CaseFormValidation(OwnerFormValidation):
    """Shared by both forms: which case is meant, checked against the memory and the desk."""

    form = ""

    def name(self) -> str:
        return f"validate_{self.form}"

    async def extract_case_ticket(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        intent = (tracker.latest_message.get("intent") or {}).get("name")
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
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        text = (tracker.latest_message.get("text") or "").strip()
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


# --- sending a note -------------------------------------------------------------------------


async def _case_or_say_why_not(
    svc: Services, tracker: Tracker, dispatcher: CollectingDispatcher
) -> Case | None:
    """The form's case; None after telling the owner it is ambiguous or not found."""
    told = len(dispatcher.messages)
    case = await slot_case(svc, tracker, dispatcher)
    if case is None and len(dispatcher.messages) == told:
        ticket_id = tracker.get_slot("case_ticket")
        dispatcher.utter_message(response="utter_ticket_not_found", ticket_id=ticket_id)
    return case


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
        case = await _case_or_say_why_not(svc, tracker, dispatcher)
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


# --- cancelling -----------------------------------------------------------------------------


@resends("ticket_cancel")
async def send_cancel(
    pending: dict[str, Any],
    dispatcher: CollectingDispatcher,
    svc: Services,
    conversation_id: str | None = None,
) -> list[EventType]:
    """Send a confirmed cancellation and tell the owner exactly what happened."""
    ticket_id = pending["ticket_id"]
    name = await display_name(svc, pending["provider"])
    creds = await sending_credentials(svc, pending["provider"], dispatcher, "cancellation")
    if creds is None:
        return [SlotSet("pending_request", None)]
    account, key = creds
    item = item_of("cancel_ticket", ticket_id)
    if await refuse_unless_permitted(
        svc, dispatcher, conversation_id, pending["provider"], item, pending["idempotency_key"]
    ):
        return [SlotSet("pending_request", None)]
    try:
        ticket = await svc.desk.cancel_ticket(
            key,
            ticket_id,
            pending["idempotency_key"],
            provider=account.provider,
            conversation_id=conversation_id,
        )
    except DeskTimeout:
        dispatcher.utter_message(
            response="utter_case_cancel_outcome_unknown", provider_name=name, ticket_id=ticket_id
        )
        return [SlotSet("pending_request", pending)]
    except DeskUnavailable as err:
        dispatcher.utter_message(
            response="utter_case_cancel_not_sent",
            provider_name=name,
            ticket_id=ticket_id,
            reason=err.reason,
        )
        return [SlotSet("pending_request", pending)]
    except DeskRejected as err:
        dispatcher.utter_message(
            response="utter_case_cancel_refused",
            provider_name=name,
            ticket_id=ticket_id,
            message=err.message,
        )
        return [SlotSet("pending_request", None)]
    await remember(svc, ticket, account, conversation_id)
    dispatcher.utter_message(
        response="utter_case_cancelled",
        provider_name=name,
        ticket_id=ticket.id,
        summary=ticket.summary,
        status=status_words(ticket.status),
    )
    return [SlotSet("pending_request", None), SlotSet("last_ticket_id", ticket.id)]


class ActionCancelCase(Action):
    def name(self) -> str:
        return "action_cancel_case"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        reset = [SlotSet(s, None) for s in CANCEL_SLOTS]
        ticket_id = tracker.get_slot("case_ticket")
        if not ticket_id:
            return reset
        svc = services()
        case = await _case_or_say_why_not(svc, tracker, dispatcher)
        if case is None:
            return reset
        confirmed = tracker.get_slot("cancel_confirmed") is True
        await owner_answered(
            svc,
            tracker,
            "cancel_or_contract",
            "yes" if confirmed else "no",
            item_of("cancel_ticket", case.ticket_id),
        )
        if confirmed:
            await permission_from_this_turn(
                svc,
                tracker,
                case.provider,
                item_of("cancel_ticket", case.ticket_id),
                f"cancel {case.ticket_id}",
            )
        if not confirmed:
            dispatcher.utter_message(
                response="utter_case_kept",
                provider_name=await display_name(svc, case.provider),
                ticket_id=case.ticket_id,
            )
            return reset
        pending = {
            "kind": "ticket_cancel",
            "provider": case.provider,
            "ticket_id": case.ticket_id,
            "body": {},
            "idempotency_key": request_key(
                tracker.sender_id,
                turn_marker(tracker),
                "ticket_cancel",
                {"ticket_id": case.ticket_id},
            ),
        }
        try:
            events = await send_cancel(pending, dispatcher, svc, tracker.sender_id)
        except Exception:
            logger.exception("sending the cancellation failed unexpectedly")
            dispatcher.utter_message(
                response="utter_case_cancel_outcome_unknown",
                provider_name=case.provider,
                ticket_id=case.ticket_id,
            )
            events = [SlotSet("pending_request", pending)]
        return [*reset, *events]


# --- "anything new?" ------------------------------------------------------------------------


class ActionWhatsNew(Action):
    """What changed on the owner's cases since they were last told: changes only."""

    def name(self) -> str:
        return "action_whats_new"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        svc = services()
        sender = tracker.sender_id
        previous = await asyncio.to_thread(svc.memory.last_check, sender)
        told = previous[1] if previous else {}
        # Webhooks keep the memory current; the desk is asked too, for what they missed.
        known = owner_cases(svc)
        to_refresh = [c for c in known if c.is_open or told_about(told, c) is None]
        _, problem = await refresh_all(svc, to_refresh, sender)
        now = owner_cases(svc)
        if problem is not None:
            dispatcher.utter_message(response="utter_news_not_fresh", reason=problem)
        changes = 0
        for case in sorted(now, key=lambda c: c.updated_at):
            before = told_about(told, case)
            if before is None and not case.is_open:
                continue  # finished before the owner ever heard of it: nothing to act on
            old = before or {}
            status_changed = before is None or old.get("status") != case.status
            new_question = bool(case.question) and case.question != old.get("question")
            if not status_changed and not new_question:
                continue
            changes += 1
            name = await display_name(svc, case.provider)
            if before is None:
                dispatcher.utter_message(
                    response="utter_news_new_case",
                    provider_name=name,
                    ticket_id=case.ticket_id,
                    summary=case.summary or "",
                    status=status_words(case.status),
                )
            elif status_changed:
                dispatcher.utter_message(
                    response="utter_news_status_changed",
                    provider_name=name,
                    ticket_id=case.ticket_id,
                    summary=case.summary or "",
                    old_status=status_words(old.get("status")),
                    status=status_words(case.status),
                )
            if new_question:
                dispatcher.utter_message(
                    response="utter_news_question",
                    provider_name=name,
                    ticket_id=case.ticket_id,
                    question=case.question,
                )
        if changes == 0 and previous:
            dispatcher.utter_message(
                response="utter_nothing_new", since=local_time(previous[0], svc.profile)
            )
        elif changes == 0:
            dispatcher.utter_message(response="utter_nothing_new_at_all")
        await asyncio.to_thread(save_check, svc, sender, now)
        return []
