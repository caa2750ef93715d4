"""Parts: find the parts that fit one of the owner's devices, and order one, with consent for money.

"what parts fit my washing machine?" lists the parts for the device's model with their prices.
"order a new charging port for my car" runs `part_order_form` (part_form, part_questions), then
`action_order_part` prepares the order and hands it to `part_ordering.send_part_order`, which
checks the consent again at the moment of sending (`actions.handoff.consents.authorise`), so no
slot alone can ever spend money."""

from __future__ import annotations

import logging

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.core.errors import ConfigError
from actions.core.idempotency import request_key
from actions.devices.incidents import part_decided
from actions.journeys.part_catalogue import (
    appointment_at,
    fitting_parts,
    part_lines,
)
from actions.journeys.part_form import (
    reset_form,
)
from actions.journeys.part_ordering import send_part_order
from actions.journeys.part_words import (
    device_list,
    find_device,
    owner_device,
)
from actions.owner.messages import latest_text, turn_marker
from actions.providers.desk_errors import DeskError
from actions.providers.desk_models import PartOrderCreate
from actions.runtime import services

logger = logging.getLogger(__name__)


class ActionListParts(Action):
    """ "What parts fit my washing machine?": the parts for that device, with prices."""

    def name(self) -> str:
        return "action_list_parts"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        svc = services()
        device_id = find_device(svc, latest_text(tracker)) or tracker.get_slot("part_device")
        if owner_device(svc, device_id) is None:
            dispatcher.utter_message(response="utter_parts_which_device", devices=device_list(svc))
            return []
        try:
            _, model, parts = await fitting_parts(svc, device_id, tracker.sender_id)
        except (DeskError, ConfigError) as err:
            logger.warning("cannot list parts: %s", err)
            dispatcher.utter_message(response="utter_parts_unavailable")
            return []
        if not parts:
            dispatcher.utter_message(response="utter_parts_none_fit", model=model)
            return [SlotSet("part_device", device_id)]
        dispatcher.utter_message(response="utter_parts_list", model=model, parts=part_lines(parts))
        return [SlotSet("part_device", device_id)]


class ActionOrderPart(Action):
    def name(self) -> str:
        return "action_order_part"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        svc = services()
        found = owner_device(svc, tracker.get_slot("part_device"))
        sku = tracker.get_slot("part_sku")
        centre = tracker.get_slot("part_centre")
        if found is None or not sku or not centre:
            return reset_form()  # the form ended without an order and has said why
        if tracker.get_slot("part_order_confirmed") is False:
            dispatcher.utter_message(response="utter_parts_not_ordered")
            await part_decided(svc, found[0].provider, sku, None)
            return reset_form()
        body = PartOrderCreate(
            sku=sku,
            quantity=1,
            deliver_to_service_centre=centre,
            appointment_id=await appointment_at(svc, found[0], centre, tracker.sender_id),
        ).dict(exclude_none=True)
        pending = {
            "kind": "parts_order",
            "provider": found[0].provider,
            "device": found[1].id,
            "body": body,
            "idempotency_key": request_key(
                tracker.sender_id, turn_marker(tracker), "parts_order", body
            ),
        }
        return [*reset_form(), *await send_part_order(pending, dispatcher, svc, tracker.sender_id)]
