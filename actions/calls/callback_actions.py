"""Leaving the queue on the owner's word: "ask them to call me back", and the owner's yes or no
when an agent picks up (take the call, or a callback or a hang-up) or a callback is offered.
"""

from __future__ import annotations

import asyncio

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.calls.call_replies import (
    OUTCOME_PHRASES,
    calls_meant,
    clear_decision,
    say_status,
    when,
)
from actions.calls.owner_decisions import Decision
from actions.core.phrases import phrase
from actions.handoff.owner_control import refuse_if_held
from actions.owner.messages import latest_intent
from actions.providers.directory import display_name
from actions.providers.log_masking import mask
from actions.runtime import Services, services
from actions.store.calls import CallRecord


async def _callback(
    dispatcher: CollectingDispatcher,
    svc: Services,
    record: CallRecord,
    why: str,
    domain: DomainDict,
) -> list[EventType]:
    name = await display_name(svc, record.provider)
    provider = svc.calls.providers.get(record.provider) or await svc.directory.get(record.provider)
    if provider is None or not provider.callbacks_offered:
        dispatcher.utter_message(response="utter_call_no_callbacks", provider_name=name)
        return []
    if record.state not in ("queued", "agent_connected"):
        await say_status(dispatcher, svc, record, domain)
        return []
    decision = await svc.calls.request_callback(record, why)
    if decision.result == "callback_scheduled":
        await asyncio.to_thread(
            svc.calls.store.update, record.call_id, outcome="callback_scheduled"
        )
        dispatcher.utter_message(
            response="utter_call_callback_scheduled",
            provider_name=name,
            due=when(svc, decision.detail.get("due_at")),
            phone=mask(svc.profile.owner.phone),
        )
    elif decision.result == "callback_refused":
        dispatcher.utter_message(response="utter_call_callback_refused", provider_name=name)
    else:
        dispatcher.utter_message(response="utter_call_callback_not_sent", provider_name=name)
    return []


class ActionRequestCallback(Action):
    def name(self) -> str:
        return "action_request_callback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        svc = services()
        records = await calls_meant(svc, tracker, active_only=True)
        if not records:
            dispatcher.utter_message(response="utter_call_none_active")
            return clear_decision()
        if await refuse_if_held(svc, records[0].provider, dispatcher):
            return clear_decision()
        return await _callback(dispatcher, svc, records[0], "owner", domain) + clear_decision()


class ActionCallDecision(Action):
    """The owner's yes or no to the open question: take the call, or a callback offer."""

    def name(self) -> str:
        return "action_call_decision"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        svc = services()
        question = tracker.get_slot("call_decision")
        call_id = tracker.get_slot("call_decision_call")
        record = await asyncio.to_thread(svc.calls.store.get, str(call_id or ""))
        yes = latest_intent(tracker) == "affirm"
        if record is None:
            dispatcher.utter_message(response="utter_call_none_active")
            return clear_decision()
        name = await display_name(svc, record.provider)
        # Taking the call puts the owner through, which is what holding the company means;
        # a no (a callback or a hang-up) or a yes to a callback would speak for the owner.
        sends_for_owner = (question == "take_call") != yes
        if sends_for_owner and await refuse_if_held(svc, record.provider, dispatcher):
            return clear_decision()
        if question == "take_call":
            decision = await (svc.calls.take(record) if yes else svc.calls.decline(record, "owner"))
            self._say(dispatcher, svc, decision, name, domain)
            return clear_decision()
        if yes:
            return await _callback(dispatcher, svc, record, "offer", domain) + clear_decision()
        await asyncio.to_thread(svc.calls.note_owner, record.call_id, "kept_holding")
        dispatcher.utter_message(response="utter_call_keep_holding", provider_name=name)
        return clear_decision()

    @staticmethod
    def _say(
        dispatcher: CollectingDispatcher,
        svc: Services,
        decision: Decision,
        name: str,
        domain: DomainDict,
    ) -> None:
        if decision.result == "too_late":
            outcome = decision.record.outcome if decision.record else None
            dispatcher.utter_message(
                response="utter_call_handoff_too_late",
                provider_name=name,
                outcome=phrase(domain, OUTCOME_PHRASES, outcome, "ended"),
            )
            return
        response = {
            "transferred": "utter_call_transferred",
            "transfer_refused": "utter_call_transfer_failed",
            "transfer_unknown": "utter_call_transfer_unknown",
            "callback_scheduled": "utter_call_declined_callback",
            "hung_up": "utter_call_declined_hung_up",
            "already_ended": "utter_call_already_ended",
        }.get(decision.result, "utter_call_hang_up_failed")
        dispatcher.utter_message(
            response=response,
            provider_name=name,
            phone=mask(svc.profile.owner.phone),
            due=when(svc, decision.detail.get("due_at")),
        )
