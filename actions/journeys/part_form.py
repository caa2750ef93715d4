"""`part_order_form`'s validation: which device, which part, where it goes (a company with service
centres: the centre of the owner's booked appointment there, else the centre the owner names;
any other: the place its directory entry names for parts, the owner's home), and, when the part
costs money beyond the owner's standing spending limit, the owner's yes to that exact item and
amount, recorded as their consent."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.core.errors import ConfigError
from actions.core.word_lists import all_of
from actions.core.words import normalise
from actions.handoff.consents import (
    needs_consent,
    record_decision,
)
from actions.handoff.registry import owner_answered
from actions.journeys.form_exit import FormWithAWayOut
from actions.journeys.part_catalogue import (
    booked_centre,
    build_quote,
    fitting_parts,
    part_spend,
)
from actions.journeys.part_words import (
    centre_from_text,
    centre_places,
    device_list,
    find_device,
    match_part,
    owner_device,
)
from actions.journeys.try_again import answering_now
from actions.owner.forms import NOT_ANSWERS, may_be_an_answer
from actions.owner.messages import latest_intent, latest_text, owner_stamped
from actions.providers.desk_errors import DeskError
from actions.providers.desk_models import Part
from actions.runtime import services

logger = logging.getLogger(__name__)


FORM = "part_order_form"
FORM_SLOTS = (
    "part_device",
    "part_sku",
    "part_centre",
    "part_quote",
    "part_order_confirmed",
)
# Intents that are never an answer to the form's question.
# Where a part goes at a company with neither service centres nor a parts delivery place in its
# directory entry (the desk refuses it: the owner hears the company's answer).
NO_DELIVERY_PLACE = "HOME"


def reset_form() -> list[EventType]:
    """The form's slots emptied: it is done, whatever its outcome."""
    return [SlotSet(slot, None) for slot in FORM_SLOTS]


class ValidatePartOrderForm(FormWithAWayOut):
    def name(self) -> str:
        return "validate_part_order_form"

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        quote = tracker.get_slot("part_quote")
        if isinstance(quote, dict) and quote.get("sku") == tracker.get_slot("part_sku"):
            svc = services()
            if not await needs_consent(svc, float(quote["total"]), str(quote["currency"])):
                return [s for s in domain_slots if s != "part_order_confirmed"]
        return domain_slots

    async def extract_part_device(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        asked = tracker.get_slot("requested_slot") == "part_device"
        if latest_intent(tracker) in NOT_ANSWERS or not (
            asked or latest_intent(tracker) == "order_part"
        ):
            return {}
        if not answering_now(tracker):
            return {}
        svc = services()
        found = find_device(svc, latest_text(tracker))
        if found is None:
            if asked:
                dispatcher.utter_message(
                    response="utter_parts_device_unknown", devices=device_list(svc)
                )
            return {}
        if found == tracker.get_slot("part_device") or (tracker.get_slot("part_sku") and not asked):
            return {}
        return {"part_device": found}

    async def extract_part_sku(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        asked = tracker.get_slot("requested_slot") == "part_sku"
        # "make that the coolant pump instead", said to the price question: the other part,
        # and the question again with its price; the yes must be to what is ordered.
        changing = tracker.get_slot("requested_slot") == "part_order_confirmed"
        intent = latest_intent(tracker)
        if intent in NOT_ANSWERS or not (asked or changing or intent == "order_part"):
            return {}
        chosen = tracker.get_slot("part_sku")
        if not answering_now(tracker) or (chosen and not asked and not changing):
            return {}
        text = latest_text(tracker)
        if changing and len(normalise(text).split()) <= 2:
            return {}  # "yes", "no thanks": too short to name a part, so no catalogue lookup
        part = await _named_part(tracker, text, by_number=asked)
        if changing:
            if part is None or part.sku == chosen:
                return {}
            return {"part_sku": part.sku, "part_order_confirmed": None}
        if part is None:
            if asked:
                dispatcher.utter_message(response="utter_parts_choice_unclear", answer=text)
            return {}
        return {"part_sku": part.sku}

    async def extract_part_centre(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if tracker.get_slot("part_centre") or not may_be_an_answer(tracker):
            return {}
        # Under another intent, only words that name a centre answer the question.
        misread = latest_intent(tracker) in NOT_ANSWERS
        svc = services()
        found = owner_device(svc, tracker.get_slot("part_device"))
        if found is None:
            return {}
        account = found[0]
        try:
            provider = await svc.directory.get(account.provider)
        except DeskError as err:
            logger.warning("cannot read the provider directory: %s", err)
            return {}
        centres = provider.service_centres if provider else []
        if misread:
            named = answering_now(tracker) and centre_from_text(latest_text(tracker), centres)
            return {"part_centre": named} if named else {}
        if not centres:
            home = provider.parts_delivery if provider else None
            return {"part_centre": home or NO_DELIVERY_PLACE}
        asked = tracker.get_slot("requested_slot") == "part_centre"
        named = centre_from_text(latest_text(tracker), centres) if answering_now(tracker) else None
        if named:
            return {"part_centre": named}
        if asked:
            dispatcher.utter_message(
                response="utter_parts_centre_unknown",
                answer=latest_text(tracker),
                provider_name=provider.short_name if provider else "",
                centres=all_of(domain, centre_places(centres)),
            )
            return {}
        try:
            booked = await booked_centre(svc, account, tracker.sender_id)
        except (DeskError, ConfigError) as err:
            logger.warning("cannot list appointments: %s", err)
            return {}
        return {"part_centre": booked[0]} if booked else {}

    async def validate_part_sku(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return {"part_sku": value, **await _quote_slot(tracker, sku=value)}

    async def validate_part_centre(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return {"part_centre": value, **await _quote_slot(tracker, centre=value)}

    async def extract_part_order_confirmed(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """The owner's yes or no to the quote they were shown, recorded as their consent."""
        if tracker.get_slot("requested_slot") != "part_order_confirmed":
            return {}
        if not answering_now(tracker) or latest_intent(tracker) not in ("affirm", "deny"):
            return {}
        quote = tracker.get_slot("part_quote")
        if not isinstance(quote, dict):
            return {}
        if tracker.get_slot("part_sku") != quote.get("sku"):
            return {}  # extract_part_sku took another part from this answer: its price first
        granted = latest_intent(tracker) == "affirm"
        svc = services()
        answered = await owner_answered(
            svc, tracker, "approve_cost", "granted" if granted else "refused"
        )
        latest = await asyncio.to_thread(svc.handoffs.latest, tracker.sender_id, "approve_cost")
        if answered is None and latest is not None and latest.status == "lapsed":
            # The question lapsed (nothing was ordered, and the owner was told): a late yes
            # approves nothing. The form asks again, with the price as it is now.
            return {"part_order_confirmed": None, "part_quote": None}
        if granted and not owner_stamped(svc.settings.owner_token, tracker):
            # A yes from a channel that did not check the owner's token grants nothing; the
            # form asks again, for a yes on the owner's own channel.
            dispatcher.utter_message(response="utter_consent_needs_owner_channel")
            return {"part_order_confirmed": None}
        spend = part_spend(quote, float(quote["total"]), str(quote["currency"]))
        await record_decision(svc, tracker.sender_id, spend, granted, latest_text(tracker))
        return {"part_order_confirmed": granted}


async def _named_part(tracker: Tracker, text: str, by_number: bool) -> Part | None:
    """The part of the owner's device that `text` names, if exactly one."""
    svc = services()
    device_id = tracker.get_slot("part_device")
    if owner_device(svc, device_id) is None:
        return None
    try:
        _, _, parts = await fitting_parts(svc, device_id, tracker.sender_id)
    except (DeskError, ConfigError) as err:
        logger.warning("cannot list parts: %s", err)
        return None
    return match_part(text, parts, by_number=by_number)


async def _quote_slot(
    tracker: Tracker, sku: str | None = None, centre: str | None = None
) -> dict[str, Any]:
    """The price of what is chosen so far (`part_quote`), once part and destination are known.

    Only a guide for whether to ask (`required_slots`); the send decides with the desk's price."""
    sku = sku or tracker.get_slot("part_sku")
    centre = centre or tracker.get_slot("part_centre")
    device_id = tracker.get_slot("part_device")
    if not (sku and centre and device_id):
        return {"part_quote": None}
    try:
        quote = await build_quote(services(), device_id, sku, centre, tracker.sender_id)
    except (DeskError, ConfigError) as err:
        logger.warning("cannot price the part: %s", err)
        quote = None
    return {"part_quote": quote}
