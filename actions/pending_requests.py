"""Requests that did not go through, kept in the `pending_request` slot with their idempotency key.

"Try again" resends exactly the kept request, so a resend can never create a second one.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.runtime import Services, services

logger = logging.getLogger(__name__)

Sender = Callable[[dict[str, Any], CollectingDispatcher, Services, str], Awaitable[list[EventType]]]


def turn_marker(tracker: Tracker) -> str:
    """Identifies the owner message a request answers, stable across re-runs of the action."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return f"{event.get('timestamp')}:{event.get('text')}"
    return "no-user-message"


def _senders() -> dict[str, Sender]:
    # Imported here: the capability modules import turn_marker from this one.
    from actions.meter_readings import send_reading
    from actions.service_requests import send_ticket

    return {"ticket": send_ticket, "meter_reading": send_reading}


class ActionRetryPendingRequest(Action):
    """Resend the kept request as it was, same body and same idempotency key."""

    def name(self) -> str:
        return "action_retry_pending_request"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        pending = tracker.get_slot("pending_request")
        sender = _senders().get(pending.get("kind")) if isinstance(pending, dict) else None
        if sender is None:
            dispatcher.utter_message(response="utter_nothing_pending")
            return [SlotSet("pending_request", None)] if pending else []
        try:
            return await sender(pending, dispatcher, services(), tracker.sender_id)
        except Exception:
            # Whatever broke, the request is kept: resending it later is safe.
            logger.exception("resending the %s failed unexpectedly", pending.get("kind"))
            dispatcher.utter_message(response="utter_resend_outcome_unknown")
            return []
