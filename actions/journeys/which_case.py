"""Which case the owner means, among their own.

A case is a ticket at one company (two companies may use the same ticket id): the follow-up
forms keep the company in `case_provider` next to the id in `case_ticket`. Where only an id is
known, it is looked up among the owner's cases, and an id several companies use is said to be
ambiguous, never guessed (`owner_case`).
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.owner.messages import latest_intent, latest_text
from actions.providers.directory import display_name
from actions.providers.naming import named_provider
from actions.runtime import Services
from actions.store.cases import Case
from actions.store.owner_cases import AmbiguousTicket, owner_case, owner_cases

TICKET_ID = re.compile(r"\btck-[a-z0-9]+\b", re.IGNORECASE)


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


def _said(svc: Services, tracker: Tracker, text: str | None) -> tuple[str, Any, str | None]:
    """The owner's words, the ticket id they name (a match or None), and the company."""
    text = latest_text(tracker) if text is None else text
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
    intent = latest_intent(tracker)
    if intent == "answer_provider_question" and len(awaiting) == 1:
        return awaiting[0]
    if len(open_cases) == 1:
        return open_cases[0]
    # Several could be meant and none is named: the one this conversation just opened is.
    recent = tracker.get_slot("last_ticket_id")
    return next((c for c in open_cases if c.ticket_id == recent), None)


async def case_or_say_why_not(
    svc: Services, tracker: Tracker, dispatcher: CollectingDispatcher
) -> Case | None:
    """The form's case; None after telling the owner it is ambiguous or not found."""
    told = len(dispatcher.messages)
    case = await slot_case(svc, tracker, dispatcher)
    if case is None and len(dispatcher.messages) == told:
        ticket_id = tracker.get_slot("case_ticket")
        dispatcher.utter_message(response="utter_ticket_not_found", ticket_id=ticket_id)
    return case
