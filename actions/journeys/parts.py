"""Parts: find the parts that fit one of the owner's devices, and order one, with consent for money.

"what parts fit my washing machine?" lists the parts for the device's model (from the desk's
`GET /v1/account`) with their prices. "order a new charging port for my car" runs
`part_order_form`: which device, which part, where it goes (a company with service centres: the
centre of the owner's booked appointment there, else the centre the owner names; any other: the
place its directory entry names for parts, the owner's home), and,
when the part costs money beyond the owner's standing spending limit, the owner's yes to that
exact item and amount. `send_part_order` checks the consent again at the moment of sending
(`actions.handoff.consents.authorise`), so no slot alone can ever spend money.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.core.errors import ConfigError
from actions.core.idempotency import request_key
from actions.core.slot_choice import ORDINALS
from actions.core.word_lists import all_of, one_of
from actions.devices.incidents import part_decided
from actions.handoff.consents import (
    PARTS_ORDER,
    Spend,
    authorise,
    needs_consent,
    record_decision,
)
from actions.handoff.owner_control import sending_credentials
from actions.handoff.registry import ask_owner, owner_answered
from actions.journeys.try_again import answering_now, resends
from actions.owner.forms import OwnerFormValidation
from actions.owner.messages import owner_stamped, turn_marker
from actions.owner.profile import Account, Device
from actions.owner.wording import money
from actions.providers.desk_errors import DeskError, DeskRejected, DeskTimeout, DeskUnavailable
from actions.providers.desk_models import Location, Part, PartOrderCreate, Provider
from actions.providers.directory import normalise
from actions.providers.part_destinations import destination_of
from actions.runtime import Services, services
from actions.store.owner_preferences import current_preferences

logger = logging.getLogger(__name__)

FORM = "part_order_form"
FORM_SLOTS = (
    "part_device",
    "part_sku",
    "part_centre",
    "part_quote",
    "part_order_confirmed",
)
NOT_ANSWERS = {"stop", "help", "bot_challenge", "greet", "goodbye", "try_again", "ticket_status"}
# Where a part goes at a company with neither service centres nor a parts delivery place in its
# directory entry (the desk refuses it: the owner hears the company's answer).
NO_DELIVERY_PLACE = "HOME"
DEVICE_WORDS: dict[str, tuple[str, ...]] = {
    "car": ("car", "vehicle", "ev", "voltra", "tesla"),
    "router": ("router", "modem", "wifi", "wi fi", "internet", "broadband", "homehub"),
    "fridge": ("fridge", "refrigerator", "freezer", "frige", "fridg"),
    "washing_machine": ("washing machine", "washer", "washingmachine", "washing machne", "washin"),
}
# Words that never tell one part from another.
FILLER = {
    "a", "an", "the", "my", "for", "new", "order", "need", "i", "buy", "get", "me", "part",
    "parts", "replacement", "please", "to", "of", "and", "want", "can", "you", "one",
    "car", "fridge", "washing", "machine", "router", "it", "some",
}  # fmt: skip


def _intent(tracker: Tracker) -> str | None:
    return (tracker.latest_message.get("intent") or {}).get("name")


def _text(tracker: Tracker) -> str:
    return tracker.latest_message.get("text") or ""


def _has(words: str, phrase: str) -> bool:
    return f" {phrase} " in f" {words} "


def _devices(svc: Services) -> list[tuple[Account, Device]]:
    return [(a, d) for a in svc.profile.accounts for d in a.devices]


def _device(svc: Services, device_id: str | None) -> tuple[Account, Device] | None:
    return next(((a, d) for a, d in _devices(svc) if d.id == device_id), None)


def find_device(svc: Services, text: str) -> str | None:
    """The one device of the owner's that `text` names (by id, kind or name), else None."""
    words = normalise(text)
    devices = _devices(svc)
    for _, device in devices:
        if normalise(device.id) in words:
            return device.id
    hits = {
        d.id
        for _, d in devices
        if any(_has(words, w) for w in DEVICE_WORDS.get(d.kind, ()))
        or _has(words, normalise(d.kind.replace("_", " ")))
        or (d.name and _has(words, normalise(d.name)))
    }
    return hits.pop() if len(hits) == 1 else None


def device_list(svc: Services) -> str:
    return ", ".join(f"{d.name or d.kind} ({d.id})" for _, d in _devices(svc))


async def fitting_parts(
    svc: Services, device_id: str, conversation_id: str | None
) -> tuple[Account, str, list[Part]]:
    """The device's account, model and the parts that fit it. Raises DeskError or ConfigError."""
    found = _device(svc, device_id)
    if found is None:
        raise ConfigError(f"no device {device_id}")
    account = found[0]
    key = svc.profile.api_key(account)
    info = await svc.desk.account(key, account.provider, conversation_id=conversation_id)
    model = next(
        (d.get("model") for d in info.get("devices", []) if d.get("device_id") == device_id), None
    )
    if not model:
        raise ConfigError(f"the desk does not know the model of {device_id}")
    parts = await svc.desk.list_parts(key, account.provider, model, conversation_id)
    return account, str(model), [p for p in parts if not p.fits or model in p.fits]


def part_lines(parts: list[Part]) -> str:
    return "\n".join(
        f"{i}. {p.name} ({p.sku}): {money(p.price)} {p.currency}" for i, p in enumerate(parts, 1)
    )


def match_part(text: str, parts: list[Part], by_number: bool) -> Part | None:
    """The one part `text` names: by SKU, by the words of its name, or by its number."""
    words = normalise(text)
    for part in parts:
        if _has(words, normalise(part.sku)):
            return part
    said = {w for w in words.split() if w not in FILLER and len(w) > 2}
    scores = [(len(said & set(normalise(p.name).split())), p) for p in parts]
    best = max((s for s, _ in scores), default=0)
    top = [p for s, p in scores if s == best]
    if best > 0 and len(top) == 1:
        return top[0]
    if by_number:
        numbers = [ORDINALS[w] for w in words.split() if w in ORDINALS]
        numbers += [int(w) for w in words.split() if w.isdigit() and len(w) < 3]
        if len(numbers) == 1 and 1 <= numbers[0] <= len(parts):
            return parts[numbers[0] - 1]
    return None


def centre_from_text(text: str, centres: list[Location]) -> str | None:
    """The service centre `text` names, by its code or its city."""
    words = normalise(text)
    for centre in centres:
        if _has(words, normalise(centre.id)) or (
            centre.city and _has(words, normalise(centre.city))
        ):
            return centre.id
    return None


def centre_places(centres: list[Location]) -> list[str]:
    """How the owner knows the centres: by city ("Lisbon"), else by name."""
    return [c.city or c.name or c.id for c in centres]


async def booked_centre(
    svc: Services, account: Account, conversation_id: str | None, centre: str | None = None
) -> tuple[str, str] | None:
    """The service centre and id of the owner's soonest booked appointment there (at `centre`
    if given), if any. Raises DeskError or ConfigError."""
    centres = {c.id for c in await svc.directory.service_centres(account.provider)}
    appts = await svc.desk.list_appointments(
        svc.profile.api_key(account), account.provider, conversation_id=conversation_id
    )
    booked = []
    for appt in appts:
        await asyncio.to_thread(svc.memory.upsert_appointment, appt.dict())
        wanted = appt.location.id == centre if centre else appt.location.id in centres
        if appt.status == "booked" and wanted:
            booked.append(appt)
    if not booked:
        return None
    first = min(booked, key=lambda a: a.start)
    return first.location.id, first.id


async def build_quote(
    svc: Services,
    device_id: str,
    sku: str,
    centre: str | None,
    conversation_id: str | None,
) -> dict[str, Any] | None:
    """What would be ordered and what it costs, from the desk's catalogue now."""
    account, model, parts = await fitting_parts(svc, device_id, conversation_id)
    part = next((p for p in parts if p.sku == sku), None)
    if part is None:
        return None
    quantity = 1
    return {
        "provider": account.provider,
        "device": device_id,
        "model": model,
        "sku": part.sku,
        "name": part.name,
        "unit_price": part.price,
        "quantity": quantity,
        "total": round(part.price * quantity, 2),
        "currency": part.currency,
        "centre": centre,
        "destination": await destination_of(svc.directory, account.provider, centre),
    }


def _spend(quote: dict[str, Any], total: float, currency: str) -> Spend:
    return Spend(
        subject=PARTS_ORDER,
        provider=quote["provider"],
        item=quote["sku"],
        description=f"{quote['quantity']} x {quote['name']} ({quote['sku']}), "
        f"delivered to {quote['destination']}",
        amount=total,
        currency=currency,
    )


class ActionListParts(Action):
    """ "What parts fit my washing machine?": the parts for that device, with prices."""

    def name(self) -> str:
        return "action_list_parts"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        svc = services()
        device_id = find_device(svc, _text(tracker)) or tracker.get_slot("part_device")
        if _device(svc, device_id) is None:
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


class ValidatePartOrderForm(OwnerFormValidation):
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
        if _intent(tracker) in NOT_ANSWERS or not (asked or _intent(tracker) == "order_part"):
            return {}
        if not answering_now(tracker):
            return {}
        svc = services()
        found = find_device(svc, _text(tracker))
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
        intent = _intent(tracker)
        if intent in NOT_ANSWERS or not (asked or intent == "order_part"):
            return {}
        if not answering_now(tracker) or (tracker.get_slot("part_sku") and not asked):
            return {}
        svc = services()
        text = _text(tracker)
        device_id = tracker.get_slot("part_device")
        if _device(svc, device_id) is None:
            return {}
        try:
            _, _, parts = await fitting_parts(svc, device_id, tracker.sender_id)
        except (DeskError, ConfigError) as err:
            logger.warning("cannot list parts: %s", err)
            return {}
        part = match_part(text, parts, by_number=asked)
        if part is None:
            if asked:
                dispatcher.utter_message(response="utter_parts_choice_unclear", answer=text)
            return {}
        return {"part_sku": part.sku}

    async def extract_part_centre(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if tracker.get_slot("part_centre") or _intent(tracker) in NOT_ANSWERS:
            return {}
        svc = services()
        found = _device(svc, tracker.get_slot("part_device"))
        if found is None:
            return {}
        account = found[0]
        try:
            provider = await svc.directory.get(account.provider)
        except DeskError as err:
            logger.warning("cannot read the provider directory: %s", err)
            return {}
        centres = provider.service_centres if provider else []
        if not centres:
            home = provider.parts_delivery if provider else None
            return {"part_centre": home or NO_DELIVERY_PLACE}
        asked = tracker.get_slot("requested_slot") == "part_centre"
        named = centre_from_text(_text(tracker), centres) if answering_now(tracker) else None
        if named:
            return {"part_centre": named}
        if asked:
            dispatcher.utter_message(
                response="utter_parts_centre_unknown",
                answer=_text(tracker),
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
        if not answering_now(tracker) or _intent(tracker) not in ("affirm", "deny"):
            return {}
        quote = tracker.get_slot("part_quote")
        if not isinstance(quote, dict):
            return {}
        granted = _intent(tracker) == "affirm"
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
        spend = _spend(quote, float(quote["total"]), str(quote["currency"]))
        await record_decision(svc, tracker.sender_id, spend, granted, _text(tracker))
        return {"part_order_confirmed": granted}


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
            return [ActiveLoop(None), SlotSet("requested_slot", None), *_reset()]
        if not parts:
            dispatcher.utter_message(response="utter_parts_none_fit", model=model)
            return [ActiveLoop(None), SlotSet("requested_slot", None), *_reset()]
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
        found = _device(svc, tracker.get_slot("part_device"))
        provider: Provider | None = None
        try:
            provider = await svc.directory.get(found[0].provider) if found else None
        except DeskError as err:
            logger.warning("cannot read the provider directory: %s", err)
        if provider is None or not provider.service_centres:
            dispatcher.utter_message(response="utter_parts_unavailable")
            return [ActiveLoop(None), SlotSet("requested_slot", None), *_reset()]
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
            return [ActiveLoop(None), SlotSet("requested_slot", None), *_reset()]
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


def _reset() -> list[EventType]:
    return [SlotSet(slot, None) for slot in FORM_SLOTS]


async def _appointment_at(
    svc: Services, account: Account, centre: str, conversation_id: str | None
) -> str | None:
    """The owner's booked appointment at the service centre `centre`, which the part is linked
    to, if any (a part that comes with a technician is linked to nothing)."""
    try:
        centres = await svc.directory.service_centres(account.provider)
        if centre not in {c.id for c in centres}:
            return None
        booked = await booked_centre(svc, account, conversation_id, centre)
    except (DeskError, ConfigError) as err:
        logger.warning("cannot list appointments: %s", err)
        return None
    return booked[1] if booked else None


class ActionOrderPart(Action):
    def name(self) -> str:
        return "action_order_part"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        svc = services()
        found = _device(svc, tracker.get_slot("part_device"))
        sku = tracker.get_slot("part_sku")
        centre = tracker.get_slot("part_centre")
        if found is None or not sku or not centre:
            return _reset()  # the form ended without an order and has said why
        if tracker.get_slot("part_order_confirmed") is False:
            dispatcher.utter_message(response="utter_parts_not_ordered")
            await part_decided(svc, found[0].provider, sku, None)
            return _reset()
        body = PartOrderCreate(
            sku=sku,
            quantity=1,
            deliver_to_service_centre=centre,
            appointment_id=await _appointment_at(svc, found[0], centre, tracker.sender_id),
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
        return [*_reset(), *await send_part_order(pending, dispatcher, svc, tracker.sender_id)]


@resends("parts_order")
async def send_part_order(
    pending: dict[str, Any],
    dispatcher: CollectingDispatcher,
    svc: Services,
    conversation_id: str | None = None,
) -> list[EventType]:
    """Send a prepared parts order, only with consent for its cost; tell exactly what happened.

    The price comes from the desk's catalogue now, and `authorise` checks it against the
    standing limit or a recorded, unexpired, unused consent for this item and amount (or one
    used by this same request, identified by its idempotency key, on an attempt that did not
    go through). Without that, nothing is sent.
    """
    provider = pending["provider"]
    body = pending["body"]
    creds = await sending_credentials(svc, provider, dispatcher, "parts order")
    if creds is None:
        return [SlotSet("pending_request", None)]
    account, key = creds
    where = await destination_of(svc.directory, provider, body.get("deliver_to_service_centre"))
    try:
        catalogue = await svc.desk.list_parts(key, provider, conversation_id=conversation_id)
    except (DeskUnavailable, DeskTimeout) as err:
        dispatcher.utter_message(
            response="utter_parts_order_not_sent", sku=body["sku"], reason=str(err)
        )
        return [SlotSet("pending_request", pending)]
    except DeskRejected as err:
        dispatcher.utter_message(response="utter_parts_order_refused", message=err.message)
        return [SlotSet("pending_request", None)]
    part = next((p for p in catalogue if p.sku == body["sku"]), None)
    if part is None:
        dispatcher.utter_message(response="utter_parts_unknown_sku", sku=body["sku"])
        return [SlotSet("pending_request", None)]
    quantity = int(body.get("quantity", 1))
    total = round(part.price * quantity, 2)
    quote = {
        "provider": provider,
        "sku": part.sku,
        "name": part.name,
        "quantity": quantity,
        "destination": where,
    }
    spend = _spend(quote, total, part.currency)
    granted = await authorise(svc, conversation_id or "", spend, pending["idempotency_key"])
    if granted is None:
        dispatcher.utter_message(
            response="utter_parts_needs_consent",
            sku=part.sku,
            part_name=part.name,
            amount=money(total),
            currency=part.currency,
        )
        return [SlotSet("pending_request", None)]
    try:
        order = await svc.desk.order_part(
            key,
            provider,
            PartOrderCreate.parse_obj(body),
            pending["idempotency_key"],
            conversation_id=conversation_id,
        )
    except DeskTimeout:
        dispatcher.utter_message(response="utter_parts_order_outcome_unknown", sku=part.sku)
        return [SlotSet("pending_request", pending)]
    except DeskUnavailable as err:
        dispatcher.utter_message(
            response="utter_parts_order_not_sent", sku=part.sku, reason=err.reason
        )
        return [SlotSet("pending_request", pending)]
    except DeskRejected as err:
        dispatcher.utter_message(response="utter_parts_order_refused", message=err.message)
        if err.status == 422 and pending.get("device"):
            # The desk's question goes back to the owner: where should it go?
            return [
                SlotSet("pending_request", None),
                SlotSet("part_device", pending["device"]),
                SlotSet("part_sku", part.sku),
                SlotSet("part_centre", None),
                ActiveLoop(FORM),
            ]
        return [SlotSet("pending_request", None)]
    await asyncio.to_thread(svc.memory.upsert_order, order.dict())
    await part_decided(svc, provider, part.sku, order.id)
    dispatcher.utter_message(
        response="utter_parts_ordered",
        order_id=order.id,
        part_name=order.name or part.name,
        quantity=order.quantity,
        amount=money(order.total),
        currency=order.currency,
        destination=await destination_of(svc.directory, provider, order.deliver_to_service_centre),
    )
    if granted.basis == "within_limit":
        prefs = await current_preferences(svc)
        dispatcher.utter_message(
            response="utter_parts_within_limit",
            limit=money(prefs.spending_limit),
            currency=prefs.currency,
        )
    return [SlotSet("pending_request", None)]
