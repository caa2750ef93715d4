"""A second request in the same message as a report, done after it, in the order asked:
"report it and get a technician out" books a visit next, "report it and ring them" places the
call next. Each goes to the company just reported to, through its own journey (a booking still
waits for the owner's pick of a slot; a call is the owner's explicit ask).
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet

from actions.core.words import says_any
from actions.handoff.misunderstanding import kept_message
from actions.journeys.appointment_forms import BOOK_FORM
from actions.journeys.appointment_words import (
    FAULT_SERVICES,
    VISIT_WORDS,
    infer_service,
    offered_services,
)
from actions.journeys.intent_choice import reread_as
from actions.runtime import Services

# Words that ask for a call besides the report ("report it and ring them", "then phone them").
CALL_WORDS = (
    "and call them",
    "and ring them",
    "and phone them",
    "then call them",
    "then ring them",
    "then phone them",
    "and give them a call",
    "and give them a ring",
    "and get them on the phone",
)


async def after_the_report(
    svc: Services, tracker: Tracker, provider_id: str, text: str
) -> list[EventType]:
    """What the report's own message also asked for, started next; [] when nothing."""
    if says_any(text, VISIT_WORDS):
        return await _visit_next(svc, provider_id, text)
    if says_any(text, CALL_WORDS):
        return _call_next(tracker, provider_id)
    return []


async def _visit_next(svc: Services, provider_id: str, text: str) -> list[EventType]:
    """The booking form, for the company just reported to, when it books fault visits; the
    ticket just opened is the open case the visit goes with."""
    offered = await offered_services(svc, provider_id) or []
    service = infer_service(offered, text)
    if service not in FAULT_SERVICES:
        return []
    return [
        SlotSet("appointment_provider", provider_id),
        SlotSet("appointment_service", service),
        FollowupAction(BOOK_FORM),
    ]


def _call_next(tracker: Tracker, provider_id: str) -> list[EventType]:
    """The owner's message taken again as the call, to the company just reported to."""
    latest: dict[str, Any] = dict(tracker.latest_message or {})
    entities = [e for e in latest.get("entities") or [] if e.get("entity") != "provider"]
    entities.append({"entity": "provider", "value": provider_id})
    return reread_as(tracker, "place_call", kept_message(latest, [], entities))
