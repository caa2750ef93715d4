"""'What happened with my Nimbus call?': the call's steps, each as the owner reads it."""

from __future__ import annotations

import asyncio
from datetime import datetime

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.calls.call_replies import OUTCOME_PHRASES, calls_meant, when
from actions.core.phrases import phrase
from actions.providers.directory import display_name
from actions.providers.log_masking import mask
from actions.runtime import Services, services

STEP_RESPONSES = {
    "dialled": "utter_call_step_dialled",
    "key": "utter_call_step_key",
    "wrong_turn": "utter_call_step_wrong_turn",
    "queued": "utter_call_step_queued",
    "agent_connected": "utter_call_step_agent",
    "callback_scheduled": "utter_call_step_callback",
    "transferred": "utter_call_step_transferred",
    "owner": "utter_call_step_owner",
    "ended": "utter_call_step_ended",
}
# The owner's decisions as phrases inside a step ({decision}); the words live in domain.yml.
DECISION_PHRASES = {
    "took": "utter_call_decision_took",
    "declined": "utter_call_decision_declined",
    "no_answer": "utter_call_decision_no_answer",
    "hang_up": "utter_call_decision_hang_up",
    "kept_holding": "utter_call_decision_kept_holding",
}


def _clock(svc: Services, value: datetime) -> str:
    return when(svc, value).split(", ")[-1]


class ActionCallHistory(Action):
    def name(self) -> str:
        return "action_call_history"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        svc = services()
        records = await calls_meant(svc, tracker, active_only=False)
        if not records:
            dispatcher.utter_message(response="utter_call_history_none")
            return []
        record = records[0]
        name = await display_name(svc, record.provider)
        dispatcher.utter_message(
            response="utter_call_history_header",
            provider_name=name,
            reason=record.reason or "?",
            started=when(svc, record.created_at),
            outcome=phrase(
                domain,
                OUTCOME_PHRASES,
                record.outcome or ("ongoing" if record.active else None),
                "ended",
            ),
        )
        for step in await asyncio.to_thread(svc.calls.store.steps, record.call_id):
            response = STEP_RESPONSES.get(step.kind)
            if response is None:
                continue  # queue moves and withheld updates: the header says where it ended
            data = step.data or {}
            dispatcher.utter_message(
                response=response,
                time=_clock(svc, step.at),
                provider_name=name,
                digit=data.get("digit"),
                label=data.get("label"),
                position=data.get("position"),
                wait_min=data.get("wait_min"),
                agent_name=data.get("agent") or "an agent",
                due=when(svc, data.get("due_at")),
                phone=mask(str(data.get("phone") or "")),
                decision=phrase(domain, DECISION_PHRASES, data.get("decision"), "took"),
                outcome=phrase(domain, OUTCOME_PHRASES, data.get("outcome"), "ended"),
            )
        return []
