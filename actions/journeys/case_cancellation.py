"""Cancelling a case, on the owner's own yes to exactly that case.

A cancellation goes out with an idempotency key; one that did not go through is kept in
`pending_request` ("ticket_cancel") so "try again" resends it.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.core.idempotency import request_key
from actions.handoff.consents import item_of, permission_from_this_turn, refuse_unless_permitted
from actions.handoff.owner_control import sending_credentials
from actions.handoff.registry import owner_answered
from actions.journeys.case_forms import CANCEL_SLOTS
from actions.journeys.case_refresh import remember
from actions.journeys.try_again import resends
from actions.journeys.which_case import case_or_say_why_not
from actions.owner.messages import turn_marker
from actions.owner.wording import status_words
from actions.providers.desk_errors import DeskRejected, DeskTimeout, DeskUnavailable
from actions.providers.directory import display_name
from actions.runtime import Services, services

logger = logging.getLogger(__name__)


@resends("ticket_cancel")
async def send_cancel(
    pending: dict[str, Any],
    dispatcher: CollectingDispatcher,
    svc: Services,
    conversation_id: str | None = None,
) -> list[EventType]:
    """Send a confirmed cancellation and tell the owner exactly what happened."""
    ticket_id = pending["ticket_id"]
    name = await display_name(svc, pending["provider"])
    creds = await sending_credentials(svc, pending["provider"], dispatcher, "cancellation")
    if creds is None:
        return [SlotSet("pending_request", None)]
    account, key = creds
    item = item_of("cancel_ticket", ticket_id)
    if await refuse_unless_permitted(
        svc, dispatcher, conversation_id, pending["provider"], item, pending["idempotency_key"]
    ):
        return [SlotSet("pending_request", None)]
    try:
        ticket = await svc.desk.cancel_ticket(
            key,
            ticket_id,
            pending["idempotency_key"],
            provider=account.provider,
            conversation_id=conversation_id,
        )
    except DeskTimeout:
        dispatcher.utter_message(
            response="utter_case_cancel_outcome_unknown", provider_name=name, ticket_id=ticket_id
        )
        return [SlotSet("pending_request", pending)]
    except DeskUnavailable as err:
        dispatcher.utter_message(
            response="utter_case_cancel_not_sent",
            provider_name=name,
            ticket_id=ticket_id,
            reason=err.reason,
        )
        return [SlotSet("pending_request", pending)]
    except DeskRejected as err:
        dispatcher.utter_message(
            response="utter_case_cancel_refused",
            provider_name=name,
            ticket_id=ticket_id,
            message=err.message,
        )
        return [SlotSet("pending_request", None)]
    await remember(svc, ticket, account, conversation_id)
    dispatcher.utter_message(
        response="utter_case_cancelled",
        provider_name=name,
        ticket_id=ticket.id,
        summary=ticket.summary,
        status=status_words(ticket.status),
    )
    return [SlotSet("pending_request", None), SlotSet("last_ticket_id", ticket.id)]


class ActionCancelCase(Action):
    def name(self) -> str:
        return "action_cancel_case"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        reset = [SlotSet(s, None) for s in CANCEL_SLOTS]
        ticket_id = tracker.get_slot("case_ticket")
        if not ticket_id:
            return reset
        svc = services()
        case = await case_or_say_why_not(svc, tracker, dispatcher)
        if case is None:
            return reset
        confirmed = tracker.get_slot("cancel_confirmed") is True
        await owner_answered(
            svc,
            tracker,
            "cancel_or_contract",
            "yes" if confirmed else "no",
            item_of("cancel_ticket", case.ticket_id),
        )
        if confirmed:
            await permission_from_this_turn(
                svc,
                tracker,
                case.provider,
                item_of("cancel_ticket", case.ticket_id),
                f"cancel {case.ticket_id}",
            )
        if not confirmed:
            dispatcher.utter_message(
                response="utter_case_kept",
                provider_name=await display_name(svc, case.provider),
                ticket_id=case.ticket_id,
            )
            return reset
        pending = {
            "kind": "ticket_cancel",
            "provider": case.provider,
            "ticket_id": case.ticket_id,
            "body": {},
            "idempotency_key": request_key(
                tracker.sender_id,
                turn_marker(tracker),
                "ticket_cancel",
                {"ticket_id": case.ticket_id},
            ),
        }
        try:
            events = await send_cancel(pending, dispatcher, svc, tracker.sender_id)
        except Exception:
            logger.exception("sending the cancellation failed unexpectedly")
            dispatcher.utter_message(
                response="utter_case_cancel_outcome_unknown",
                provider_name=case.provider,
                ticket_id=case.ticket_id,
            )
            events = [SlotSet("pending_request", pending)]
        return [*reset, *events]
