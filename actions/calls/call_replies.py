"""What the owner hears about a call, shared by the call actions: a notice from the hold, the
call's status, times in the owner's zone; and which call the owner means.

The hold itself is followed by actions.calls.tracker in the background; what it has to tell
the owner arrives as an external event (`EXTERNAL_notice`) and is said by
`action_deliver_notice` (actions.calls.deliver_notice) through `say_notice`.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.calls.hold_policy import minutes
from actions.core.phrases import phrase
from actions.owner.wording import local_time
from actions.providers.desk_models import Call
from actions.providers.directory import display_name
from actions.providers.naming import named_provider
from actions.runtime import Services
from actions.store.calls import CallRecord
from actions.store.notices import Notice

logger = logging.getLogger(__name__)

DECISION_SLOTS = ("call_decision", "call_decision_call")

# --- what each notice says -------------------------------------------------------------------
# Notice kind -> response; a kind not here is logged and not said.
NOTICE_RESPONSES = {
    "call_queued": "utter_call_queued",
    "call_position": "utter_call_position",
    "call_menu_failed": "utter_call_menu_failed",
    "call_menu_stalled": "utter_call_menu_stalled",
    "call_ended_by_provider": "utter_call_ended_by_provider",
    "call_agent_gave_up": "utter_call_agent_gave_up",
    "handoff_timeout_callback_scheduled": "utter_call_timeout_callback",
    "handoff_timeout_hung_up": "utter_call_timeout_hung_up",
    "handoff_timeout_too_late": "utter_call_timeout_failed",
    "handoff_timeout_already_ended": "utter_call_timeout_failed",
    "handoff_timeout_failed": "utter_call_timeout_failed",
    "handoff_timeout_owner_holds": "utter_call_timeout_owner_holds",
}
STATUS_RESPONSES = {
    "ivr": "utter_call_status_menu",
    "queued": "utter_call_status_queued",
    "agent_connected": "utter_call_status_agent",
    "callback_scheduled": "utter_call_status_callback",
    "transferred": "utter_call_status_transferred",
}
# Outcomes and the owner's decisions as phrases inside other responses ({outcome}, {decision});
# the words live in domain.yml like every other owner-facing text.
OUTCOME_PHRASES = {
    "transferred": "utter_call_outcome_transferred",
    "completed": "utter_call_outcome_completed",
    "callback_scheduled": "utter_call_outcome_callback",
    "hung_up_by_owner": "utter_call_outcome_hung_up_by_owner",
    "hung_up_politely": "utter_call_outcome_hung_up_politely",
    "hung_up": "utter_call_outcome_hung_up",
    "ended_by_provider": "utter_call_outcome_ended_by_provider",
    "agent_gave_up": "utter_call_outcome_agent_gave_up",
    "menu_failed": "utter_call_outcome_menu_failed",
    "ongoing": "utter_call_outcome_ongoing",
    "ended": "utter_call_outcome_ended",
}


def when(svc: Services, value: Any) -> str:
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return local_time(value, svc.profile) if isinstance(value, datetime) else "?"


async def say_notice(
    dispatcher: CollectingDispatcher, svc: Services, notice: Notice
) -> list[EventType]:
    """Utter one notice; returns the slot events it implies (an open question)."""
    params = notice.params
    name = await display_name(svc, params.get("provider") or "")
    if notice.kind == "agent_connected":
        record = await asyncio.to_thread(svc.calls.store.get, notice.subject or "")
        if record is None or record.handoff != "waiting":
            return []  # answered or timed out meanwhile: what happened is told separately
        dispatcher.utter_message(
            response="utter_call_callback_agent"
            if params.get("via_callback")
            else "utter_call_agent_connected",
            provider_name=name,
            agent_name=params.get("agent") or "an agent",
            timeout_s=params.get("timeout_s"),
        )
        return [
            SlotSet("call_decision", "take_call"),
            SlotSet("call_decision_call", notice.subject),
        ]
    if notice.kind == "callback_offer":
        dispatcher.utter_message(
            response="utter_call_callback_offer_preferred"
            if params.get("prefers")
            else "utter_call_callback_offer",
            provider_name=name,
            wait_min=params.get("wait_min"),
        )
        return [
            SlotSet("call_decision", "callback_offer"),
            SlotSet("call_decision_call", notice.subject),
        ]
    response = NOTICE_RESPONSES.get(notice.kind)
    if response is None:
        logger.error("no response for notice kind %s", notice.kind)
        return []
    dispatcher.utter_message(
        response=response,
        provider_name=name,
        position=params.get("position"),
        wait_min=params.get("wait_min"),
        seconds=params.get("seconds"),
        due=when(svc, params.get("due_at")),
    )
    return []


async def calls_meant(svc: Services, tracker: Tracker, active_only: bool) -> list[CallRecord]:
    """The calls the owner means: those with the provider they named, else all of theirs."""
    records = await asyncio.to_thread(svc.calls.store.latest, None, tracker.sender_id, active_only)
    said = next(tracker.get_latest_entity_values("provider"), None)
    text = tracker.latest_message.get("text") or ""
    provider = named_provider(svc.profile, str(said or "")) or named_provider(svc.profile, text)
    if provider is not None:
        records = [r for r in records if r.provider == provider]
    return records


def clear_decision() -> list[EventType]:
    return [SlotSet(name, None) for name in DECISION_SLOTS]


async def say_status(
    dispatcher: CollectingDispatcher, svc: Services, record: CallRecord, domain: DomainDict
) -> list[EventType]:
    name = await display_name(svc, record.provider)
    call = Call.parse_obj(record.snapshot)
    response = STATUS_RESPONSES.get(record.state, "utter_call_status_ended")
    dispatcher.utter_message(
        response=response,
        provider_name=name,
        position=call.position,
        wait_min=minutes(call.estimated_wait_s),
        agent_name=call.agent.name if call.agent else "an agent",
        due=when(svc, call.callback.due_at) if call.callback else "?",
        outcome=phrase(domain, OUTCOME_PHRASES, record.outcome, "ended"),
    )
    return []
