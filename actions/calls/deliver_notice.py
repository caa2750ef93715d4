"""Saying a notice the action server queued (a hold update, an agent on the line, a company's
question, a device report), in its own conversation only (see actions.store.notices)."""

from __future__ import annotations

import asyncio
import logging

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.calls.call_replies import say_notice
from actions.devices.notices import KINDS as DEVICE_KINDS
from actions.devices.notices import say_device_notice
from actions.handoff.notices import HANDLED_KINDS, say_handoff_notice
from actions.runtime import services
from actions.store.notices import REFUSED_PREFIX, Notice

logger = logging.getLogger(__name__)


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
