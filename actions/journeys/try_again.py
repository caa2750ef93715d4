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

from actions.core.errors import ConfigError
from actions.owner.profile import Account
from actions.providers.directory import display_name
from actions.runtime import Services, services

logger = logging.getLogger(__name__)

Sender = Callable[[dict[str, Any], CollectingDispatcher, Services, str], Awaitable[list[EventType]]]


async def sending_credentials(
    svc: Services, provider_id: str, dispatcher: CollectingDispatcher, what: str
) -> tuple[Account, str] | None:
    """The account and key to send `what` with; None after telling the owner nothing was sent.

    Every conversation sender comes through here, so this is where the owner's own hold on a
    company ("I'll handle Nimbus") stops Stand-in from sending anything there.

    A missing account or key is a configuration fault: the request is dropped, not kept, since
    resending it could not succeed either.
    """
    from actions.handoff.owner_control import (
        refuse_if_held,  # imports follow_up, which imports this
    )

    if await refuse_if_held(svc, provider_id, dispatcher):
        return None
    try:
        return svc.profile.credentials(provider_id)
    except ConfigError as err:
        logger.error("cannot send the %s: %s", what, err)
        dispatcher.utter_message(
            response="utter_action_failed", provider_name=await display_name(svc, provider_id)
        )
        return None


def answering_now(tracker: Tracker) -> bool:
    """True when a form runs on the owner's latest message; False when a custom action
    re-opened it in the same turn (after a refusal, say), when that message answered
    something else and the owner must answer the new question first."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return True
        name = str(event.get("name") or "")
        if (
            event.get("event") == "action"
            and name.startswith("action_")
            and name not in ("action_listen", "action_extract_slots")
            and not name.startswith("action_ask_")
        ):
            return False
    return True


def turn_marker(tracker: Tracker) -> str:
    """Identifies the owner message a request answers, stable across re-runs of the action."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return f"{event.get('timestamp')}:{event.get('text')}"
    return "no-user-message"


def _senders() -> dict[str, Sender]:
    # Imported here: the capability modules import turn_marker from this one.
    from actions.journeys.appointments import send_appointment
    from actions.journeys.follow_up import send_cancel, send_note
    from actions.journeys.meter_readings import send_reading
    from actions.journeys.parts import send_part_order
    from actions.journeys.service_requests import send_ticket

    return {
        "ticket": send_ticket,
        "meter_reading": send_reading,
        "ticket_note": send_note,
        "ticket_cancel": send_cancel,
        "appointment": send_appointment,
        "parts_order": send_part_order,
    }


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
