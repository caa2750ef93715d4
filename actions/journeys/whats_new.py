"""What changed on the owner's cases since they were last told ("anything new?").

What the owner was told is kept per conversation (`save_check`); ticket status records it too,
so "anything new?" tells changes only. When a desk cannot be reached, the owner hears what the
case memory last knew, marked as not fresh.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.journeys.case_refresh import case_key, refresh_all
from actions.owner.wording import local_time, status_words
from actions.providers.directory import display_name
from actions.runtime import Services, services
from actions.store.cases import Case
from actions.store.owner_cases import owner_cases

logger = logging.getLogger(__name__)


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
