"""Parts: found for the owner's device, priced, and ordered only with consent for the money.

Real desk over HTTP, real trackers, real case memory. Every spending path without consent must
leave zero orders at the desk.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest

from actions.core.clock import utc_now
from actions.handoff.consents import PARTS_ORDER
from actions.journeys.parts import (
    ActionAskPartCentre,
    ActionAskPartOrderConfirmed,
    ActionListParts,
    ActionOrderPart,
    ValidatePartOrderForm,
)
from actions.journeys.preferences import ActionSetSpendingLimit
from actions.journeys.try_again import ActionRetryPendingRequest
from actions.providers.desk_models import PartOrderCreate
from actions.runtime import services
from tests.actions.conftest import make_tracker, responses, run_action, slot_events
from tests.actions.sixth_company import (  # noqa: F401 (sixth_desk, sixth_env: fixtures)
    BOILER,
    sixth_desk,
    sixth_env,
    the_desk,
)
from tests.actions.sixth_company import KEY as HEARTHWISE

VOLTRA = "sk-voltra-demo"
HOMECARE = "sk-homecare-demo"
NIMBUS = "sk-nimbus-demo"
CAR = "VIN-5YJ3E1EA7KF317000"
FORM = "part_order_form"


@pytest.fixture(scope="module")
def pdomain(domain: dict[str, Any]) -> dict[str, Any]:
    return domain


def orders(desk, key: str = VOLTRA) -> list[dict]:
    status, _, body = desk.get("/v1/parts/orders", key=key)
    assert status == 200, body
    return body["orders"]


def tracker_with(domain, text, intent, slots=None, requested=None, active=True, ts=1.0, **kw):
    """A tracker whose earlier turns set `slots`, then the owner says `text`."""
    slots = {**(slots or {}), "requested_slot": requested}
    tracker = make_tracker(
        domain,
        text,
        intent=intent,
        slots=slots,
        active_loop=FORM if active else None,
        timestamp=1_795_000_000.0 + ts,
        **kw,
    )
    before = [{"event": "slot", "name": k, "value": v} for k, v in slots.items()]
    tracker.events[1:1] = before
    return tracker


def start(domain, text: str, intent: str = "order_part", **kw) -> tuple[list, dict]:
    messages, events = run_action(
        ValidatePartOrderForm(), tracker_with(domain, text, intent, **kw), domain
    )
    return messages, slot_events(events)


def chosen(centre: str = "SC-LIS-1", sku: str = "VM-CPA-3", device: str = CAR) -> dict:
    return {"part_device": device, "part_sku": sku, "part_centre": centre}


def ask(domain, slots: dict) -> tuple[list, dict]:
    tracker = tracker_with(domain, "", "order_part", slots, requested="part_order_confirmed")
    messages, events = run_action(ActionAskPartOrderConfirmed(), tracker, domain)
    return messages, slot_events(events)["part_quote"]


def answer(
    domain, slots: dict, quote: dict, text: str, intent: str, ts=2.0, stamped: bool = True
) -> dict:
    tracker = tracker_with(
        domain,
        text,
        intent,
        {**slots, "part_quote": quote},
        requested="part_order_confirmed",
        ts=ts,
        stamped=stamped,
    )
    _, events = run_action(ValidatePartOrderForm(), tracker, domain)
    return slot_events(events)


def order(domain, slots: dict, confirmed: bool | None, ts=3.0, **kw) -> tuple[list, dict]:
    tracker = tracker_with(
        domain,
        "yes",
        "affirm",
        {**slots, "part_order_confirmed": confirmed},
        active=False,
        ts=ts,
        **kw,
    )
    messages, events = run_action(ActionOrderPart(), tracker, domain)
    return messages, slot_events(events)


def consents() -> list[dict]:
    return services().memory.consents()


def book_voltra(desk, centre: str = "SC-LIS-1", key: str = VOLTRA) -> str:
    status, _, body = desk.get(f"/v1/appointments/slots?location={centre}", key=key)
    assert status == 200 and body["slots"], body
    status, _, appt = desk.post(
        "/v1/appointments", {"slot_id": body["slots"][0]["slot_id"]}, key=key
    )
    assert status == 201, appt
    return appt["id"]


def set_limit(domain, text: str) -> None:
    tracker = make_tracker(domain, text, intent="set_spending_limit")
    messages, _ = run_action(ActionSetSpendingLimit(), tracker, domain)
    assert responses(messages) == ["utter_pref_spending_limit_set"]


# --- finding parts ---------------------------------------------------------------------------


def test_parts_that_fit_the_washing_machine_are_shown_with_price(standin_env, pdomain):
    tracker = make_tracker(pdomain, "what parts fit my washing machine", intent="list_parts")
    messages, events = run_action(ActionListParts(), tracker, pdomain)
    assert responses(messages) == ["utter_parts_list"]
    assert messages[0]["model"] == "WashPro 23"
    assert "Washing machine drain pump (HC-WP23-PUMP): 64.00 EUR" in messages[0]["parts"]
    assert "Inlet valve (HC-WP23-VALVE): 22.00 EUR" in messages[0]["parts"]
    assert "SEAL" not in messages[0]["parts"]
    assert slot_events(events)["part_device"] == "WM-23-9911"


def test_only_parts_for_the_cars_model(standin_env, pdomain):
    tracker = make_tracker(pdomain, "what parts fit my car", intent="list_parts")
    messages, _ = run_action(ActionListParts(), tracker, pdomain)
    assert messages[0]["model"] == "Voltra V3"
    assert "Charging port assembly (VM-CPA-3): 42.00 EUR" in messages[0]["parts"]


def test_which_device_when_none_is_named(standin_env, pdomain):
    tracker = make_tracker(pdomain, "what parts can I order", intent="list_parts")
    messages, _ = run_action(ActionListParts(), tracker, pdomain)
    assert responses(messages) == ["utter_parts_which_device"]


def test_the_form_finds_device_part_and_booked_centre(standin_env, pdomain):
    appt = book_voltra(standin_env, "SC-IST-1")
    _, slots = start(pdomain, "order a new charging port for my car")
    assert slots["part_device"] == CAR
    assert slots["part_sku"] == "VM-CPA-3"
    assert slots["part_centre"] == "SC-IST-1"
    assert slots["part_quote"]["total"] == 42.0
    assert "requested_slot" not in slots  # the consent question comes next (domain order)
    # And the part is linked to that appointment once ordered.
    quote = ask(pdomain, chosen("SC-IST-1"))[1]
    assert answer(pdomain, chosen("SC-IST-1"), quote, "yes", "affirm")["part_order_confirmed"]
    messages, _ = order(pdomain, chosen("SC-IST-1"), True)
    assert responses(messages) == ["utter_parts_ordered"]
    (placed,) = orders(standin_env)
    assert placed["appointment_id"] == appt
    assert placed["deliver_to_service_centre"] == "SC-IST-1"


def test_without_an_appointment_the_owner_picks_a_centre(standin_env, pdomain):
    _, slots = start(pdomain, "i need a door seal for the fridge")
    assert slots["part_device"] == "FR-88-2210"
    assert slots["part_sku"] == "HC-FR88-SEAL"
    assert slots["part_centre"] == "HC-HOME"
    _, slots = start(pdomain, "order a charging port for the car")
    assert "part_centre" not in slots
    _, slots = start(
        pdomain,
        "berlin please",
        "inform",
        slots={"part_device": CAR, "part_sku": "VM-CPA-3"},
        requested="part_centre",
    )
    assert slots["part_centre"] == "SC-BER-1"


def test_the_centre_question_names_the_companys_centres_from_the_directory(standin_env, pdomain):
    tracker = tracker_with(
        pdomain, "", "order_part", {"part_device": CAR, "part_sku": "VM-CPA-3"}, "part_centre"
    )
    messages, events = run_action(ActionAskPartCentre(), tracker, pdomain)
    assert responses(messages) == ["utter_ask_part_centre"] and events == []
    assert messages[0]["provider_name"] == "Voltra"
    assert messages[0]["centres"] == "Lisbon, Istanbul or Berlin"
    _, slots = start(
        pdomain,
        "to the moon",
        "inform",
        slots={"part_device": CAR, "part_sku": "VM-CPA-3"},
        requested="part_centre",
    )
    assert "part_centre" not in slots
    messages, _ = start(
        pdomain,
        "to the moon",
        "inform",
        slots={"part_device": CAR, "part_sku": "VM-CPA-3"},
        requested="part_centre",
    )
    [unknown] = [m for m in messages if m["response"] == "utter_parts_centre_unknown"]
    assert (
        unknown["centres"] == "Lisbon, Istanbul and Berlin" and unknown["answer"] == "to the moon"
    )


@pytest.mark.usefixtures("sixth_env")
def test_at_a_sixth_company_the_part_goes_where_its_directory_entry_says(pdomain):
    """No code names Hearthwise: its parts go to its `parts_delivery` place, as HomeCare's do."""
    _, slots = start(pdomain, "order an ignition electrode for my boiler")
    assert slots["part_device"] == BOILER
    assert slots["part_sku"] == "HW-C30-IGN"
    assert slots["part_centre"] == "HW-HOME"
    picked = {"part_device": BOILER, "part_sku": "HW-C30-IGN", "part_centre": "HW-HOME"}
    messages, quote = ask(pdomain, picked)
    assert messages[0]["amount"] == "18.50" and messages[0]["destination"] == "your home"
    assert answer(pdomain, picked, quote, "yes", "affirm") == {"part_order_confirmed": True}
    messages, _ = order(pdomain, picked, True)
    assert responses(messages) == ["utter_parts_ordered"]
    (placed,) = orders(the_desk(), HEARTHWISE)
    assert placed["sku"] == "HW-C30-IGN" and placed["deliver_to_service_centre"] == "HW-HOME"
    assert placed["appointment_id"] is None


# --- consent: yes, no, the limit -------------------------------------------------------------


def test_a_yes_orders_exactly_once_to_the_right_centre(standin_env, pdomain):
    messages, quote = ask(pdomain, chosen())
    assert responses(messages) == ["utter_ask_part_order_confirmed"]
    assert messages[0]["sku"] == "VM-CPA-3"
    assert (messages[0]["amount"], messages[0]["currency"]) == ("42.00", "EUR")
    assert messages[0]["destination"] == "Voltra Lisbon (SC-LIS-1)"
    assert answer(pdomain, chosen(), quote, "yes order it", "affirm") == {
        "part_order_confirmed": True
    }
    (consent,) = consents()
    assert consent["decision"] == "granted"
    assert consent["owner_words"] == "yes order it"
    assert (consent["amount"], consent["currency"]) == (42.0, "EUR")
    assert consent["data"]["item"] == "VM-CPA-3" and consent["used_at"] is None

    messages, slots = order(pdomain, chosen(), True)
    assert responses(messages) == ["utter_parts_ordered"]
    assert (messages[0]["amount"], messages[0]["currency"]) == ("42.00", "EUR")
    assert messages[0]["destination"] == "Voltra Lisbon (SC-LIS-1)"
    (placed,) = orders(standin_env)
    assert messages[0]["order_id"] == placed["id"]
    assert placed["sku"] == "VM-CPA-3" and placed["deliver_to_service_centre"] == "SC-LIS-1"
    assert slots["pending_request"] is None
    assert services().memory.order("voltra-motors", placed["id"])["sku"] == "VM-CPA-3"
    assert consents()[0]["used_by"] is not None


def test_a_no_orders_nothing(standin_env, pdomain):
    _, quote = ask(pdomain, chosen())
    assert answer(pdomain, chosen(), quote, "no dont", "deny") == {"part_order_confirmed": False}
    messages, _ = order(pdomain, chosen(), False)
    assert responses(messages) == ["utter_parts_not_ordered"]
    assert orders(standin_env) == []
    assert [c["decision"] for c in consents()] == ["refused"]


def test_a_yes_that_did_not_come_on_the_owners_own_channel_grants_nothing(standin_env, pdomain):
    """A yes through a channel that did not check the owner's token (socket.io, a stock
    channel), or one whose stamp was copied from another message, records no consent: the
    form asks again, and nothing can be ordered."""
    _, quote = ask(pdomain, chosen())
    tracker = tracker_with(
        pdomain,
        "yes order it",
        "affirm",
        {**chosen(), "part_quote": quote},
        requested="part_order_confirmed",
        ts=2.0,
        stamped=False,
    )
    messages, events = run_action(ValidatePartOrderForm(), tracker, pdomain)
    assert "utter_consent_needs_owner_channel" in responses(messages)
    assert slot_events(events).get("part_order_confirmed") is None
    assert consents() == []
    # A stamp made for another message (its id) does not carry over to this one.
    stamped = tracker_with(
        pdomain,
        "yes",
        "affirm",
        {**chosen(), "part_quote": quote},
        requested="part_order_confirmed",
    )
    tracker.latest_message["metadata"] = stamped.latest_message["metadata"]
    run_action(ValidatePartOrderForm(), tracker, pdomain)
    assert consents() == []
    messages, _ = order(pdomain, chosen(), True)
    assert orders(standin_env) == []
    # A no is taken from anywhere: refusing can only keep money where it is.
    assert answer(pdomain, chosen(), quote, "no", "deny", stamped=False) == {
        "part_order_confirmed": False
    }


def test_other_words_while_asked_record_nothing(standin_env, pdomain):
    _, quote = ask(pdomain, chosen())
    assert answer(pdomain, chosen(), quote, "what is the weather", "out_of_scope") == {}
    assert consents() == []


def test_within_the_standing_limit_it_orders_without_asking(standin_env, pdomain):
    set_limit(pdomain, "set my spending limit to 50 euros")
    _, slots = start(pdomain, "order a new charging port for my car to lisbon")
    assert slots["part_centre"] == "SC-LIS-1"
    assert slots["requested_slot"] is None  # nothing left to ask: no consent question
    messages, _ = order(pdomain, chosen(), None)
    assert responses(messages) == ["utter_parts_ordered", "utter_parts_within_limit"]
    assert messages[1]["limit"] == "50.00"
    assert len(orders(standin_env)) == 1
    (consent,) = consents()
    assert consent["decision"] == "within_limit" and consent["used_by"]


def test_above_the_limit_it_asks(standin_env, pdomain):
    set_limit(pdomain, "set my spending limit to 30 euros")
    _, slots = start(pdomain, "order a new charging port for my car to lisbon")
    assert "requested_slot" not in slots  # the form goes on to the consent question
    tracker = tracker_with(
        pdomain, "", "order_part", {**chosen(), "part_quote": slots["part_quote"]}
    )
    required = asyncio.run(
        ValidatePartOrderForm().required_slots(
            ["part_device", "part_sku", "part_centre", "part_order_confirmed"],
            None,
            tracker,
            pdomain,
        )
    )
    assert "part_order_confirmed" in required
    messages, _ = order(pdomain, chosen(), None)
    assert responses(messages) == ["utter_parts_needs_consent"]
    assert orders(standin_env) == []


def test_a_free_part_needs_no_consent(standin_env, pdomain):
    messages, _ = order(pdomain, chosen("NT-HOME", "NT-HH5-PSU", "RT-5521"), None)
    assert responses(messages) == ["utter_parts_ordered"]
    assert messages[0]["destination"] == "your home"
    assert len(orders(standin_env, NIMBUS)) == 1
    assert consents() == []


# --- every spending path without consent orders nothing ----------------------------------------


def _grant(amount: float = 42.0, item: str = "VM-CPA-3", expires_in_s: float = 900) -> int:
    return services().memory.record_consent(
        "test-owner",
        PARTS_ORDER,
        "granted",
        provider="voltra-motors",
        amount=amount,
        currency="EUR",
        owner_words="yes",
        data={"item": item},
        expires_at=utc_now() + timedelta(seconds=expires_in_s),
    )


def test_forged_confirmed_slot_without_consent_orders_nothing(standin_env, pdomain):
    messages, slots = order(pdomain, chosen(), True)
    assert responses(messages) == ["utter_parts_needs_consent"]
    assert slots["pending_request"] is None
    assert orders(standin_env) == []


def test_expired_consent_orders_nothing(standin_env, pdomain):
    services()  # opens the store
    _grant(expires_in_s=-1)
    messages, _ = order(pdomain, chosen(), True)
    assert responses(messages) == ["utter_parts_needs_consent"]
    assert orders(standin_env) == []


@pytest.mark.parametrize(("amount", "item"), [(42.0, "VM-12V-45"), (40.0, "VM-CPA-3")])
def test_consent_for_another_item_or_amount_orders_nothing(standin_env, pdomain, amount, item):
    services()
    _grant(amount, item)
    messages, _ = order(pdomain, chosen(), True)
    assert responses(messages) == ["utter_parts_needs_consent"]
    assert orders(standin_env) == []


def test_consent_of_another_conversation_orders_nothing(standin_env, pdomain):
    services()
    _grant()
    messages, _ = order(pdomain, chosen(), True, sender_id="someone-else")
    assert responses(messages) == ["utter_parts_needs_consent"]
    assert orders(standin_env) == []


def test_a_used_consent_orders_nothing_more(standin_env, pdomain):
    services()
    _grant()
    assert responses(order(pdomain, chosen(), True)[0]) == ["utter_parts_ordered"]
    # The same slots in a later turn are a new request: the consent was used.
    messages, _ = order(pdomain, chosen(), True, ts=10.0)
    assert responses(messages) == ["utter_parts_needs_consent"]
    assert len(orders(standin_env)) == 1


def test_a_resend_of_a_different_request_orders_nothing(standin_env, pdomain):
    services()
    _grant()
    assert responses(order(pdomain, chosen(), True)[0]) == ["utter_parts_ordered"]
    forged = {
        "kind": "parts_order",
        "provider": "voltra-motors",
        "body": {"sku": "VM-CPA-3", "quantity": 1, "deliver_to_service_centre": "SC-BER-1"},
        "idempotency_key": "standin-another-request",
    }
    tracker = tracker_with(
        pdomain, "try again", "try_again", {"pending_request": forged}, active=False
    )
    messages, _ = run_action(ActionRetryPendingRequest(), tracker, pdomain)
    assert responses(messages) == ["utter_parts_needs_consent"]
    assert len(orders(standin_env)) == 1


# --- the desk down, refusals, accounts kept apart -----------------------------------------------


def test_a_5xx_keeps_the_request_and_try_again_orders_once(standin_env, pdomain):
    _, quote = ask(pdomain, chosen())
    answer(pdomain, chosen(), quote, "yes", "affirm")
    status, _, _ = standin_env.post("/_sim/faults", {"error_rate": 1.0})
    assert status == 200
    messages, slots = order(pdomain, chosen(), True)
    assert responses(messages) == ["utter_parts_order_not_sent"]
    pending = slots["pending_request"]
    assert pending["kind"] == "parts_order" and pending["idempotency_key"]
    standin_env.post("/_sim/faults", {})
    assert orders(standin_env) == []
    tracker = tracker_with(
        pdomain, "try again", "try_again", {"pending_request": pending}, active=False, ts=5.0
    )
    messages, events = run_action(ActionRetryPendingRequest(), tracker, pdomain)
    assert responses(messages) == ["utter_parts_ordered"]
    assert slot_events(events)["pending_request"] is None
    # A second resend of the same request is replayed by the desk, never a second order.
    messages, _ = run_action(ActionRetryPendingRequest(), tracker, pdomain)
    assert responses(messages) == ["utter_parts_ordered"]
    assert len(orders(standin_env)) == 1


def test_a_422_becomes_a_question(standin_env, pdomain):
    services()
    _grant()
    pending = {
        "kind": "parts_order",
        "provider": "voltra-motors",
        "device": CAR,
        "body": {"sku": "VM-CPA-3", "quantity": 1, "deliver_to_service_centre": "SC-NOWHERE"},
        "idempotency_key": "standin-bad-centre",
    }
    tracker = tracker_with(
        pdomain, "try again", "try_again", {"pending_request": pending}, active=False
    )
    messages, events = run_action(ActionRetryPendingRequest(), tracker, pdomain)
    assert responses(messages) == ["utter_parts_order_refused"]
    assert {"event": "active_loop", "name": FORM} in [
        {k: e.get(k) for k in ("event", "name")} for e in events if e["event"] == "active_loop"
    ]
    assert slot_events(events)["part_centre"] is None
    assert orders(standin_env) == []


def test_sams_orders_never_show_up_for_alex(standin_env, pdomain):
    status, _, sams = standin_env.post(
        "/v1/parts/orders",
        {"sku": "VM-BCP-35", "quantity": 1, "deliver_to_service_centre": "SC-BER-1"},
        key="sk-voltra-sam",
    )
    assert status == 201, sams
    svc = services()

    async def alex_orders() -> list:
        try:
            return await svc.desk.list_part_orders(VOLTRA, "voltra-motors")
        finally:
            await svc.desk.close()

    assert asyncio.run(alex_orders()) == []
    assert orders(standin_env) == []
    assert PartOrderCreate(sku="x").quantity == 1
