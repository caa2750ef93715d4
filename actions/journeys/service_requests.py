"""Service requests: report a problem (open a ticket) and read back a ticket's status.

The flow: `report_problem_form` collects provider, description and category, inferring what it
can from the owner's words; `action_open_ticket` sends it with an idempotency key; a request
that did not go through is kept in `pending_request` so "try again" resends the same request.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Iterable
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
from actions.journeys.contract_changes import ask_contract_change
from actions.journeys.try_again import resends
from actions.journeys.whats_new import save_check
from actions.owner.forms import OwnerFormValidation
from actions.owner.messages import turn_marker
from actions.owner.profile import Account
from actions.owner.wording import local_time, status_words
from actions.providers.desk_errors import DeskError, DeskRejected, DeskTimeout, DeskUnavailable
from actions.providers.desk_models import OnBehalfOf, Provider, Ticket, TicketCreate
from actions.providers.problem_inference import (
    describes_a_problem,
    device_provider,
    infer_category,
    infer_severity,
    match_category,
    summarise,
)
from actions.runtime import Services, services
from actions.store.owner_cases import owner_cases

logger = logging.getLogger(__name__)

FORM = "report_problem_form"
FORM_SLOTS = ("problem_provider", "problem_description", "problem_category", "rejected_fields")
FINAL_STATUSES = {"closed", "cancelled"}
STATUS_RESPONSES = {
    "open": "utter_ticket_status_open",
    "in_progress": "utter_ticket_status_in_progress",
    "awaiting_customer": "utter_ticket_status_awaiting_customer",
    "resolved": "utter_ticket_status_resolved",
    "closed": "utter_ticket_status_closed",
    "cancelled": "utter_ticket_status_cancelled",
}
# Which desk field maps back to which form slot, when the desk rejects a field.
MAX_DESCRIPTION = 5000  # the contract's limit; caught here so the owner is asked, not refused
FIELD_TO_SLOT = {
    "provider": "problem_provider",
    "category": "problem_category",
    "summary": "problem_description",
    "description": "problem_description",
}


def _reset_form() -> list[EventType]:
    return [SlotSet(slot, None) for slot in FORM_SLOTS]


def _rejected(tracker: Tracker, field: str) -> bool:
    """True when the desk refused this field last time: then only the owner may answer it."""
    return field in (tracker.get_slot("rejected_fields") or [])


def _short_name(provider: Provider) -> str:
    return min(provider.aliases, key=len) if provider.aliases else provider.name


async def _remember_cases(
    svc: Services,
    tickets: Iterable[Ticket],
    conversation_id: str | None = None,
    account_id: str | None = None,
) -> None:
    """Keep the case memory in step with what the desk said (one transaction for them all).

    Never changes what the owner hears: the desk's answer is the fact, the record of it is
    ours, so a store failure is logged loudly and the turn goes on.
    """
    tickets = list(tickets)
    try:
        await asyncio.to_thread(
            svc.memory.upsert_cases_from_tickets,
            [t.dict() for t in tickets],
            conversation_id,
            account_id,
        )
    except Exception:
        logger.exception("CASE MEMORY WRITE FAILED for tickets %s", [t.id for t in tickets])


async def _known_providers(svc: Services) -> str:
    try:
        names = await svc.directory.known_names()
    except DeskError:
        names = [a.provider for a in svc.profile.accounts]
    return ", ".join(names)


# --- the form ---------------------------------------------------------------------------


class ValidateReportProblemForm(OwnerFormValidation):
    def name(self) -> str:
        return "validate_report_problem_form"

    async def validate_problem_provider(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        svc = services()
        text = str(value or "").strip()
        if not text:
            return {"problem_provider": None}
        try:
            provider = await svc.directory.match(text)
        except DeskError:
            dispatcher.utter_message(response="utter_directory_unreachable")
            return {"problem_provider": None}
        if provider is None:
            # The form asks again, listing the companies it knows.
            dispatcher.utter_message(response="utter_unknown_provider", name=text)
            return {"problem_provider": None}
        if svc.profile.account_for(provider.id) is None:
            dispatcher.utter_message(
                response="utter_no_account_at_provider", provider_name=provider.name
            )
            return {"problem_provider": None}
        return {"problem_provider": provider.id, **self._category(provider, tracker)}

    async def validate_problem_description(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        svc = services()
        text = str(value or "").strip()
        result: dict[str, Any] = {}
        if not text:
            return {"problem_description": None}
        provider = await self._provider(svc, tracker.get_slot("problem_provider"))
        if (
            provider is None
            and not tracker.get_slot("problem_provider")
            and not _rejected(tracker, "provider")
        ):
            # The entity extractor may miss a name that is in the text: match it ourselves.
            try:
                found = await svc.directory.match(text)
                if found is None:
                    # No company named: the owner's device may say which ("the fridge").
                    owned = device_provider(text, svc.profile)
                    found = await svc.directory.get(owned) if owned else None
            except DeskError:
                found = None
            if found is not None and svc.profile.account_for(found.id):
                provider = found
                result["problem_provider"] = found.id
        if not describes_a_problem(text, provider):
            if tracker.get_slot("requested_slot") == "problem_description":
                dispatcher.utter_message(response="utter_problem_too_vague")
            return {**result, "problem_description": None}
        result["problem_description"] = text
        if provider is not None and not tracker.get_slot("problem_category"):
            result.update(self._category(provider, tracker, text))
        return result

    async def validate_problem_category(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        svc = services()
        provider = await self._provider(svc, tracker.get_slot("problem_provider"))
        if provider is None or value is None:
            return {"problem_category": None}
        category = provider.category(str(value)) or None
        category_id = category.id if category else match_category(str(value or ""), provider)
        if category_id is None:
            dispatcher.utter_message(
                response="utter_category_not_understood",
                answer=str(value),
                provider_name=provider.name,
            )
        return {"problem_category": category_id}

    @staticmethod
    async def _provider(svc: Services, provider_id: str | None) -> Provider | None:
        if not provider_id:
            return None
        try:
            return await svc.directory.get(provider_id)
        except DeskError:
            return None

    @staticmethod
    def _category(
        provider: Provider, tracker: Tracker, description: str | None = None
    ) -> dict[str, Any]:
        text = description or tracker.get_slot("problem_description")
        if not text or tracker.get_slot("problem_category") or _rejected(tracker, "category"):
            return {}
        category = infer_category(text, provider)
        return {"problem_category": category} if category else {}


class ActionAskProblemProvider(Action):
    def name(self) -> str:
        return "action_ask_problem_provider"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        dispatcher.utter_message(
            response="utter_ask_problem_provider",
            known_providers=await _known_providers(services()),
        )
        return []


class ActionAskProblemCategory(Action):
    def name(self) -> str:
        return "action_ask_problem_category"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        svc = services()
        provider_id = tracker.get_slot("problem_provider")
        try:
            provider = await svc.directory.get(provider_id) if provider_id else None
        except DeskError:
            provider = None
        if provider is None:
            dispatcher.utter_message(response="utter_directory_unreachable")
            return [SlotSet("problem_provider", None)]
        options = [f"{i}) {c.name}" for i, c in enumerate(provider.categories, start=1)]
        dispatcher.utter_message(
            response="utter_ask_problem_category",
            provider_name=provider.name,
            categories=", ".join(options),
            buttons=[
                {"title": c.name, "payload": f'/inform{{"problem_category": "{c.id}"}}'}
                for c in provider.categories
            ],
        )
        return []


# --- sending ----------------------------------------------------------------------------


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

    await _remember_cases(svc, [ticket], conversation_id, account.account_id)
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
            body = TicketCreate(
                provider=provider_id,
                category=str(tracker.get_slot("problem_category")),
                summary=summarise(description, provider),
                description=description,
                severity=infer_severity(description),
                device_id=_device_for(account, description),
                on_behalf_of=OnBehalfOf(name=svc.profile.owner.name, account_id=account.account_id),
            ).dict(exclude_none=True)
            pending = {
                "kind": "ticket",
                "provider": provider_id,
                "body": body,
                "idempotency_key": request_key(
                    tracker.sender_id, turn_marker(tracker), "ticket", body
                ),
            }
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
        return [*_reset_form(), *events]


# --- status -----------------------------------------------------------------------------

# "what are my open cases?", "status of all my tickets": every case, not the last one.
ALL_CASES = re.compile(r"\b(open|all|every|cases|tickets|requests)\b", re.IGNORECASE)


class ActionTicketStatus(Action):
    def name(self) -> str:
        return "action_ticket_status"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        svc = services()
        ticket_id = next(tracker.get_latest_entity_values("ticket_id"), None)
        named = next(tracker.get_latest_entity_values("provider"), None)
        text = tracker.latest_message.get("text") or ""
        try:
            provider = await svc.directory.match(named or text) if (named or text) else None
        except DeskError as err:
            dispatcher.utter_message(
                response="utter_status_unavailable",
                provider_name=named or "the service desk",
                reason=str(err),
            )
            return []
        if named and provider is None:
            dispatcher.utter_message(response="utter_unknown_provider", name=named)
            dispatcher.utter_message(
                response="utter_known_providers", known_providers=await _known_providers(svc)
            )
            return []
        sender = tracker.sender_id
        try:
            if ticket_id:
                return await self._one_ticket(svc, dispatcher, ticket_id.upper(), sender)
            if provider is not None:
                return await self._provider_tickets(svc, dispatcher, provider, sender)
            if ALL_CASES.search(text):
                return await self._all_open(svc, dispatcher, sender)
            last = tracker.get_slot("last_ticket_id")
            if last:
                return await self._one_ticket(svc, dispatcher, last, sender)
            return await self._all_open(svc, dispatcher, sender)
        except DeskError as err:
            name = provider.name if provider else "the service desk"
            reason = err.reason if isinstance(err, DeskUnavailable) else str(err)
            if isinstance(err, DeskRejected):
                dispatcher.utter_message(
                    response="utter_status_refused", provider_name=name, message=err.message
                )
            else:
                dispatcher.utter_message(
                    response="utter_status_unavailable", provider_name=name, reason=reason
                )
            return []

    async def _one_ticket(
        self, svc: Services, dispatcher: CollectingDispatcher, ticket_id: str, sender: str
    ) -> list[EventType]:
        for account in svc.profile.accounts:
            try:
                ticket = await svc.desk.get_ticket(
                    svc.profile.api_key(account),
                    ticket_id,
                    account_provider=account.provider,
                    conversation_id=sender,
                )
            except DeskRejected as err:
                if err.status == 404:
                    continue
                raise
            except ConfigError:
                continue
            await _remember_cases(svc, [ticket], account_id=account.account_id)
            await self._say(svc, dispatcher, ticket)
            return [SlotSet("last_ticket_id", ticket.id)]
        dispatcher.utter_message(response="utter_ticket_not_found", ticket_id=ticket_id)
        return []

    async def _provider_tickets(
        self, svc: Services, dispatcher: CollectingDispatcher, provider: Provider, sender: str
    ) -> list[EventType]:
        account = svc.profile.account_for(provider.id)
        tickets = (
            await svc.desk.list_tickets(
                svc.profile.api_key(account),
                provider=provider.id,
                account_provider=account.provider,
                conversation_id=sender,
            )
            if account
            else []
        )
        if account:
            await _remember_cases(svc, tickets, account_id=account.account_id)
        if not tickets:
            dispatcher.utter_message(
                response="utter_no_tickets_with_provider", provider_name=provider.name
            )
            return []
        tickets.sort(key=lambda t: t.updated_at, reverse=True)
        current = [t for t in tickets if t.status not in FINAL_STATUSES] or tickets[:1]
        for ticket in current[:5]:
            await self._say(svc, dispatcher, ticket)
        return [SlotSet("last_ticket_id", current[0].id)]

    async def _all_open(
        self, svc: Services, dispatcher: CollectingDispatcher, sender: str
    ) -> list[EventType]:
        """Every open case. The desks are asked first (they may know cases opened elsewhere,
        which are then remembered); the case memory says which cases there are, and for an
        account whose desk could not be reached, what it last knew, marked as not fresh."""
        fresh: dict[tuple[str, str], Ticket] = {}  # by (provider, ticket id): ids are per company
        problem: str | None = None
        for account in svc.profile.accounts:
            try:
                tickets = await svc.desk.list_tickets(
                    svc.profile.api_key(account),
                    account_provider=account.provider,
                    conversation_id=sender,
                )
            except ConfigError:
                continue
            except DeskError as err:
                problem = problem or (err.reason if isinstance(err, DeskUnavailable) else str(err))
                continue
            await _remember_cases(svc, tickets, account_id=account.account_id)
            fresh.update(((t.provider, t.id), t) for t in tickets)
        every = await asyncio.to_thread(owner_cases, svc)
        current = [c for c in every if c.is_open]
        if problem is not None:
            dispatcher.utter_message(response="utter_cases_not_fresh", reason=problem)
        if not current:
            dispatcher.utter_message(response="utter_no_tickets")
            await asyncio.to_thread(save_check, svc, sender, every)
            return []
        dispatcher.utter_message(response="utter_open_cases_header", count=len(current))
        for case in current:
            ticket = fresh.get((case.provider, case.ticket_id))
            if ticket is not None:
                await self._say(svc, dispatcher, ticket)
                continue
            try:
                provider = await svc.directory.get(case.provider)
            except DeskError:
                provider = None
            dispatcher.utter_message(
                response="utter_open_case_line_stale",
                provider_name=provider.name if provider else case.provider,
                ticket_id=case.ticket_id,
                summary=case.summary or "",
                status=status_words(case.status),
                updated_at=local_time(case.updated_at, svc.profile),
            )
            if case.status == "awaiting_customer" and case.question:
                dispatcher.utter_message(response="utter_ticket_question", question=case.question)
        await asyncio.to_thread(save_check, svc, sender, every)
        return []

    @staticmethod
    async def _say(svc: Services, dispatcher: CollectingDispatcher, ticket: Ticket) -> None:
        try:
            provider = await svc.directory.get(ticket.provider)
        except DeskError:
            provider = None
        dispatcher.utter_message(
            response=STATUS_RESPONSES.get(ticket.status, "utter_ticket_status_other"),
            provider_name=provider.name if provider else ticket.provider,
            ticket_id=ticket.id,
            summary=ticket.summary,
            status=ticket.status,
            updated_at=local_time(ticket.updated_at, svc.profile),
        )
        if ticket.status == "awaiting_customer" and ticket.question:
            dispatcher.utter_message(response="utter_ticket_question", question=ticket.question)
