"""Reading back where the owner's tickets stand: one ticket, one company's, or every open case.

The desks are asked; what they answer is remembered as cases, and what the owner was told is
recorded for "anything new?". A desk that cannot be reached leaves what the case memory last
knew, marked as not fresh.
"""

from __future__ import annotations

import asyncio
import re

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.core.errors import ConfigError
from actions.journeys.case_refresh import remember_cases
from actions.journeys.report_problem_form import known_providers
from actions.journeys.whats_new import save_check
from actions.owner.messages import latest_text
from actions.owner.wording import local_time, status_words
from actions.providers.desk_errors import DeskError, DeskRejected, DeskUnavailable
from actions.providers.desk_models import Provider, Ticket
from actions.runtime import Services, services
from actions.store.owner_cases import owner_cases

FINAL_STATUSES = {"closed", "cancelled"}
STATUS_RESPONSES = {
    "open": "utter_ticket_status_open",
    "in_progress": "utter_ticket_status_in_progress",
    "awaiting_customer": "utter_ticket_status_awaiting_customer",
    "resolved": "utter_ticket_status_resolved",
    "closed": "utter_ticket_status_closed",
    "cancelled": "utter_ticket_status_cancelled",
}
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
        text = latest_text(tracker)
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
                response="utter_known_providers", known_providers=await known_providers(svc)
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
            await remember_cases(svc, [ticket], account_id=account.account_id)
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
            await remember_cases(svc, tickets, account_id=account.account_id)
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
            await remember_cases(svc, tickets, account_id=account.account_id)
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
