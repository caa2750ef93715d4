"""The owner takes a company over ("let me talk to them", "I'll handle Nimbus") and hands it
back ("take it back").

While the owner holds a company, Stand-in starts nothing there: every sender asks
`owner_holds` (handoff.owner_hold) before it sends, through `sending_credentials` here or the
call actions, and the provider's questions are not answered or pushed. Updates from that
company are still recorded, and told when the owner hands it back. Other companies are served
as usual.

The hold is the `owner_request` handoff (handoff.yml) in the case memory, so it survives
restarts and is the same for every conversation of the owner. It has no deadline: it ends only
when the owner says so.
"""

from __future__ import annotations

import asyncio
import logging

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.core.errors import ConfigError
from actions.handoff.owner_hold import POINT, owner_holds
from actions.handoff.registry import Handoff, ask_owner
from actions.owner.profile import Account
from actions.owner.wording import status_words
from actions.providers.directory import display_name, provider_meant
from actions.providers.naming import named_provider
from actions.runtime import Services, services
from actions.store.owner_cases import owner_cases

logger = logging.getLogger(__name__)


async def refuse_if_held(svc: Services, provider_id: str, dispatcher: CollectingDispatcher) -> bool:
    """True (after telling the owner) when the owner holds `provider_id`: send nothing."""
    if await owner_holds(svc.handoffs, provider_id) is None:
        return False
    dispatcher.utter_message(
        response="utter_owner_holds_provider",
        provider_name=await display_name(svc, provider_id),
    )
    return True


async def sending_credentials(
    svc: Services, provider_id: str, dispatcher: CollectingDispatcher, what: str
) -> tuple[Account, str] | None:
    """The account and key to send `what` with; None after telling the owner nothing was sent.

    Every conversation sender comes through here, so this is where the owner's own hold on a
    company ("I'll handle Nimbus") stops Stand-in from sending anything there.

    A missing account or key is a configuration fault: the request is dropped, not kept, since
    resending it could not succeed either.
    """
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


async def _provider_meant(svc: Services, tracker: Tracker) -> str | None:
    found = await provider_meant(svc, tracker, owned_only=True)
    return (
        found.id if found else named_provider(svc.profile, tracker.latest_message.get("text") or "")
    )


async def take_over(
    svc: Services,
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    provider_id: str,
    owner_words: str,
) -> None:
    """Hand `provider_id` to the owner and tell them where things stand."""
    name = await display_name(svc, provider_id)
    if await owner_holds(svc.handoffs, provider_id) is not None:
        dispatcher.utter_message(response="utter_owner_already_holds", provider_name=name)
        return
    await ask_owner(
        svc,
        tracker,
        POINT,
        provider=provider_id,
        subject=provider_id,
        data={"provider_name": name, "owner_words": owner_words[:500]},
    )
    cases = [c for c in owner_cases(svc, open_only=True) if c.provider == provider_id]
    if cases:
        state = "; ".join(
            f'{c.ticket_id} ("{c.summary or ""}") {status_words(c.status)}' for c in cases
        )
        dispatcher.utter_message(response="utter_owner_took_over", provider_name=name, state=state)
    else:
        dispatcher.utter_message(response="utter_owner_took_over_nothing_open", provider_name=name)


class ActionOwnerTakesOver(Action):
    def name(self) -> str:
        return "action_owner_takes_over"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        svc = services()
        provider_id = await _provider_meant(svc, tracker)
        if provider_id is None:
            # "Let me talk to them": the company of the newest open case, if there is one.
            latest = sorted(owner_cases(svc, open_only=True), key=lambda c: c.updated_at)
            provider_id = latest[-1].provider if latest else None
        if provider_id is None:
            names = ", ".join(await svc.directory.known_names())
            dispatcher.utter_message(response="utter_owner_takes_over_which", providers=names)
            return []
        await take_over(
            svc, dispatcher, tracker, provider_id, tracker.latest_message.get("text") or ""
        )
        return []


class ActionOwnerHandsBack(Action):
    def name(self) -> str:
        return "action_owner_hands_back"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        svc = services()
        held = await asyncio.to_thread(svc.handoffs.waiting, None, POINT)
        if not held:
            dispatcher.utter_message(response="utter_owner_holds_nothing")
            return []
        provider_id = await _provider_meant(svc, tracker)
        chosen = [h for h in held if h.provider == provider_id] if provider_id else held
        if not chosen:
            dispatcher.utter_message(
                response="utter_owner_holds_nothing_there",
                provider_name=await display_name(svc, provider_id),
            )
            return []
        for hold in chosen:
            await self._hand_back(svc, dispatcher, hold)
        return []

    @staticmethod
    async def _hand_back(svc: Services, dispatcher: CollectingDispatcher, hold: Handoff) -> None:
        assert hold.provider is not None
        closed = await asyncio.to_thread(
            svc.handoffs.answer, hold.conversation_id, POINT, "taken_back", hold.provider
        )
        name = await display_name(svc, hold.provider)
        dispatcher.utter_message(response="utter_owner_handed_back", provider_name=name)
        changed = [
            c
            for c in owner_cases(svc)
            # Our own clock (when Stand-in heard), not the desk's.
            if c.provider == hold.provider and (c.last_event_at or c.first_seen_at) >= hold.asked_at
        ]
        if closed is not None and changed:
            dispatcher.utter_message(
                response="utter_owner_handed_back_news",
                news="; ".join(f"{c.ticket_id} is {status_words(c.status)}" for c in changed),
            )
        for case in changed:
            # The closing account of a case that ended while the owner held it, held back then.
            await asyncio.to_thread(svc.feedback.case_changed, case.provider, case.ticket_id)
