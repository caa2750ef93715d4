"""Meter readings: "my water meter says 1250.7" goes to the right provider's meter, checked first.

`meter_reading_form` resolves which of the owner's meters is meant (by kind, id or provider) and
the value; a value below the last accepted reading or a unit the meter does not use is caught
here and the owner is asked again, before anything is sent. `action_submit_meter_reading` sends
it with an idempotency key and confirms with the accepted reading's id.
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.core.errors import ConfigError
from actions.core.idempotency import request_key
from actions.core.number_parsing import find_number, normalise_unit
from actions.core.words import normalise
from actions.handoff.owner_control import sending_credentials
from actions.journeys.form_exit import FormWithAWayOut
from actions.journeys.try_again import answering_now, resends
from actions.owner.forms import MISREAD_INTENTS, still_open
from actions.owner.messages import latest_intent, latest_text, turn_marker
from actions.owner.profile import Account, Meter
from actions.providers.desk_errors import DeskError, DeskRejected, DeskTimeout, DeskUnavailable
from actions.providers.desk_models import MeterReadingCreate
from actions.runtime import Services, services

logger = logging.getLogger(__name__)

FORM = "meter_reading_form"
FORM_SLOTS = ("reading_meter", "reading_value", "reading_unit")

# Words owners use for each meter kind in the profile.
KIND_WORDS = {
    "water": ("water",),
    "electricity": ("electricity", "electric", "power", "kwh"),
    "gas": ("gas",),
}


def _meters(svc: Services) -> list[tuple[Account, Meter]]:
    return [(a, m) for a in svc.profile.accounts for m in a.meters]


def find_meter(svc: Services, text: str) -> tuple[Account, Meter] | None:
    """The owner's meter `text` names: by id, by kind word, or by provider if it has one meter."""
    words = normalise(text)
    meters = _meters(svc)
    for account, meter in meters:
        if normalise(meter.id) in words:
            return account, meter
    by_kind = [
        (a, m)
        for a, m in meters
        if any(f" {w} " in f" {words} " for w in KIND_WORDS.get(m.kind, (m.kind,)))
    ]
    if len(by_kind) == 1:
        return by_kind[0]
    by_provider = [
        (a, m) for a, m in meters if f" {normalise(a.provider.split('-')[0])} " in f" {words} "
    ]
    return by_provider[0] if len(by_provider) == 1 else None


def _meter_list(svc: Services) -> str:
    return ", ".join(f"{m.kind} meter {m.id} ({a.provider})" for a, m in _meters(svc))


def _describe(meter: Meter) -> str:
    return f"{meter.kind} meter {meter.id}"


class ValidateMeterReadingForm(FormWithAWayOut):
    def name(self) -> str:
        return "validate_meter_reading_form"

    async def extract_reading_value(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        intent = latest_intent(tracker)
        asked = tracker.get_slot("requested_slot") == "reading_value"
        if intent != "submit_meter_reading" and not asked:
            return {}
        if not answering_now(tracker):
            return {}  # re-opened in the same turn after a refusal: the owner answers anew
        value = find_number(latest_text(tracker))
        return {"reading_value": value} if value is not None else {}

    async def extract_reading_meter(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """An answer to "which meter?" that Rasa read as another intent: an answer when its
        words name one of the owner's meters. Under the answering intents the slot's own
        mapping takes the text."""
        misread = latest_intent(tracker) in MISREAD_INTENTS
        if not (misread and still_open(tracker, "reading_meter")):
            return {}
        found = find_meter(services(), latest_text(tracker))
        return {"reading_meter": found[1].id} if found else {}

    async def validate_reading_meter(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        svc = services()
        said = str(value or "")
        known = {m.id for _, m in _meters(svc)}
        if said in known:
            return {"reading_meter": said}
        found = find_meter(svc, said) or find_meter(svc, latest_text(tracker))
        if found is None:
            dispatcher.utter_message(
                response="utter_no_such_meter", said=said, meters=_meter_list(svc)
            )
            return {"reading_meter": None}
        return {"reading_meter": found[1].id}

    async def validate_reading_value(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value is None:
            return {"reading_value": None}
        svc = services()
        found = self._meter(svc, tracker.get_slot("reading_meter"))
        if found is None:
            return {"reading_value": float(value)}  # checked once the meter is known
        account, meter = found
        unit = normalise_unit(tracker.get_slot("reading_unit"))
        if unit is not None and unit != meter.unit:
            dispatcher.utter_message(
                response="utter_reading_wrong_unit",
                meter=_describe(meter),
                unit=tracker.get_slot("reading_unit"),
                expected_unit=meter.unit,
            )
            return {"reading_value": None, "reading_unit": None}
        last = await self._last_reading(svc, account, meter)
        if last is not None and float(value) < last["value"]:
            dispatcher.utter_message(
                response="utter_reading_lower_than_last",
                meter=_describe(meter),
                value=f"{float(value):g}",
                last_value=f"{last['value']:g}",
                unit=meter.unit,
            )
            return {"reading_value": None}
        return {"reading_value": float(value)}

    @staticmethod
    def _meter(svc: Services, meter_id: str | None) -> tuple[Account, Meter] | None:
        return next(((a, m) for a, m in _meters(svc) if m.id == meter_id), None)

    @staticmethod
    async def _last_reading(svc: Services, account: Account, meter: Meter) -> dict | None:
        """The last accepted reading at the desk; None when unknown (the desk checks again)."""
        try:
            info = await svc.desk.account(svc.profile.api_key(account), provider=account.provider)
        except (DeskError, ConfigError):
            return None
        for entry in info.get("meters", []):
            if entry.get("meter_id") == meter.id and entry.get("last_reading"):
                return entry["last_reading"]
        return None


class ActionSubmitMeterReading(Action):
    def name(self) -> str:
        return "action_submit_meter_reading"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        svc = services()
        found = ValidateMeterReadingForm._meter(svc, tracker.get_slot("reading_meter"))
        if found is None and tracker.get_slot("reading_value") is None:
            return _reset()  # the owner stopped the form, and has been told
        if found is None or tracker.get_slot("reading_value") is None:
            dispatcher.utter_message(response="utter_action_failed", provider_name="the company")
            return _reset()
        account, meter = found
        body = MeterReadingCreate(
            meter_id=meter.id,
            value=float(tracker.get_slot("reading_value")),
            unit=meter.unit,
            read_at=(await _company_now(svc, account.provider)).isoformat(),
        ).dict()
        pending = {
            "kind": "meter_reading",
            "provider": account.provider,
            "body": body,
            "idempotency_key": request_key(
                tracker.sender_id, turn_marker(tracker), "meter_reading", body
            ),
        }
        return [*_reset(), *await send_reading(pending, dispatcher, svc, tracker.sender_id)]


def _reset() -> list[EventType]:
    return [SlotSet(slot, None) for slot in FORM_SLOTS]


@resends("meter_reading")
async def send_reading(
    pending: dict[str, Any],
    dispatcher: CollectingDispatcher,
    svc: Services,
    conversation_id: str | None = None,
) -> list[EventType]:
    """Send a prepared reading and tell the owner exactly what happened."""
    body = pending["body"]
    meter = f"meter {body['meter_id']}"
    creds = await sending_credentials(svc, pending["provider"], dispatcher, "reading")
    if creds is None:
        return [SlotSet("pending_request", None)]
    account, key = creds
    try:
        reading = await svc.desk.submit_meter_reading(
            key,
            MeterReadingCreate.parse_obj(body),
            pending["idempotency_key"],
            provider=account.provider,
            conversation_id=conversation_id,
        )
    except DeskTimeout:
        dispatcher.utter_message(response="utter_reading_outcome_unknown", meter=meter)
        return [SlotSet("pending_request", pending)]
    except DeskUnavailable as err:
        dispatcher.utter_message(response="utter_reading_not_sent", meter=meter, reason=err.reason)
        return [SlotSet("pending_request", pending)]
    except DeskRejected as err:
        # The desk's own checks (lower than last, wrong unit) become a question again.
        dispatcher.utter_message(
            response="utter_reading_rejected", meter=meter, message=err.message
        )
        if err.status == 422:
            return [
                SlotSet("pending_request", None),
                SlotSet("reading_meter", body["meter_id"]),
                ActiveLoop(FORM),
            ]
        return [SlotSet("pending_request", None)]
    dispatcher.utter_message(
        response="utter_reading_accepted",
        meter=meter,
        value=f"{reading.value:g}",
        unit=reading.unit,
        reading_id=reading.id,
        previous_value=f"{reading.previous_value:g}",
    )
    return [SlotSet("pending_request", None)]


class ActionAskReadingMeter(Action):
    def name(self) -> str:
        return "action_ask_reading_meter"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        dispatcher.utter_message(response="utter_ask_reading_meter", meters=_meter_list(services()))
        return []


async def _company_now(svc: Services, provider: str) -> datetime:
    """The reading is taken now, by the company's clock: a company whose clock runs behind
    ours (the simulated desk) refuses a reading from its future. The wall clock when the
    company does not say."""
    try:
        _, key = svc.profile.credentials(provider)
        now = await svc.desk.desk_now(key, provider)
    except (DeskError, ConfigError):
        now = datetime.now(timezone.utc)
    return now.astimezone(timezone.utc).replace(microsecond=0)
