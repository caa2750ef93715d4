"""Placing a call: "call Nimbus about my bill". The reason is the message without the request
around it; the call is dialled and its menu walked (actions.calls.tracker) before the owner
hears where it got to.
"""

from __future__ import annotations

import asyncio
import logging
import re

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.calls.call_replies import say_notice, say_status
from actions.core.errors import ConfigError
from actions.core.idempotency import request_key
from actions.handoff.owner_control import refuse_if_held
from actions.notify.channels import push_channel
from actions.owner.messages import turn_marker
from actions.providers.desk_errors import DeskRejected, DeskTimeout, DeskUnavailable
from actions.providers.desk_models import Provider
from actions.providers.directory import provider_meant
from actions.runtime import services

logger = logging.getLogger(__name__)

_REQUEST = re.compile(
    r"^\s*(?:please\s+)?(?:can|could|would|will)?\s*(?:you\s+)?(?:please\s+)?"
    r"(?:give\s+\w+\s+a\s+(?:call|ring)|call|phone|ring|dial|hold\s+for\s+me\s+with|"
    r"wait\s+on\s+hold\s+with|get\s+me\s+(?:someone|somebody|a\s+person|a\s+human|an\s+agent)"
    r"\s+(?:at|from)|speak\s+to\s+(?:someone|somebody)\s+at)\b",
    re.IGNORECASE,
)
_FILLER = re.compile(r"\b(for me|please|about|regarding|re|on hold|up)\b", re.IGNORECASE)


def reason_from(text: str, provider: Provider | None) -> str:
    """The reason for the call without the request around it: "call Nimbus about my bill"
    gives "my bill"."""
    reason = _REQUEST.sub(" ", text)
    if provider is not None:
        for name in sorted({provider.name, *provider.aliases}, key=len, reverse=True):
            reason = re.sub(rf"\b{re.escape(name)}\b", " ", reason, flags=re.IGNORECASE)
    reason = _FILLER.sub(" ", reason)
    reason = re.sub(r"\s+", " ", reason).strip(" ,.?!")
    return reason[:300]


class ActionPlaceCall(Action):
    def name(self) -> str:
        return "action_place_call"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        svc = services()
        provider = await provider_meant(svc, tracker)
        if provider is None:
            names = ", ".join(await svc.directory.known_names())
            dispatcher.utter_message(response="utter_call_which_provider", providers=names)
            return []
        if svc.profile.account_for(provider.id) is None:
            dispatcher.utter_message(response="utter_call_no_account", provider_name=provider.name)
            return []
        if await refuse_if_held(svc, provider.id, dispatcher):
            return []
        holding = await asyncio.to_thread(
            svc.calls.store.latest, provider.id, tracker.sender_id, True
        )
        if holding:
            dispatcher.utter_message(
                response="utter_call_already_active", provider_name=provider.name
            )
            return await say_status(dispatcher, svc, holding[0], domain)
        reason = (
            reason_from(tracker.latest_message.get("text") or "", provider) or "general enquiry"
        )
        key = request_key(
            tracker.sender_id,
            turn_marker(tracker),
            "call",
            {"provider": provider.id, "reason": reason},
        )
        try:
            record, notices = await svc.calls.place(
                tracker.sender_id, push_channel(svc.settings, tracker), provider, reason, key
            )
        except ConfigError as err:
            logger.error("cannot call %s: %s", provider.id, err)
            dispatcher.utter_message(response="utter_action_failed", provider_name=provider.name)
            return []
        except DeskTimeout:
            dispatcher.utter_message(
                response="utter_call_outcome_unknown", provider_name=provider.name
            )
            return []
        except DeskUnavailable:
            dispatcher.utter_message(response="utter_call_not_placed", provider_name=provider.name)
            return []
        except DeskRejected as err:
            dispatcher.utter_message(
                response="utter_call_refused", provider_name=provider.name, message=err.message
            )
            return []
        keys = [s for s in await asyncio.to_thread(svc.calls.store.steps, record.call_id)]
        pressed = ", ".join(
            f"{(s.data or {}).get('digit')} ({(s.data or {}).get('label')})"
            for s in keys
            if s.kind == "key"
        )
        if pressed:
            dispatcher.utter_message(
                response="utter_call_menu_walked", provider_name=provider.name, keys=pressed
            )
        events: list[EventType] = []
        for notice in notices:
            events += await say_notice(dispatcher, svc, notice)
        if record.state == "queued" and not events:
            dispatcher.utter_message(response="utter_call_will_keep_you_posted")
        return events
