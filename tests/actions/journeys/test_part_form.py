"""`part_order_form`'s validation: device, part and destination from the words and the directory,
and the owner's yes taken only on their own channel."""

from __future__ import annotations

import asyncio

import pytest

from actions.journeys.part_form import ValidatePartOrderForm
from tests.actions.conftest import responses, run_action, slot_events
from tests.actions.journeys.part_fixtures import (
    CAR,
    answer,
    ask,
    book_voltra,
    chosen,
    consents,
    order,
    orders,
    set_limit,
    start,
    tracker_with,
)
from tests.actions.sixth_company import (  # noqa: F401 (sixth_desk, sixth_env: fixtures)
    BOILER,
    sixth_desk,
    sixth_env,
    the_desk,
)
from tests.actions.sixth_company import KEY as HEARTHWISE


def test_the_form_finds_device_part_and_booked_centre(standin_env, domain):
    appt = book_voltra(standin_env, "SC-IST-1")
    _, slots = start(domain, "order a new charging port for my car")
    assert slots["part_device"] == CAR
    assert slots["part_sku"] == "VM-CPA-3"
    assert slots["part_centre"] == "SC-IST-1"
    assert slots["part_quote"]["total"] == 42.0
    assert "requested_slot" not in slots  # the consent question comes next (domain order)
    # And the part is linked to that appointment once ordered.
    quote = ask(domain, chosen("SC-IST-1"))[1]
    assert answer(domain, chosen("SC-IST-1"), quote, "yes", "affirm")["part_order_confirmed"]
    messages, _ = order(domain, chosen("SC-IST-1"), True)
    assert responses(messages) == ["utter_parts_ordered"]
    (placed,) = orders(standin_env)
    assert placed["appointment_id"] == appt
    assert placed["deliver_to_service_centre"] == "SC-IST-1"


def test_without_an_appointment_the_owner_picks_a_centre(standin_env, domain):
    _, slots = start(domain, "i need a door seal for the fridge")
    assert slots["part_device"] == "FR-88-2210"
    assert slots["part_sku"] == "HC-FR88-SEAL"
    assert slots["part_centre"] == "HC-HOME"
    _, slots = start(domain, "order a charging port for the car")
    assert "part_centre" not in slots
    _, slots = start(
        domain,
        "berlin please",
        "inform",
        slots={"part_device": CAR, "part_sku": "VM-CPA-3"},
        requested="part_centre",
    )
    assert slots["part_centre"] == "SC-BER-1"


@pytest.mark.usefixtures("sixth_env")
def test_at_a_sixth_company_the_part_goes_where_its_directory_entry_says(domain):
    """No code names Hearthwise: its parts go to its `parts_delivery` place, as HomeCare's do."""
    _, slots = start(domain, "order an ignition electrode for my boiler")
    assert slots["part_device"] == BOILER
    assert slots["part_sku"] == "HW-C30-IGN"
    assert slots["part_centre"] == "HW-HOME"
    picked = {"part_device": BOILER, "part_sku": "HW-C30-IGN", "part_centre": "HW-HOME"}
    messages, quote = ask(domain, picked)
    assert messages[0]["amount"] == "18.50" and messages[0]["destination"] == "your home"
    assert answer(domain, picked, quote, "yes", "affirm") == {"part_order_confirmed": True}
    messages, _ = order(domain, picked, True)
    assert responses(messages) == ["utter_parts_ordered"]
    (placed,) = orders(the_desk(), HEARTHWISE)
    assert placed["sku"] == "HW-C30-IGN" and placed["deliver_to_service_centre"] == "HW-HOME"
    assert placed["appointment_id"] is None


def test_a_yes_that_did_not_come_on_the_owners_own_channel_grants_nothing(standin_env, domain):
    """A yes through a channel that did not check the owner's token (socket.io, a stock
    channel), or one whose stamp was copied from another message, records no consent: the
    form asks again, and nothing can be ordered."""
    _, quote = ask(domain, chosen())
    tracker = tracker_with(
        domain,
        "yes order it",
        "affirm",
        {**chosen(), "part_quote": quote},
        requested="part_order_confirmed",
        ts=2.0,
        stamped=False,
    )
    messages, events = run_action(ValidatePartOrderForm(), tracker, domain)
    assert "utter_consent_needs_owner_channel" in responses(messages)
    assert slot_events(events).get("part_order_confirmed") is None
    assert consents() == []
    # A stamp made for another message (its id) does not carry over to this one.
    stamped = tracker_with(
        domain,
        "yes",
        "affirm",
        {**chosen(), "part_quote": quote},
        requested="part_order_confirmed",
    )
    tracker.latest_message["metadata"] = stamped.latest_message["metadata"]
    run_action(ValidatePartOrderForm(), tracker, domain)
    assert consents() == []
    messages, _ = order(domain, chosen(), True)
    assert orders(standin_env) == []
    # A no is taken from anywhere: refusing can only keep money where it is.
    assert answer(domain, chosen(), quote, "no", "deny", stamped=False) == {
        "part_order_confirmed": False
    }


def test_other_words_while_asked_record_nothing(standin_env, domain):
    _, quote = ask(domain, chosen())
    assert answer(domain, chosen(), quote, "what is the weather", "out_of_scope") == {}
    assert consents() == []


def test_above_the_limit_it_asks(standin_env, domain):
    set_limit(domain, "set my spending limit to 30 euros")
    _, slots = start(domain, "order a new charging port for my car to lisbon")
    assert "requested_slot" not in slots  # the form goes on to the consent question
    tracker = tracker_with(
        domain, "", "order_part", {**chosen(), "part_quote": slots["part_quote"]}
    )
    required = asyncio.run(
        ValidatePartOrderForm().required_slots(
            ["part_device", "part_sku", "part_centre", "part_order_confirmed"],
            None,
            tracker,
            domain,
        )
    )
    assert "part_order_confirmed" in required
    messages, _ = order(domain, chosen(), None)
    assert responses(messages) == ["utter_parts_needs_consent"]
    assert orders(standin_env) == []


def test_another_part_named_at_the_price_question_is_asked_about_before_any_yes(
    standin_env, domain
):
    # "wait, make that the battery coolant pump instead", said to the price of the charging
    # port: the pump becomes the part, and the question comes again with its price; a "no"
    # or "yes" in the same words is not taken for the old part.
    _, quote = ask(domain, chosen())
    for intent in ("order_part", "deny", "affirm"):
        slots = answer(
            domain, chosen(), quote, "wait, make that the battery coolant pump instead", intent
        )
        assert slots["part_sku"] == "VM-BCP-35", intent
        assert slots.get("part_order_confirmed") is None, intent
        assert slots["part_quote"]["sku"] == "VM-BCP-35"
    assert consents() == []
    # Naming the part already chosen is no change: the yes is that part's.
    same = answer(domain, chosen(), quote, "yes, the charging port assembly", "affirm")
    assert same["part_order_confirmed"] is True
