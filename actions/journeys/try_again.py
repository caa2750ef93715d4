"""Requests that did not go through, kept in the `pending_request` slot with their idempotency key.

"Try again" resends exactly the kept request, so a resend can never create a second one.

Each journey registers how to resend its own kind of request (`@resends(kind)` on its sender),
so this module imports none of them. Registration happens when the journey modules are
imported: rasa_sdk imports every module of the `actions` package when the action server starts,
before any turn. A kept request of a kind nobody registered is a bug, not "nothing to resend":
`resender` raises UnknownRequestKind for it.
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


_RESENDERS: dict[str, Sender] = {}


class UnknownRequestKind(LookupError):
    """A kept request whose kind no journey registered a resender for."""


def resends(kind: str) -> Callable[[Sender], Sender]:
    """Registers the decorated sender as how kept requests of `kind` are resent."""

    def register(sender: Sender) -> Sender:
        if _RESENDERS.setdefault(kind, sender) is not sender:
            raise ValueError(f"two resenders for the {kind!r} request")
        return sender

    return register


def resender(kind: str) -> Sender:
    """How a kept request of `kind` is resent; raises UnknownRequestKind if nobody said."""
    try:
        return _RESENDERS[kind]
    except KeyError:
        raise UnknownRequestKind(
            f"no resender for the {kind!r} request (registered: {sorted(_RESENDERS)})"
        ) from None


def resent_kinds() -> list[str]:
    """The kinds of request a resender is registered for."""
    return sorted(_RESENDERS)


class ActionRetryPendingRequest(Action):
    """Resend the kept request as it was, same body and same idempotency key."""

    def name(self) -> str:
        return "action_retry_pending_request"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        pending = tracker.get_slot("pending_request")
        kind = pending.get("kind") if isinstance(pending, dict) else None
        if not kind:
            dispatcher.utter_message(response="utter_nothing_pending")
            return [SlotSet("pending_request", None)] if pending else []
        sender = resender(str(kind))
        try:
            return await sender(pending, dispatcher, services(), tracker.sender_id)
        except Exception:
            # Whatever broke, the request is kept: resending it later is safe.
            logger.exception("resending the %s failed unexpectedly", pending.get("kind"))
            dispatcher.utter_message(response="utter_resend_outcome_unknown")
            return []
