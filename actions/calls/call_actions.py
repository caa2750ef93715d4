"""Phone calls in conversation: "call Nimbus about my bill", "how long now?", "hang up",
"ask them to call me back", "what happened with my Nimbus call?", and the owner's yes or no
when an agent picks up or a callback is offered.

The hold itself is followed by `actions.calls.tracker` in the background; what it has to tell
the owner arrives here as an external event (`EXTERNAL_notice`) and is said by
`action_deliver_notice`.
"""

from __future__ import annotations

import asyncio
import logging
import re
from datetime import datetime
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.calls.hold_policy import minutes
from actions.calls.owner_decisions import Decision
from actions.core.errors import ConfigError
from actions.core.idempotency import request_key
from actions.core.phrases import phrase
from actions.devices.notices import KINDS as DEVICE_KINDS
from actions.devices.notices import say_device_notice
from actions.handoff.notices import HANDLED_KINDS, say_handoff_notice
from actions.handoff.owner_control import refuse_if_held
from actions.notify.channels import push_channel
from actions.owner.messages import turn_marker
from actions.owner.wording import local_time
from actions.providers.desk_errors import DeskRejected, DeskTimeout, DeskUnavailable
from actions.providers.desk_models import Call, Provider
from actions.providers.directory import display_name, provider_meant
from actions.providers.log_masking import mask
from actions.providers.naming import named_provider
from actions.runtime import Services, services
from actions.store.calls import CallRecord
from actions.store.notices import REFUSED_PREFIX, Notice

logger = logging.getLogger(__name__)

DECISION_SLOTS = ("call_decision", "call_decision_call")
_REQUEST = re.compile(
    r"^\s*(?:please\s+)?(?:can|could|would|will)?\s*(?:you\s+)?(?:please\s+)?"
    r"(?:give\s+\w+\s+a\s+(?:call|ring)|call|phone|ring|dial|hold\s+for\s+me\s+with|"
    r"wait\s+on\s+hold\s+with|get\s+me\s+(?:someone|somebody|a\s+person|a\s+human|an\s+agent)"
    r"\s+(?:at|from)|speak\s+to\s+(?:someone|somebody)\s+at)\b",
    re.IGNORECASE,
)
_FILLER = re.compile(r"\b(for me|please|about|regarding|re|on hold|up)\b", re.IGNORECASE)

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
DECISION_PHRASES = {
    "took": "utter_call_decision_took",
    "declined": "utter_call_decision_declined",
    "no_answer": "utter_call_decision_no_answer",
    "hang_up": "utter_call_decision_hang_up",
    "kept_holding": "utter_call_decision_kept_holding",
}


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


def _when(svc: Services, value: Any) -> str:
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return local_time(value, svc.profile) if isinstance(value, datetime) else "?"


def _clock(svc: Services, value: datetime) -> str:
    return _when(svc, value).split(", ")[-1]


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
        due=_when(svc, params.get("due_at")),
    )
    return []


async def _calls_meant(svc: Services, tracker: Tracker, active_only: bool) -> list[CallRecord]:
    """The calls the owner means: those with the provider they named, else all of theirs."""
    records = await asyncio.to_thread(svc.calls.store.latest, None, tracker.sender_id, active_only)
    said = next(tracker.get_latest_entity_values("provider"), None)
    text = tracker.latest_message.get("text") or ""
    provider = named_provider(svc.profile, str(said or "")) or named_provider(svc.profile, text)
    if provider is not None:
        records = [r for r in records if r.provider == provider]
    return records


def _clear_decision() -> list[EventType]:
    return [SlotSet(name, None) for name in DECISION_SLOTS]


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
            return await _say_status(dispatcher, svc, holding[0], domain)
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


async def _say_status(
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
        due=_when(svc, call.callback.due_at) if call.callback else "?",
        outcome=phrase(domain, OUTCOME_PHRASES, record.outcome, "ended"),
    )
    return []


class ActionHoldStatus(Action):
    def name(self) -> str:
        return "action_hold_status"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        svc = services()
        records = await _calls_meant(svc, tracker, active_only=True)
        if not records:
            dispatcher.utter_message(response="utter_call_none_active")
            return []
        for record in records:
            # A fresh look, so "how long now?" is answered from the desk, not a stale row.
            fresh = await svc.calls.refresh(record)
            await _say_status(dispatcher, svc, fresh or record, domain)
        return []


class ActionHangUp(Action):
    def name(self) -> str:
        return "action_hang_up"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        svc = services()
        records = await _calls_meant(svc, tracker, active_only=True)
        if not records:
            dispatcher.utter_message(response="utter_call_none_active")
            return _clear_decision()
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
        return _clear_decision()


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
        await _say_status(dispatcher, svc, record, domain)
        return []
    decision = await svc.calls.request_callback(record, why)
    if decision.result == "callback_scheduled":
        await asyncio.to_thread(
            svc.calls.store.update, record.call_id, outcome="callback_scheduled"
        )
        dispatcher.utter_message(
            response="utter_call_callback_scheduled",
            provider_name=name,
            due=_when(svc, decision.detail.get("due_at")),
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
        records = await _calls_meant(svc, tracker, active_only=True)
        if not records:
            dispatcher.utter_message(response="utter_call_none_active")
            return _clear_decision()
        if await refuse_if_held(svc, records[0].provider, dispatcher):
            return _clear_decision()
        return await _callback(dispatcher, svc, records[0], "owner", domain) + _clear_decision()


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
        yes = (tracker.latest_message.get("intent") or {}).get("name") == "affirm"
        if record is None:
            dispatcher.utter_message(response="utter_call_none_active")
            return _clear_decision()
        name = await display_name(svc, record.provider)
        # Taking the call puts the owner through, which is what holding the company means;
        # a no (a callback or a hang-up) or a yes to a callback would speak for the owner.
        sends_for_owner = (question == "take_call") != yes
        if sends_for_owner and await refuse_if_held(svc, record.provider, dispatcher):
            return _clear_decision()
        if question == "take_call":
            decision = await (svc.calls.take(record) if yes else svc.calls.decline(record, "owner"))
            self._say(dispatcher, svc, decision, name, domain)
            return _clear_decision()
        if yes:
            return await _callback(dispatcher, svc, record, "offer", domain) + _clear_decision()
        await asyncio.to_thread(svc.calls.note_owner, record.call_id, "kept_holding")
        dispatcher.utter_message(response="utter_call_keep_holding", provider_name=name)
        return _clear_decision()

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
            due=_when(svc, decision.detail.get("due_at")),
        )


class ActionCallHistory(Action):
    def name(self) -> str:
        return "action_call_history"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        svc = services()
        records = await _calls_meant(svc, tracker, active_only=False)
        if not records:
            dispatcher.utter_message(response="utter_call_history_none")
            return []
        record = records[0]
        name = await display_name(svc, record.provider)
        dispatcher.utter_message(
            response="utter_call_history_header",
            provider_name=name,
            reason=record.reason or "?",
            started=_when(svc, record.created_at),
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
                due=_when(svc, data.get("due_at")),
                phone=mask(str(data.get("phone") or "")),
                decision=phrase(domain, DECISION_PHRASES, data.get("decision"), "took"),
                outcome=phrase(domain, OUTCOME_PHRASES, data.get("outcome"), "ended"),
            )
        return []


class ActionDeliverNotice(Action):
    """Says a notice the action server queued (a hold update, an agent on the line), in its
    own conversation only, once per delivery attempt (see actions.store.notices)."""

    def name(self) -> str:
        return "action_deliver_notice"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        svc = services()
        raw = next(tracker.get_latest_entity_values("notice_id"), None)
        delivery = next(tracker.get_latest_entity_values("notice_delivery"), None)
        if raw is None or not str(raw).isdigit() or not delivery:
            logger.warning("EXTERNAL_notice without a valid notice_id and delivery: %r", raw)
            return []
        notice_id, delivery = int(raw), str(delivery)
        found = await asyncio.to_thread(svc.notices.get, notice_id)
        if found is None:
            return []
        if found.conversation_id != tracker.sender_id:
            # Said here it would reach the wrong person; not said, it is reported, not lost.
            logger.error("notice %s was triggered in another conversation; not said", notice_id)
            await asyncio.to_thread(
                svc.notices.not_said,
                notice_id,
                delivery,
                f"{REFUSED_PREFIX} triggered in conversation {tracker.sender_id!r},"
                f" not its own ({found.conversation_id!r})",
            )
            return []
        stored = await asyncio.to_thread(svc.notices.mark_said, notice_id, delivery)
        if stored is None:
            return []  # delivered already, or a stale attempt: the current one says it
        notice = Notice(stored.kind, stored.params, stored.subject, stored.urgent)
        first = len(dispatcher.messages)
        if notice.kind in HANDLED_KINDS:
            events = await say_handoff_notice(dispatcher, svc, notice, tracker, domain)
        elif notice.kind in DEVICE_KINDS:
            events = await say_device_notice(dispatcher, svc, notice, tracker, domain)
        else:
            events = await say_notice(dispatcher, svc, notice)
        for message in dispatcher.messages[first:]:
            # Rides with each message to the owner's relay, which can drop a repeat by it.
            message["notice_id"] = stored.id
        return events
