"""`part_order_form`'s questions: which device, which of the parts that fit, which service centre
(as the company's directory lists them), and the yes or no to the exact item and amount."""

from __future__ import annotations

import logging

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.core.errors import ConfigError
from actions.core.word_lists import one_of
from actions.handoff.registry import ask_owner
from actions.journeys.part_catalogue import (
    build_quote,
    fitting_parts,
    part_lines,
)
from actions.journeys.part_form import (
    reset_form,
)
from actions.journeys.part_words import (
    centre_places,
    device_list,
    owner_device,
)
from actions.owner.wording import money
from actions.providers.desk_errors import DeskError
from actions.providers.desk_models import Provider
from actions.runtime import services

logger = logging.getLogger(__name__)


class ActionAskPartDevice(Action):
    def name(self) -> str:
        return "action_ask_part_device"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        dispatcher.utter_message(response="utter_ask_part_device", devices=device_list(services()))
        return []


class ActionAskPartSku(Action):
    def name(self) -> str:
        return "action_ask_part_sku"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        svc = services()
        try:
            _, model, parts = await fitting_parts(
                svc, tracker.get_slot("part_device"), tracker.sender_id
            )
        except (DeskError, ConfigError) as err:
            logger.warning("cannot list parts: %s", err)
            dispatcher.utter_message(response="utter_parts_unavailable")
            return [ActiveLoop(None), SlotSet("requested_slot", None), *reset_form()]
        if not parts:
            dispatcher.utter_message(response="utter_parts_none_fit", model=model)
            return [ActiveLoop(None), SlotSet("requested_slot", None), *reset_form()]
        dispatcher.utter_message(
            response="utter_ask_part_sku", model=model, parts=part_lines(parts)
        )
        return []


class ActionAskPartCentre(Action):
    """Which of the company's service centres the part should go to."""

    def name(self) -> str:
        return "action_ask_part_centre"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        svc = services()
        found = owner_device(svc, tracker.get_slot("part_device"))
        provider: Provider | None = None
        try:
            provider = await svc.directory.get(found[0].provider) if found else None
        except DeskError as err:
            logger.warning("cannot read the provider directory: %s", err)
        if provider is None or not provider.service_centres:
            dispatcher.utter_message(response="utter_parts_unavailable")
            return [ActiveLoop(None), SlotSet("requested_slot", None), *reset_form()]
        dispatcher.utter_message(
            response="utter_ask_part_centre",
            provider_name=provider.short_name,
            centres=one_of(domain, centre_places(provider.service_centres)),
        )
        return []


class ActionAskPartOrderConfirmed(Action):
    """Show the exact item, amount and destination, and ask for a yes or no."""

    def name(self) -> str:
        return "action_ask_part_order_confirmed"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        svc = services()
        try:
            quote = await build_quote(
                svc,
                tracker.get_slot("part_device"),
                tracker.get_slot("part_sku"),
                tracker.get_slot("part_centre"),
                tracker.sender_id,
            )
        except (DeskError, ConfigError) as err:
            logger.warning("cannot price the part: %s", err)
            quote = None
        if quote is None:
            dispatcher.utter_message(response="utter_parts_unavailable")
            return [ActiveLoop(None), SlotSet("requested_slot", None), *reset_form()]
        dispatcher.utter_message(
            response="utter_ask_part_order_confirmed",
            sku=quote["sku"],
            part_name=quote["name"],
            quantity=quote["quantity"],
            amount=money(quote["total"]),
            currency=quote["currency"],
            destination=quote["destination"],
        )
        await ask_owner(
            svc,
            tracker,
            "approve_cost",
            provider=quote.get("provider"),
            subject=f"{quote['sku']}@{quote.get('centre') or quote['destination']}",
            data={
                "item": f"{quote['sku']} {quote['name']}",
                "amount": money(quote["total"]),
                "currency": quote["currency"],
            },
        )
        return [SlotSet("part_quote", quote)]
