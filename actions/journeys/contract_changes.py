"""Cancelling a service, changing a contract, escalating a complaint: never without the owner's
explicit yes (the `cancel_or_contract` handoff point).

The owner's request is read back with their own words and the handoff opens. Only the owner's
"yes" in their conversation records a permission for exactly that item; the request that
carries it out checks and uses that permission at the moment it is sent
(`consents.refuse_unless_permitted`), so a forged slot, a replayed event or a provider's webhook can
never cancel or change anything.

A service cancellation or contract change goes to the company as a ticket of its
`cancellation` category (or `billing` where it has none), written as coming from Stand-in on
the owner's behalf. An escalation uses the desk's `POST /v1/tickets/{id}/escalate`.
"""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.core.errors import ConfigError
from actions.core.idempotency import request_key
from actions.handoff.consents import (
    CANCEL_SERVICE,
    CONTRACT_CHANGE,
    ESCALATION,
    item_of,
    record_permission,
    refuse_unless_permitted,
)
from actions.handoff.owner_control import refuse_if_held, sending_credentials
from actions.handoff.registry import ask_owner
from actions.journeys.which_case import pick_case
from actions.owner.messages import owner_stamped, turn_marker
from actions.providers.desk_errors import DeskError, DeskRejected, DeskTimeout, DeskUnavailable
from actions.providers.desk_models import OnBehalfOf, Provider, TicketCreate
from actions.providers.directory import display_name, provider_meant
from actions.runtime import Services, services
from actions.store.owner_cases import owner_cases

logger = logging.getLogger(__name__)

POINT = "cancel_or_contract"
CANCEL_WORDS = re.compile(
    r"\b(cancel+|cancle|terminate|end|close|quit|stop|unsubscribe)\b", re.IGNORECASE
)
MAX_WORDS = 1000


def change_kind(text: str) -> str:
    return CANCEL_SERVICE if CANCEL_WORDS.search(text) else CONTRACT_CHANGE


def contract_category(provider: Provider) -> str:
    ids = [c.id for c in provider.categories]
    for wanted in ("cancellation", "billing"):
        if wanted in ids:
            return wanted
    return ids[0]


async def ask(
    svc: Services, tracker: Tracker, question: str, context: dict[str, Any]
) -> list[EventType]:
    """Open the handoff and the yes/no question about `context`."""
    await ask_owner(
        svc,
        tracker,
        POINT,
        provider=context["provider"],
        subject=context["item"],
        data={"provider_name": context["provider_name"], "what": context["kind"]},
    )
    return [SlotSet("handoff_question", question), SlotSet("handoff_context", context)]


async def ask_contract_change(
    svc: Services,
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    provider_id: str,
    provider_name: str,
    words: str,
    category: str,
    kind: str | None = None,
) -> list[EventType]:
    """Read the change back in the owner's words and wait for their yes (or no)."""
    kind = kind or change_kind(words)
    dispatcher.utter_message(
        response="utter_confirm_service_cancellation"
        if kind == CANCEL_SERVICE
        else "utter_confirm_contract_change",
        provider_name=provider_name,
        words=words,
    )
    context = {
        "kind": kind,
        "provider": provider_id,
        "provider_name": provider_name,
        "item": item_of(kind, provider_id),
        "words": words,
        "category": category,
        "turn": turn_marker(tracker),
    }
    return await ask(svc, tracker, "contract_change", context)


class ActionRequestContractChange(Action):
    def name(self) -> str:
        return "action_request_contract_change"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        svc = services()
        provider = await provider_meant(svc, tracker, owned_only=True)
        if provider is None:
            names = ", ".join(await svc.directory.known_names())
            dispatcher.utter_message(
                response="utter_contract_change_which_provider", providers=names
            )
            return []
        if await refuse_if_held(svc, provider.id, dispatcher):
            return []
        words = (tracker.latest_message.get("text") or "").strip()[:MAX_WORDS]
        return await ask_contract_change(
            svc, dispatcher, tracker, provider.id, provider.name, words, contract_category(provider)
        )


class ActionRequestEscalation(Action):
    def name(self) -> str:
        return "action_request_escalation"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        svc = services()
        case = pick_case(svc, tracker)
        if case is None or not case.is_open:
            open_cases = owner_cases(svc, open_only=True)
            if not open_cases:
                dispatcher.utter_message(response="utter_escalation_no_case")
                return []
            listed = "; ".join(f'{c.ticket_id} ("{c.summary or ""}")' for c in open_cases)
            dispatcher.utter_message(response="utter_escalation_which", cases=listed)
            return []
        if await refuse_if_held(svc, case.provider, dispatcher):
            return []
        name = await display_name(svc, case.provider)
        words = (tracker.latest_message.get("text") or "").strip()[:MAX_WORDS]
        dispatcher.utter_message(
            response="utter_confirm_escalation",
            provider_name=name,
            ticket_id=case.ticket_id,
            summary=case.summary or "",
            words=words,
        )
        context = {
            "kind": ESCALATION,
            "provider": case.provider,
            "provider_name": name,
            "ticket_id": case.ticket_id,
            "item": item_of(ESCALATION, case.ticket_id),
            "words": words,
            "turn": turn_marker(tracker),
        }
        return await ask(svc, tracker, "escalation", context)


async def decide(
    svc: Services,
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    context: dict[str, Any],
    yes: bool,
) -> bool:
    """The owner's answer to a contract change or an escalation; False while the question
    stays open (a yes that did not come on the owner's own channel)."""
    conversation = tracker.sender_id
    if yes and not owner_stamped(svc.settings.owner_token, tracker):
        dispatcher.utter_message(response="utter_consent_needs_owner_channel")
        return False
    claimed = await asyncio.to_thread(
        svc.handoffs.answer, conversation, POINT, "yes" if yes else "no", context["item"]
    )
    if claimed is None:
        # Lapsed (the owner was told nothing was done) or replaced by a newer question.
        dispatcher.utter_message(response="utter_handoff_no_question")
        return True
    await record_permission(
        svc,
        conversation,
        context["provider"],
        context["item"],
        context["words"],
        yes,
        tracker.latest_message.get("text") or "",
    )
    if not yes:
        dispatcher.utter_message(
            response="utter_contract_change_kept", provider_name=context["provider_name"]
        )
        return True
    await carry_out(svc, dispatcher, conversation, context)
    return True


async def carry_out(
    svc: Services, dispatcher: CollectingDispatcher, conversation: str, context: dict[str, Any]
) -> None:
    """Send the change, only with the owner's unused yes to exactly this item."""
    name = context["provider_name"]
    creds = await sending_credentials(svc, context["provider"], dispatcher, "contract change")
    if creds is None:
        return
    account, key = creds
    kind = context["kind"]
    body: dict[str, Any]
    if kind == ESCALATION:
        body = {"reason": context["words"] or "Escalated at the owner's request"}
    else:
        body = TicketCreate(
            provider=context["provider"],
            category=context["category"],
            summary=("Service cancellation" if kind == CANCEL_SERVICE else "Contract change")
            + " requested by the account holder",
            description=context["words"],
            on_behalf_of=OnBehalfOf(name=svc.profile.owner.name, account_id=account.account_id),
        ).dict(exclude_none=True)
    idem = request_key(conversation, context["turn"], kind, body)
    if await refuse_unless_permitted(
        svc, dispatcher, conversation, context["provider"], context["item"], idem
    ):
        return
    try:
        if kind == ESCALATION:
            ticket = await svc.desk.escalate_ticket(
                key, context["ticket_id"], body["reason"], idem, context["provider"], conversation
            )
        else:
            ticket = await svc.desk.create_ticket(
                key, TicketCreate.parse_obj(body), idem, conversation_id=conversation
            )
    except DeskTimeout:
        dispatcher.utter_message(response="utter_contract_change_unknown", provider_name=name)
        return
    except DeskUnavailable as err:
        dispatcher.utter_message(
            response="utter_contract_change_not_sent", provider_name=name, reason=err.reason
        )
        return
    except DeskRejected as err:
        dispatcher.utter_message(
            response="utter_contract_change_refused", provider_name=name, message=err.message
        )
        return
    except (DeskError, ConfigError) as err:
        logger.error("contract change for %s failed: %s", context["provider"], err)
        dispatcher.utter_message(response="utter_action_failed", provider_name=name)
        return
    await asyncio.to_thread(
        svc.memory.upsert_case_from_ticket, ticket.dict(), conversation, account.account_id
    )
    dispatcher.utter_message(
        response={
            ESCALATION: "utter_escalation_sent",
            CANCEL_SERVICE: "utter_service_cancellation_sent",
        }.get(kind, "utter_contract_change_sent"),
        provider_name=name,
        ticket_id=ticket.id,
    )
