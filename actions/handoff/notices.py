"""Saying the notices of the handoff points: a company's question (or identity check) put to
the owner, a question answered from the profile, a handoff that lapsed into its safe default,
and the summary of a closed case.

A question is told, and "answer <company>" opens the answer form (never opened on the
owner's behalf: their next message might be about anything else). A lapse closes the form that
was waiting for the owner (nothing half-collected is left behind) and says what the safe
default did.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.core.phrases import phrase
from actions.handoff.case_summary import CaseSummary, case_summary, consent_words
from actions.handoff.provider_questions import IDENTITY_POINT, QUESTION_POINT
from actions.handoff.registry import LAPSE_NOTICE
from actions.owner.forms import TASK_SLOTS
from actions.owner.wording import local_time, status_words
from actions.providers.directory import display_name
from actions.runtime import Services
from actions.store.notices import Notice

NOTE_FORM = "case_note_form"
# The forms (and yes/no questions) that wait for the owner at each point.
POINT_FORMS = {
    "choose_slot": ("appointment_form", "reschedule_appointment_form"),
    "approve_cost": ("part_order_form",),
    "identity_check": (NOTE_FORM,),
    "provider_question": (NOTE_FORM,),
    "cancel_or_contract": ("cancel_case_form", "cancel_appointment_form"),
}
POINT_QUESTIONS = {
    "misunderstood": ("misunderstood",),
    "cancel_or_contract": ("contract_change", "escalation"),
    "device_report": ("device_report",),
}
HANDLED_KINDS = (
    IDENTITY_POINT,
    QUESTION_POINT,
    "question_answered_from_profile",
    LAPSE_NOTICE,
    "case_closed",
)


async def say_handoff_notice(
    dispatcher: CollectingDispatcher,
    svc: Services,
    notice: Notice,
    tracker: Tracker,
    domain: DomainDict,
) -> list[EventType]:
    params = notice.params
    name = await display_name(svc, params.get("provider"))
    if notice.kind in (IDENTITY_POINT, QUESTION_POINT):
        return await _question(dispatcher, svc, notice, tracker, name)
    if notice.kind == "question_answered_from_profile":
        dispatcher.utter_message(
            response="utter_question_answered_from_profile",
            provider_name=name,
            ticket_id=params.get("ticket_id"),
            question=params.get("question"),
            answer=params.get("answer"),
        )
        return []
    if notice.kind == LAPSE_NOTICE:
        return _lapsed(dispatcher, svc, params, tracker, name)
    if notice.kind == "case_closed":
        await say_case_closed(
            dispatcher, svc, str(params.get("provider")), str(params.get("ticket_id")), name, domain
        )
        return []
    return []


async def _question(
    dispatcher: CollectingDispatcher,
    svc: Services,
    notice: Notice,
    tracker: Tracker,
    name: str,
) -> list[EventType]:
    """Tell the owner of the company's question. The answer form is not opened for them: the
    owner's next message may be about anything, and must never be sent as an answer by
    accident. "Answer <company>" opens it."""
    params = notice.params
    waiting = await asyncio.to_thread(
        svc.handoffs.waiting, tracker.sender_id, notice.kind, params.get("provider")
    )
    if not any(h.subject == notice.subject for h in waiting):
        return []  # answered, lapsed or withdrawn before this reached the owner
    if tracker.get_slot("case_question") == params.get("question"):
        return []  # the owner is answering it right now
    dispatcher.utter_message(
        response=svc.handoffs.catalogue.point(notice.kind).ask,  # as handoff.yml declares
        provider_name=name,
        ticket_id=str(params.get("ticket_id")),
        question=params.get("question"),
    )
    return []


def _lapsed(
    dispatcher: CollectingDispatcher,
    svc: Services,
    params: dict[str, Any],
    tracker: Tracker,
    name: str,
) -> list[EventType]:
    point = str(params.get("point"))
    entry = svc.handoffs.catalogue.point(point)
    dispatcher.utter_message(
        response=entry.no_answer_told,
        provider_name=name or params.get("provider_name") or "",
        ticket_id=params.get("ticket_id") or "",
        item=params.get("item") or "",
        amount=params.get("amount") or "",
        currency=params.get("currency") or "",
    )
    events: list[EventType] = []
    if tracker.active_loop.get("name") in POINT_FORMS.get(point, ()):
        events += [ActiveLoop(None), SlotSet("requested_slot", None)]
        events += [SlotSet(slot, None) for slot in TASK_SLOTS]
    if tracker.get_slot("handoff_question") in POINT_QUESTIONS.get(point, ()):
        events += [SlotSet("handoff_question", None), SlotSet("handoff_context", None)]
    return events


# --- the account of a closed case ---------------------------------------------------------

KIND_PHRASES = {
    "ticket": "utter_case_did_ticket",
    "note": "utter_case_did_note",
    "cancel": "utter_case_did_cancel",
    "escalate": "utter_case_did_escalate",
    "appointment": "utter_case_did_appointment",
    "appointment_change": "utter_case_did_appointment_change",
    "parts_order": "utter_case_did_parts_order",
    "other": "utter_case_did_other",
}
OUTCOME_PHRASES = {
    "ok": "utter_case_outcome_ok",
    "rejected": "utter_case_outcome_rejected",
    "unavailable": "utter_case_outcome_unavailable",
    "unknown": "utter_case_outcome_unknown",
}


def _when(svc: Services, at: datetime | None) -> str:
    return local_time(at, svc.profile) if at else "?"


async def say_case_closed(
    dispatcher: CollectingDispatcher,
    svc: Services,
    provider: str,
    ticket_id: str,
    provider_name: str,
    domain: DomainDict,
) -> None:
    summary: CaseSummary | None = await asyncio.to_thread(
        case_summary, svc.memory, provider, ticket_id
    )
    if summary is None:
        return
    dispatcher.utter_message(
        response="utter_case_closed_header",
        provider_name=provider_name,
        ticket_id=ticket_id,
        asked=summary.asked or "",
        status=status_words(summary.status),
    )
    for line in summary.requests:
        dispatcher.utter_message(
            response="utter_case_closed_step",
            at=_when(svc, line.at),
            what=phrase(domain, KIND_PHRASES, line.kind, "other"),
            outcome=phrase(domain, OUTCOME_PHRASES, line.outcome, "unknown"),
            detail=line.detail or "",
        )
    for reply in summary.replies:
        if reply.question:
            dispatcher.utter_message(
                response="utter_case_closed_question",
                at=_when(svc, reply.at),
                question=reply.question,
            )
    if summary.total_spent:
        dispatcher.utter_message(
            response="utter_case_closed_cost",
            cost="; ".join(f"{amount:.2f} {cur}" for cur, amount in summary.total_spent.items()),
        )
    else:
        dispatcher.utter_message(response="utter_case_closed_no_cost")
    for consent in summary.consents_used:
        dispatcher.utter_message(response="utter_case_closed_consent", **consent_words(consent))
    still = [f"{c.ticket_id} ({status_words(c.status)})" for c in summary.still_open]
    if still:
        dispatcher.utter_message(response="utter_case_closed_still_open", cases="; ".join(still))
    else:
        dispatcher.utter_message(response="utter_case_closed_nothing_open")
