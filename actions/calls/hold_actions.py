"""During a hold: "how long now?" (a fresh look at the desk) and "hang up"."""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.calls.call_replies import calls_meant, clear_decision, say_status
from actions.providers.directory import display_name
from actions.runtime import services


class ActionHoldStatus(Action):
    def name(self) -> str:
        return "action_hold_status"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        svc = services()
        records = await calls_meant(svc, tracker, active_only=True)
        if not records:
            dispatcher.utter_message(response="utter_call_none_active")
            return []
        for record in records:
            # A fresh look, so "how long now?" is answered from the desk, not a stale row.
            fresh = await svc.calls.refresh(record)
            await say_status(dispatcher, svc, fresh or record, domain)
        return []


class ActionHangUp(Action):
    def name(self) -> str:
        return "action_hang_up"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        svc = services()
        records = await calls_meant(svc, tracker, active_only=True)
        if not records:
            dispatcher.utter_message(response="utter_call_none_active")
            return clear_decision()
        if len(records) > 1:
            names = ", ".join([await display_name(svc, r.provider) for r in records])
            dispatcher.utter_message(response="utter_call_which_call", providers=names)
            return []
        record = records[0]
        decision = await svc.calls.hang_up(record)
        name = await display_name(svc, record.provider)
        response = {
            "hung_up": "utter_call_hung_up",
            "already_ended": "utter_call_already_ended",
        }.get(decision.result, "utter_call_hang_up_failed")
        dispatcher.utter_message(response=response, provider_name=name)
        return clear_decision()
