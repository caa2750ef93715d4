"""Reporting a problem, the sending: `action_open_ticket` sends the filled form as a ticket with
an idempotency key.

A request that did not go through is kept in `pending_request` ("ticket") so "try again" resends
the same request; a field the desk refuses becomes the form's question again; ending a contract
waits for the owner's own yes (contract_changes).
"""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.core.errors import ConfigError
from actions.core.idempotency import request_key
from actions.handoff.consents import (
    CANCEL_SERVICE,
    CONTRACT_CATEGORIES,
    item_of,
    refuse_unless_permitted,
)
from actions.handoff.owner_control import sending_credentials
from actions.journeys.case_refresh import remember_cases
from actions.journeys.contract_changes import ask_contract_change
from actions.journeys.follow_on import after_the_report
from actions.journeys.report_problem_form import FORM, FORM_SLOTS
from actions.journeys.try_again import resends
from actions.owner.messages import turn_marker
from actions.owner.profile import Account
from actions.providers.desk_errors import DeskError, DeskRejected, DeskTimeout, DeskUnavailable
from actions.providers.desk_models import OnBehalfOf, Provider, TicketCreate
from actions.providers.problem_inference import infer_severity, summarise
from actions.runtime import Services, services

logger = logging.getLogger(__name__)

MAX_DESCRIPTION = 5000  # the contract's limit; caught here so the owner is asked, not refused
# Which desk field maps back to which form slot, when the desk rejects a field.
FIELD_TO_SLOT = {
    "provider": "problem_provider",
    "category": "problem_category",
    "summary": "problem_description",
    "description": "problem_description",
}


def _reset_form() -> list[EventType]:
    return [SlotSet(slot, None) for slot in FORM_SLOTS]


def _short_name(provider: Provider) -> str:
    return min(provider.aliases, key=len) if provider.aliases else provider.name


def _device_for(account: Account, text: str) -> str | None:
    """The device the owner names ("the fridge"), if exactly one of theirs matches."""
    words = text.lower()
    hits = [
        d.id
        for d in account.devices
        if d.id.lower() in words
        or d.kind.replace("_", " ") in words
        or (d.name and d.name.lower() in words)
    ]
    return hits[0] if len(hits) == 1 else None


def ticket_request(
    svc: Services,
    tracker: Tracker,
    account: Account,
    provider: Provider | None,
    provider_id: str,
    description: str,
    category: str,
) -> dict[str, Any]:
    """A ticket ready to send (`send_ticket`): the owner's words, with its idempotency key."""
    body = TicketCreate(
        provider=provider_id,
        category=category,
        summary=summarise(description, provider),
        description=description,
        severity=infer_severity(description),
        device_id=_device_for(account, description),
        on_behalf_of=OnBehalfOf(name=svc.profile.owner.name, account_id=account.account_id),
    ).dict(exclude_none=True)
    return {
        "kind": "ticket",
        "provider": provider_id,
        "body": body,
        "idempotency_key": request_key(tracker.sender_id, turn_marker(tracker), "ticket", body),
    }


@resends("ticket")
async def send_ticket(
    pending: dict[str, Any],
    dispatcher: CollectingDispatcher,
    svc: Services,
    conversation_id: str | None = None,
) -> list[EventType]:
    """Send a prepared ticket request and tell the owner exactly what happened."""
    provider_id = pending["provider"]
    try:
        provider = await svc.directory.get(provider_id)
    except DeskError:
        provider = None  # only names are missing; the request itself can still go out
    provider_name = provider.name if provider else provider_id
    creds = await sending_credentials(svc, provider_id, dispatcher, "ticket")
    if creds is None:
        return [SlotSet("pending_request", None)]
    account, key = creds
    # Ending a contract: never without the owner's own yes to exactly this, when sending.
    if pending["body"].get("category") in CONTRACT_CATEGORIES and await refuse_unless_permitted(
        svc,
        dispatcher,
        conversation_id,
        provider_id,
        item_of(CANCEL_SERVICE, provider_id),
        pending["idempotency_key"],
    ):
        return [SlotSet("pending_request", None)]

    try:
        ticket = await svc.desk.create_ticket(
            key,
            TicketCreate.parse_obj(pending["body"]),
            pending["idempotency_key"],
            conversation_id=conversation_id,
        )
    except DeskTimeout:
        dispatcher.utter_message(
            response="utter_ticket_outcome_unknown", provider_name=provider_name
        )
        return [SlotSet("pending_request", pending)]
    except DeskUnavailable as err:
        dispatcher.utter_message(
            response="utter_ticket_not_sent", provider_name=provider_name, reason=err.reason
        )
        return [SlotSet("pending_request", pending)]
    except DeskRejected as err:
        return _refusal(err, provider_name, dispatcher)

    await remember_cases(svc, [ticket], conversation_id, account.account_id)
    category = provider.category(ticket.category) if provider else None
    dispatcher.utter_message(
        response="utter_ticket_opened",
        ticket_id=ticket.id,
        provider_name=provider_name,
        category_name=category.name if category else ticket.category,
        severity=ticket.severity,
        summary=ticket.summary,
    )
    dispatcher.utter_message(
        response="utter_ticket_next_steps",
        provider_name=provider_name,
        provider_short=_short_name(provider) if provider else provider_name,
    )
    return [SlotSet("pending_request", None), SlotSet("last_ticket_id", ticket.id)]


def _reopen_form(fields: list[str]) -> list[EventType]:
    """Ask the owner again for `fields` (desk field names); the rest of their answers stay.

    The fields are remembered so the form asks the owner instead of re-inferring them.
    """
    return [
        SlotSet("rejected_fields", fields),
        *(SlotSet(FIELD_TO_SLOT[f], None) for f in fields),
        ActiveLoop(FORM),
    ]


def _refusal(
    err: DeskRejected, provider_name: str, dispatcher: CollectingDispatcher
) -> list[EventType]:
    """A 4xx: nothing was opened. A field the owner can fix becomes a question again."""
    fields = sorted(f for f in err.fields if f in FIELD_TO_SLOT)
    events: list[EventType] = [SlotSet("pending_request", None)]
    if err.status == 422 and fields:
        dispatcher.utter_message(
            response="utter_ticket_rejected_field", provider_name=provider_name, message=err.message
        )
        return [*events, *_reopen_form(fields)]
    dispatcher.utter_message(
        response="utter_provider_refused", provider_name=provider_name, message=err.message
    )
    return events


class ActionOpenTicket(Action):
    def name(self) -> str:
        return "action_open_ticket"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        provider_id = tracker.get_slot("problem_provider")
        if not provider_id and not tracker.get_slot("problem_description"):
            return _reset_form()  # the owner stopped the form, and has been told
        provider_name = provider_id or "the company"
        try:
            svc = services()
            account = svc.profile.account_for(provider_id)
            if account is None:
                raise ConfigError(f"no account for provider {provider_id!r}")
            try:
                provider = await svc.directory.get(provider_id)
            except DeskError:
                provider = None  # names only make the summary tidier; the request can still go
            provider_name = provider.name if provider else provider_id
            description = str(tracker.get_slot("problem_description"))
            if len(description) > MAX_DESCRIPTION:
                dispatcher.utter_message(
                    response="utter_description_too_long",
                    provider_name=provider_name,
                    limit=MAX_DESCRIPTION,
                )
                return _reopen_form(["description"])
            pending = ticket_request(
                svc,
                tracker,
                account,
                provider,
                provider_id,
                description,
                str(tracker.get_slot("problem_category")),
            )
            body = pending["body"]
        except Exception:
            # Nothing has been sent yet, so saying so is true; the form starts clean.
            logger.exception("preparing the ticket failed")
            dispatcher.utter_message(response="utter_action_failed", provider_name=provider_name)
            return _reset_form()
        if body["category"] in CONTRACT_CATEGORIES:
            # Ending or changing a contract is the owner's call: read it back, send on a yes.
            words = str(body.get("description") or "")
            asked = await ask_contract_change(
                svc,
                dispatcher,
                tracker,
                provider_id,
                provider_name,
                words,
                body["category"],
                kind=CANCEL_SERVICE,
            )
            return [*_reset_form(), *asked]
        try:
            events = await send_ticket(pending, dispatcher, svc, tracker.sender_id)
        except Exception:
            # Unknown failure while sending: keep the request so a retry reuses its key.
            logger.exception("sending the ticket failed unexpectedly")
            dispatcher.utter_message(
                response="utter_ticket_outcome_unknown", provider_name=provider_name
            )
            events = [SlotSet("pending_request", pending)]
        if any(e.get("event") == "active_loop" for e in events):
            return events  # the form re-opened on a rejected field
        opened = any(e.get("name") == "last_ticket_id" and e.get("value") for e in events)
        if opened:
            # "report it and get a technician out": two requests, done in the order asked.
            events += await after_the_report(svc, tracker, provider_id, description)
        return [*_reset_form(), *events]
