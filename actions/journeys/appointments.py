"""Appointments: book, reschedule or cancel a repair or a technician visit.

`appointment_form` works out the provider and service (from the words and the owner's devices),
shows up to five free slots in the owner's time zone and lets the owner pick one; the assistant
never picks a slot itself. `action_book_appointment` books it with an idempotency key, linked to
an open ticket with that provider if there is one. `reschedule_appointment_form` and
`cancel_appointment_form` find the appointment meant; cancelling needs the owner's yes.
A request that did not go through is kept in `pending_request` ("try again" resends it).
"""

from __future__ import annotations

import asyncio
import logging
import re
from abc import abstractmethod
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.core.errors import ConfigError
from actions.core.idempotency import request_key
from actions.core.phrases import response_text
from actions.core.slot_choice import ORDINALS, resolve_choice
from actions.core.word_lists import one_of
from actions.devices.incidents import appointment_booked, ticket_for_slot
from actions.handoff.consents import item_of, permission_from_this_turn, refuse_unless_permitted
from actions.handoff.owner_control import sending_credentials
from actions.handoff.registry import ask_owner, owner_answered
from actions.journeys.try_again import answering_now, resends
from actions.owner.forms import OwnerFormValidation
from actions.owner.messages import turn_marker
from actions.owner.profile import Account
from actions.providers.desk_errors import DeskError, DeskRejected, DeskTimeout, DeskUnavailable
from actions.providers.desk_models import Appointment, AppointmentCreate
from actions.providers.directory import display_name, normalise
from actions.providers.offered_slots import offered_slot
from actions.runtime import Services, services

logger = logging.getLogger(__name__)

# What the owner hears when a book/reschedule/cancel request did not go through, by operation.
NOT_SENT_RESPONSES = {
    "book": "utter_appointment_book_not_sent",
    "reschedule": "utter_appointment_reschedule_not_sent",
    "cancel": "utter_appointment_cancel_not_sent",
}
OUTCOME_UNKNOWN_RESPONSES = {
    "book": "utter_appointment_book_outcome_unknown",
    "reschedule": "utter_appointment_reschedule_outcome_unknown",
    "cancel": "utter_appointment_cancel_outcome_unknown",
}

BOOK_FORM = "appointment_form"
RESCHEDULE_FORM = "reschedule_appointment_form"
CANCEL_FORM = "cancel_appointment_form"
FORM_SLOTS = (
    "appointment_provider",
    "appointment_service",
    "appointment_offered",
    "appointment_slot",
    "appointment_target",
    "appointment_choices",
    "appointment_cancel_confirmed",
)
MAX_SHOWN = 5
NO_APPOINTMENT = "none"  # appointment_target when the owner has nothing to move or cancel
# Intents that are never an answer to the form's question.
NOT_ANSWERS = {"stop", "help", "bot_challenge", "greet", "goodbye", "try_again", "ticket_status"}

# Words that name a kind of service, by the service's id (which companies offer which service
# comes from the provider directory). A service not listed here is named by its id's words.
SERVICE_WORDS: dict[str, tuple[str, ...]] = {
    "repair": ("repair", "fix"),
    "maintenance": ("maintenance", "service", "servicing", "inspection", "check up"),
    "tyre_change": ("tyre", "tyres", "tire", "tires"),
    "installation": ("install", "installation", "installing", "set up"),
}

# Services whose words ("fix", "repair") also come with a more specific one ("fix the tyres").
GENERIC_SERVICES = {"repair"}


def _has(words: str, phrase: str) -> bool:
    return f" {phrase} " in f" {words} "


async def infer_provider(svc: Services, text: str) -> str | None:
    """The one provider `text` points to by name or by a thing the owner has there."""
    words = normalise(text)
    if not words:
        return None
    try:
        named = await svc.directory.match(text)
    except DeskError:
        named = None
    if named is not None:
        return named.id
    hits = set()
    for account in svc.profile.accounts:
        try:
            things = await svc.directory.keywords(account.provider)
        except DeskError:
            things = []
        for device in account.devices:
            things += [normalise(device.kind.replace("_", " ")), normalise(device.name)]
        if any(t and _has(words, t) for t in things):
            hits.add(account.provider)
    return hits.pop() if len(hits) == 1 else None


def service_words(service: str) -> tuple[str, ...]:
    """The words that name `service`: its own ("tyre change"), and those of SERVICE_WORDS."""
    return (*SERVICE_WORDS.get(service, ()), normalise(service.replace("_", " ")))


def infer_service(offered: list[str], text: str) -> str | None:
    """The service of `offered` (a provider's, the default first) that `text` names, else the
    default; None if the provider offers none."""
    if not offered:
        return None
    words = normalise(text)
    named = [s for s in offered if any(_has(words, w) for w in service_words(s))]
    # "fix the tyres" names a repair and a tyre change: the more specific service wins.
    specific = [s for s in named if s not in GENERIC_SERVICES]
    return (specific or named or offered)[0]


async def offered_services(svc: Services, provider: str) -> list[str] | None:
    """The services `provider` books, from the directory; None when it cannot be read."""
    try:
        return await svc.directory.services(provider)
    except DeskError:
        return None


def _tz(svc: Services) -> ZoneInfo:
    try:
        return ZoneInfo(svc.profile.owner.timezone)
    except (KeyError, ValueError):
        return ZoneInfo("UTC")


def _local(value: str | datetime, tz: ZoneInfo) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return value.astimezone(tz)


def when(start: str | datetime, end: str | datetime, tz: ZoneInfo) -> str:
    """The slot time in the owner's time zone, such as "Tue 24 Nov, 11:00-13:00"."""
    begin, finish = _local(start, tz), _local(end, tz)
    return f"{begin:%a %d %b}, {begin:%H:%M}-{finish:%H:%M}"


def _place(entry: dict[str, Any]) -> str:
    city = entry.get("city")
    location = str(entry.get("location") or "")
    return f"{location} ({city})" if city and city not in location else location


def slot_lines(offered: list[dict[str, Any]], tz: ZoneInfo) -> str:
    return "\n".join(
        f"{i}. {when(s['start'], s['end'], tz)} · {_place(s)}" for i, s in enumerate(offered, 1)
    )


def _appointment_entry(appt: Appointment) -> dict[str, Any]:
    return {
        "id": appt.id,
        "provider": appt.provider,
        "service": appt.service,
        "start": appt.start.isoformat(),
        "end": appt.end.isoformat(),
        "location": appt.location.name or appt.location.id,
        "city": appt.location.city,
        "status": appt.status,
    }


def appointment_lines(entries: list[dict[str, Any]], tz: ZoneInfo) -> str:
    return "\n".join(
        f"{i}. {e['id']}: {e['provider']} {str(e.get('service') or '').replace('_', ' ')}, "
        f"{when(e['start'], e['end'], tz)} · {_place(e)}"
        for i, e in enumerate(entries, 1)
    )


async def _accounts_with_appointments(svc: Services) -> list[Account]:
    """The owner's accounts at companies that book appointments. Raises DeskError."""
    return [a for a in svc.profile.accounts if await svc.directory.services(a.provider)]


async def booked_appointments(svc: Services, conversation_id: str | None) -> list[dict[str, Any]]:
    """The owner's booked appointments at every provider that books them, soonest first.

    Raises DeskError when a provider cannot be asked (an incomplete list would mislead)."""
    found: list[dict[str, Any]] = []
    for account in await _accounts_with_appointments(svc):
        try:
            key = svc.profile.api_key(account)
        except ConfigError:
            continue
        for appt in await svc.desk.list_appointments(
            key, account.provider, conversation_id=conversation_id
        ):
            await asyncio.to_thread(svc.memory.upsert_appointment, appt.dict())
            if appt.status == "booked":
                found.append(_appointment_entry(appt))
    return sorted(found, key=lambda e: e["start"])


async def fetch_slots(
    svc: Services, provider: str, service: str | None, conversation_id: str | None
) -> list[dict[str, Any]]:
    """Up to five free slots, soonest first. Raises DeskError or ConfigError."""
    account = svc.profile.account_for(provider)
    if account is None:
        raise ConfigError(f"no account for {provider}")
    slots = await svc.desk.list_slots(
        svc.profile.api_key(account), provider, service=service, conversation_id=conversation_id
    )
    slots.sort(key=lambda s: (s.start, s.location.id))
    return [offered_slot(s) for s in slots[:MAX_SHOWN]]


async def desk_now(
    svc: Services, provider: str | None, conversation_id: str | None
) -> datetime | None:
    """The desk's clock (what it calls "today"); None when it cannot be read."""
    account = svc.profile.account_for(provider or "") or svc.profile.accounts[0]
    try:
        return await svc.desk.desk_now(
            svc.profile.api_key(account), account.provider, conversation_id=conversation_id
        )
    except (DeskError, ConfigError):
        return None


def _intent(tracker: Tracker) -> str | None:
    return (tracker.latest_message.get("intent") or {}).get("name")


def _text(tracker: Tracker) -> str:
    return tracker.latest_message.get("text") or ""


class _SlotChoosing:
    """The slot question, shared by booking and rescheduling."""

    @staticmethod
    async def extract_appointment_slot(
        dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if tracker.get_slot("requested_slot") != "appointment_slot":
            return {}
        if _intent(tracker) in NOT_ANSWERS:
            return {}
        if not answering_now(tracker):
            # The form re-opened within the same turn (e.g. after a 409) with a fresh list:
            # the owner's last answer was about the old list, so they must pick again.
            return {}
        offered = tracker.get_slot("appointment_offered") or []
        svc = services()
        now = await desk_now(svc, tracker.get_slot("appointment_provider"), tracker.sender_id)
        index = resolve_choice(_text(tracker), offered, now, _tz(svc))
        if index is None:
            dispatcher.utter_message(response="utter_slot_choice_unclear", answer=_text(tracker))
            return {"appointment_slot": None}
        return {"appointment_slot": offered[index]["slot_id"]}


class ValidateAppointmentForm(OwnerFormValidation):
    def name(self) -> str:
        return "validate_appointment_form"

    async def extract_appointment_provider(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if tracker.get_slot("appointment_provider"):
            return {}
        asked = tracker.get_slot("requested_slot") == "appointment_provider"
        intent = _intent(tracker)
        if intent in NOT_ANSWERS or (intent != "book_appointment" and not asked):
            return {}
        svc = services()
        text = _text(tracker)
        provider = await infer_provider(svc, text)
        if provider is None:
            if asked:
                dispatcher.utter_message(response="utter_appointment_provider_unknown", said=text)
                return {"appointment_provider": None}
            return {}
        # Unknown services (the directory cannot be read) let the slots question say so.
        offered = await offered_services(svc, provider)
        if svc.profile.account_for(provider) is None or offered == []:
            dispatcher.utter_message(
                response="utter_no_appointments_at_provider",
                provider_name=await display_name(svc, provider),
            )
            return {"appointment_provider": None}
        return {"appointment_provider": provider}

    async def validate_appointment_provider(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if not value:
            return {"appointment_provider": None}
        offered = await offered_services(services(), str(value))
        return {
            "appointment_provider": value,
            "appointment_service": infer_service(offered or [], _text(tracker)),
            "appointment_offered": None,
        }

    async def extract_appointment_slot(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return await _SlotChoosing.extract_appointment_slot(dispatcher, tracker, domain)


class _TargetFinding(OwnerFormValidation):
    """Which booked appointment the owner means (reschedule and cancel)."""

    @abstractmethod
    def name(self) -> str:
        """Each form's validator names itself; abstract, so the SDK does not register this."""

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        if tracker.get_slot("appointment_target") == NO_APPOINTMENT:
            return ["appointment_target"]
        return domain_slots

    async def extract_appointment_target(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if tracker.get_slot("appointment_target"):
            return {}
        asked = tracker.get_slot("requested_slot") == "appointment_target"
        if _intent(tracker) in NOT_ANSWERS:
            return {}
        if asked:
            choices = tracker.get_slot("appointment_choices") or []
        else:
            svc = services()
            try:
                choices = await booked_appointments(svc, tracker.sender_id)
            except (DeskError, ConfigError) as err:
                logger.warning("cannot list appointments: %s", err)
                dispatcher.utter_message(response="utter_appointments_unavailable")
                return {"appointment_target": NO_APPOINTMENT}
            if not choices:
                dispatcher.utter_message(response="utter_no_appointments")
                return {"appointment_target": NO_APPOINTMENT}
        picked = await pick_appointment(_text(tracker), choices, only_one_is_enough=not asked)
        if picked is None:
            if asked:
                dispatcher.utter_message(
                    response="utter_appointment_choice_unclear", answer=_text(tracker)
                )
                return {"appointment_target": None}
            return {}  # the question lists them
        return {"appointment_target": picked["id"]}

    async def validate_appointment_target(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Keeps the picked appointment's details, which the next steps show and use."""
        if not value or value == NO_APPOINTMENT:
            return {"appointment_target": value or None}
        choices = tracker.get_slot("appointment_choices") or []
        picked = next((e for e in choices if e["id"] == value), None)
        if picked is None:
            try:
                choices = await booked_appointments(services(), tracker.sender_id)
            except (DeskError, ConfigError) as err:
                logger.warning("cannot list appointments: %s", err)
                dispatcher.utter_message(response="utter_appointments_unavailable")
                return {"appointment_target": NO_APPOINTMENT}
            picked = next((e for e in choices if e["id"] == value), None)
        if picked is None:
            return {"appointment_target": None}
        return {
            "appointment_target": picked["id"],
            "appointment_choices": choices,
            "appointment_provider": picked["provider"],
            "appointment_service": picked.get("service"),
            "appointment_offered": None,
        }


async def pick_appointment(
    text: str, choices: list[dict[str, Any]], only_one_is_enough: bool
) -> dict[str, Any] | None:
    """The one appointment `text` names (id, number, provider or thing), else None."""
    words = normalise(text)
    for entry in choices:
        if normalise(entry["id"]) in words:
            return entry
    svc = services()
    provider = await infer_provider(svc, text)
    if provider is not None:
        same = [e for e in choices if e["provider"] == provider]
        if len(same) == 1:
            return same[0]
    numbers = [ORDINALS[w] for w in words.split() if w in ORDINALS]
    numbers += [int(n) for n in re.findall(r"(?<![\w-])(\d)(?![\w-])", words)]
    if len(numbers) == 1 and 1 <= numbers[0] <= len(choices):
        return choices[numbers[0] - 1]
    if only_one_is_enough and len(choices) == 1:
        return choices[0]
    return None


class ValidateRescheduleAppointmentForm(_TargetFinding):
    def name(self) -> str:
        return "validate_reschedule_appointment_form"

    async def extract_appointment_slot(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return await _SlotChoosing.extract_appointment_slot(dispatcher, tracker, domain)


class ValidateCancelAppointmentForm(_TargetFinding):
    def name(self) -> str:
        return "validate_cancel_appointment_form"


def _filled(text: str, **params: str) -> str:
    for name, value in params.items():
        text = text.replace("{" + name + "}", value)
    return text


async def appointment_offers(svc: Services, domain: DomainDict) -> list[str]:
    """What the owner can book, per company that books appointments, as the directory says:
    "a repair with Voltra Motors (car)" (the default service, and the owner's things there)."""
    offers = []
    for account in svc.profile.accounts:
        try:
            provider = await svc.directory.get(account.provider)
        except DeskError:
            provider = None
        if provider is None or not provider.services:
            continue
        things = [d.name or d.kind.replace("_", " ") for d in account.devices]
        response = "utter_appointment_offer_for" if things else "utter_appointment_offer"
        offers.append(
            _filled(
                response_text(domain, response),
                service=provider.services[0].replace("_", " "),
                provider_name=provider.name,
                things=", ".join(things),
            )
        )
    return offers


class ActionAskAppointmentProvider(Action):
    """Which company the appointment is with, naming what each of the owner's companies books."""

    def name(self) -> str:
        return "action_ask_appointment_provider"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        offers = await appointment_offers(services(), domain)
        if not offers:
            dispatcher.utter_message(response="utter_ask_appointment_provider_any")
            return []
        dispatcher.utter_message(
            response="utter_ask_appointment_provider", offers=one_of(domain, offers)
        )
        return []


class ActionAskAppointmentTarget(Action):
    def name(self) -> str:
        return "action_ask_appointment_target"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        svc = services()
        choices = tracker.get_slot("appointment_choices") or []
        if not choices:
            try:
                choices = await booked_appointments(svc, tracker.sender_id)
            except (DeskError, ConfigError) as err:
                logger.warning("cannot list appointments: %s", err)
                dispatcher.utter_message(response="utter_appointments_unavailable")
                return [ActiveLoop(None), *_reset()]
            if not choices:
                dispatcher.utter_message(response="utter_no_appointments")
                return [ActiveLoop(None), *_reset()]
        dispatcher.utter_message(
            response="utter_ask_appointment_target",
            appointments=appointment_lines(choices, _tz(svc)),
        )
        return [SlotSet("appointment_choices", choices)]


class ActionAskAppointmentSlot(Action):
    """Show the free slots (fetched once per question; fresh after a slot was taken)."""

    def name(self) -> str:
        return "action_ask_appointment_slot"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        svc = services()
        offered = tracker.get_slot("appointment_offered")
        provider = tracker.get_slot("appointment_provider")
        if not offered:
            try:
                offered = await fetch_slots(
                    svc, provider, tracker.get_slot("appointment_service"), tracker.sender_id
                )
            except (DeskError, ConfigError) as err:
                logger.warning("cannot list slots: %s", err)
                dispatcher.utter_message(
                    response="utter_appointment_slots_unavailable",
                    provider_name=await display_name(svc, provider),
                )
                return [ActiveLoop(None), *_reset()]
            if not offered:
                dispatcher.utter_message(
                    response="utter_no_free_slots", provider_name=await display_name(svc, provider)
                )
                return [ActiveLoop(None), *_reset()]
        name = await display_name(svc, provider)
        dispatcher.utter_message(
            response="utter_ask_appointment_slot",
            provider_name=name,
            slots=slot_lines(offered, _tz(svc)),
        )
        await ask_owner(
            svc, tracker, "choose_slot", provider=provider, data={"provider_name": name}
        )
        return [SlotSet("appointment_offered", offered)]


class ActionAskAppointmentCancelConfirmed(Action):
    def name(self) -> str:
        return "action_ask_appointment_cancel_confirmed"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        entry = _target(tracker)
        if entry is None:
            return []
        dispatcher.utter_message(
            response="utter_ask_appointment_cancel_confirmed",
            appointment_id=entry["id"],
            provider_name=entry["provider"],
            when=when(entry["start"], entry["end"], _tz(services())),
            location=_place(entry),
        )
        await ask_owner(
            services(),
            tracker,
            "cancel_or_contract",
            provider=entry["provider"],
            subject=item_of("cancel_appointment", entry["id"]),
            data={"provider_name": entry["provider"]},
        )
        return []


def _target(tracker: Tracker) -> dict[str, Any] | None:
    target = tracker.get_slot("appointment_target")
    choices = tracker.get_slot("appointment_choices") or []
    return next((e for e in choices if e["id"] == target), None)


def _reset() -> list[EventType]:
    return [SlotSet(slot, None) for slot in FORM_SLOTS]


def _chosen(tracker: Tracker) -> dict[str, Any] | None:
    slot_id = tracker.get_slot("appointment_slot")
    offered = tracker.get_slot("appointment_offered") or []
    return next((s for s in offered if s["slot_id"] == slot_id), None)


class ActionBookAppointment(Action):
    def name(self) -> str:
        return "action_book_appointment"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        svc = services()
        provider = tracker.get_slot("appointment_provider")
        chosen = _chosen(tracker)
        if not provider or chosen is None:
            return _reset()  # the form ended without a choice and has said why
        await owner_answered(svc, tracker, "choose_slot", "picked")
        # A slot offered for a device's incident goes with that incident's ticket; otherwise
        # with the newest open case at the provider.
        ticket_id = await ticket_for_slot(svc, tracker.sender_id, provider, chosen["slot_id"])
        if ticket_id is None:
            cases = await asyncio.to_thread(svc.memory.cases, provider=provider, open_only=True)
            ticket_id = cases[0].ticket_id if cases else None
        body = AppointmentCreate(
            slot_id=chosen["slot_id"],
            ticket_id=ticket_id,
            service=tracker.get_slot("appointment_service"),
        ).dict(exclude_none=True)
        pending = {
            "kind": "appointment",
            "op": "book",
            "provider": provider,
            "service": body.get("service"),
            "body": body,
            "idempotency_key": request_key(
                tracker.sender_id, turn_marker(tracker), "appointment_book", body
            ),
        }
        return [*_reset(), *await send_appointment(pending, dispatcher, svc, tracker.sender_id)]


class ActionRescheduleAppointment(Action):
    def name(self) -> str:
        return "action_reschedule_appointment"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        svc = services()
        target = _target(tracker)
        chosen = _chosen(tracker)
        if target is None or chosen is None:
            return _reset()  # nothing to move, and the owner has been told
        await owner_answered(svc, tracker, "choose_slot", "picked")
        body = {"slot_id": chosen["slot_id"]}
        pending = {
            "kind": "appointment",
            "op": "reschedule",
            "provider": target["provider"],
            "service": target.get("service"),
            "appointment_id": target["id"],
            "target": target,
            "body": body,
            "idempotency_key": request_key(
                tracker.sender_id,
                turn_marker(tracker),
                "appointment_reschedule",
                {"id": target["id"], **body},
            ),
        }
        return [*_reset(), *await send_appointment(pending, dispatcher, svc, tracker.sender_id)]


class ActionCancelAppointment(Action):
    def name(self) -> str:
        return "action_cancel_appointment"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        svc = services()
        target = _target(tracker)
        if target is None:
            return _reset()  # nothing to cancel, and the owner has been told
        confirmed = tracker.get_slot("appointment_cancel_confirmed") is True
        subject = item_of("cancel_appointment", target["id"])
        await owner_answered(
            svc, tracker, "cancel_or_contract", "yes" if confirmed else "no", subject
        )
        if confirmed:
            await permission_from_this_turn(
                svc, tracker, target["provider"], subject, f"cancel {target['id']}"
            )
        if not confirmed:
            dispatcher.utter_message(
                response="utter_appointment_kept",
                appointment_id=target["id"],
                when=when(target["start"], target["end"], _tz(svc)),
            )
            return _reset()
        pending = {
            "kind": "appointment",
            "op": "cancel",
            "provider": target["provider"],
            "appointment_id": target["id"],
            "target": target,
            "body": {},
            "idempotency_key": request_key(
                tracker.sender_id, turn_marker(tracker), "appointment_cancel", {"id": target["id"]}
            ),
        }
        return [*_reset(), *await send_appointment(pending, dispatcher, svc, tracker.sender_id)]


class ActionListAppointments(Action):
    def name(self) -> str:
        return "action_list_appointments"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        svc = services()
        try:
            entries = await booked_appointments(svc, tracker.sender_id)
        except (DeskError, ConfigError) as err:
            logger.warning("cannot list appointments: %s", err)
            dispatcher.utter_message(response="utter_appointments_unavailable")
            return []
        if not entries:
            dispatcher.utter_message(response="utter_no_appointments")
            return []
        dispatcher.utter_message(
            response="utter_appointments_list", appointments=appointment_lines(entries, _tz(svc))
        )
        return []


@resends("appointment")
async def send_appointment(
    pending: dict[str, Any],
    dispatcher: CollectingDispatcher,
    svc: Services,
    conversation_id: str | None = None,
) -> list[EventType]:
    """Send a prepared booking, move or cancellation; tell the owner exactly what happened."""
    op = pending["op"]
    provider = pending["provider"]
    creds = await sending_credentials(svc, provider, dispatcher, "appointment request")
    if creds is None:
        return [SlotSet("pending_request", None)]
    account, key = creds
    if op == "cancel" and await refuse_unless_permitted(
        svc,
        dispatcher,
        conversation_id,
        provider,
        item_of("cancel_appointment", pending["appointment_id"]),
        pending["idempotency_key"],
    ):
        return [SlotSet("pending_request", None)]
    tz = _tz(svc)
    try:
        if op == "book":
            appt = await svc.desk.book_appointment(
                key,
                provider,
                AppointmentCreate.parse_obj(pending["body"]),
                pending["idempotency_key"],
                conversation_id=conversation_id,
            )
        elif op == "reschedule":
            appt = await svc.desk.reschedule_appointment(
                key,
                provider,
                pending["appointment_id"],
                pending["body"]["slot_id"],
                pending["idempotency_key"],
                conversation_id=conversation_id,
            )
        else:
            appt = await svc.desk.cancel_appointment(
                key,
                provider,
                pending["appointment_id"],
                pending["idempotency_key"],
                conversation_id=conversation_id,
            )
    except DeskTimeout:
        dispatcher.utter_message(
            response=OUTCOME_UNKNOWN_RESPONSES[op], provider_name=await display_name(svc, provider)
        )
        return [SlotSet("pending_request", pending)]
    except DeskUnavailable as err:
        dispatcher.utter_message(
            response=NOT_SENT_RESPONSES[op],
            provider_name=await display_name(svc, provider),
            reason=err.reason,
        )
        return [SlotSet("pending_request", pending)]
    except DeskRejected as err:
        return await _rejected(err, pending, dispatcher, svc, conversation_id)
    await asyncio.to_thread(svc.memory.upsert_appointment, appt.dict())
    details = {
        "appointment_id": appt.id,
        "provider_name": await display_name(svc, appt.provider),
        "when": when(appt.start, appt.end, tz),
        "location": _place(_appointment_entry(appt)),
    }
    if op == "book":
        await appointment_booked(svc, appt.ticket_id, appt.id)
        dispatcher.utter_message(response="utter_appointment_booked", **details)
        if appt.ticket_id:
            dispatcher.utter_message(
                response="utter_appointment_linked_to_ticket", ticket_id=appt.ticket_id
            )
    elif op == "reschedule":
        dispatcher.utter_message(response="utter_appointment_rescheduled", **details)
    else:
        dispatcher.utter_message(response="utter_appointment_cancelled", **details)
    return [SlotSet("pending_request", None)]


async def _rejected(
    err: DeskRejected,
    pending: dict[str, Any],
    dispatcher: CollectingDispatcher,
    svc: Services,
    conversation_id: str | None,
) -> list[EventType]:
    """409 slot_taken or a 422 on the slot: fresh slots and the question again; else refused."""
    op = pending["op"]
    provider = pending["provider"]
    slot_problem = err.code == "slot_taken" or (err.status == 422 and "slot_id" in err.fields)
    if op == "cancel" or not slot_problem:
        dispatcher.utter_message(
            response="utter_appointment_refused",
            provider_name=await display_name(svc, provider),
            message=err.message,
        )
        return [SlotSet("pending_request", None)]
    if err.code == "slot_taken":
        dispatcher.utter_message(
            response="utter_appointment_slot_taken", provider_name=await display_name(svc, provider)
        )
    else:
        dispatcher.utter_message(
            response="utter_appointment_slot_refused",
            provider_name=await display_name(svc, provider),
            message=err.message,
        )
    try:
        fresh = await fetch_slots(svc, provider, pending.get("service"), conversation_id)
    except (DeskError, ConfigError) as fetch_err:
        logger.warning("cannot list fresh slots: %s", fetch_err)
        dispatcher.utter_message(
            response="utter_appointment_slots_unavailable",
            provider_name=await display_name(svc, provider),
        )
        return [SlotSet("pending_request", None)]
    if not fresh:
        dispatcher.utter_message(
            response="utter_no_free_slots", provider_name=await display_name(svc, provider)
        )
        return [SlotSet("pending_request", None)]
    name = await display_name(svc, provider)
    dispatcher.utter_message(
        response="utter_ask_appointment_slot",
        provider_name=name,
        slots=slot_lines(fresh, _tz(svc)),
    )
    if conversation_id:
        # The owner picks again: a new choose_slot question with its own deadline.
        await asyncio.to_thread(
            svc.handoffs.open,
            "choose_slot",
            conversation_id,
            provider=provider,
            data={"provider_name": name},
            output_channel=svc.settings.notify_channel,
        )
    form = BOOK_FORM if op == "book" else RESCHEDULE_FORM
    events: list[EventType] = [
        SlotSet("pending_request", None),
        SlotSet("appointment_provider", provider),
        SlotSet("appointment_service", pending.get("service")),
        SlotSet("appointment_offered", fresh),
        SlotSet("appointment_slot", None),
    ]
    if op == "reschedule":
        events += [
            SlotSet("appointment_target", pending["appointment_id"]),
            SlotSet("appointment_choices", [pending["target"]]),
        ]
    return [*events, ActiveLoop(form), SlotSet("requested_slot", "appointment_slot")]
