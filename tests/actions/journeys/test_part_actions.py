"""Listing the parts that fit, and ordering one: exactly once with a yes, nothing with a no,
without asking within the standing limit."""

from __future__ import annotations

import asyncio

from actions.journeys.part_actions import ActionListParts
from actions.providers.desk_models import PartOrderCreate
from actions.runtime import services
from tests.actions.conftest import make_tracker, responses, run_action, slot_events
from tests.actions.journeys.part_fixtures import (
    NIMBUS,
    VOLTRA,
    answer,
    ask,
    chosen,
    consents,
    order,
    orders,
    set_limit,
    start,
)


def test_parts_that_fit_the_washing_machine_are_shown_with_price(standin_env, domain):
    tracker = make_tracker(domain, "what parts fit my washing machine", intent="list_parts")
    messages, events = run_action(ActionListParts(), tracker, domain)
    assert responses(messages) == ["utter_parts_list"]
    assert messages[0]["model"] == "WashPro 23"
    assert "Washing machine drain pump (HC-WP23-PUMP): 64.00 EUR" in messages[0]["parts"]
    assert "Inlet valve (HC-WP23-VALVE): 22.00 EUR" in messages[0]["parts"]
    assert "SEAL" not in messages[0]["parts"]
    assert slot_events(events)["part_device"] == "WM-23-9911"


def test_only_parts_for_the_cars_model(standin_env, domain):
    tracker = make_tracker(domain, "what parts fit my car", intent="list_parts")
    messages, _ = run_action(ActionListParts(), tracker, domain)
    assert messages[0]["model"] == "Voltra V3"
    assert "Charging port assembly (VM-CPA-3): 42.00 EUR" in messages[0]["parts"]


def test_which_device_when_none_is_named(standin_env, domain):
    tracker = make_tracker(domain, "what parts can I order", intent="list_parts")
    messages, _ = run_action(ActionListParts(), tracker, domain)
    assert responses(messages) == ["utter_parts_which_device"]


def test_a_yes_orders_exactly_once_to_the_right_centre(standin_env, domain):
    messages, quote = ask(domain, chosen())
    assert responses(messages) == ["utter_ask_part_order_confirmed"]
    assert messages[0]["sku"] == "VM-CPA-3"
    assert (messages[0]["amount"], messages[0]["currency"]) == ("42.00", "EUR")
    assert messages[0]["destination"] == "Voltra Lisbon (SC-LIS-1)"
    assert answer(domain, chosen(), quote, "yes order it", "affirm") == {
        "part_order_confirmed": True
    }
    (consent,) = consents()
    assert consent["decision"] == "granted"
    assert consent["owner_words"] == "yes order it"
    assert (consent["amount"], consent["currency"]) == (42.0, "EUR")
    assert consent["data"]["item"] == "VM-CPA-3" and consent["used_at"] is None

    messages, slots = order(domain, chosen(), True)
    assert responses(messages) == ["utter_parts_ordered"]
    assert (messages[0]["amount"], messages[0]["currency"]) == ("42.00", "EUR")
    assert messages[0]["destination"] == "Voltra Lisbon (SC-LIS-1)"
    (placed,) = orders(standin_env)
    assert messages[0]["order_id"] == placed["id"]
    assert placed["sku"] == "VM-CPA-3" and placed["deliver_to_service_centre"] == "SC-LIS-1"
    assert slots["pending_request"] is None
    assert services().memory.order("voltra-motors", placed["id"])["sku"] == "VM-CPA-3"
    assert consents()[0]["used_by"] is not None


def test_a_no_orders_nothing(standin_env, domain):
    _, quote = ask(domain, chosen())
    assert answer(domain, chosen(), quote, "no dont", "deny") == {"part_order_confirmed": False}
    messages, _ = order(domain, chosen(), False)
    assert responses(messages) == ["utter_parts_not_ordered"]
    assert orders(standin_env) == []
    assert [c["decision"] for c in consents()] == ["refused"]


def test_within_the_standing_limit_it_orders_without_asking(standin_env, domain):
    set_limit(domain, "set my spending limit to 50 euros")
    _, slots = start(domain, "order a new charging port for my car to lisbon")
    assert slots["part_centre"] == "SC-LIS-1"
    assert slots["requested_slot"] is None  # nothing left to ask: no consent question
    messages, _ = order(domain, chosen(), None)
    assert responses(messages) == ["utter_parts_ordered", "utter_parts_within_limit"]
    assert messages[1]["limit"] == "50.00"
    assert len(orders(standin_env)) == 1
    (consent,) = consents()
    assert consent["decision"] == "within_limit" and consent["used_by"]


def test_a_free_part_needs_no_consent(standin_env, domain):
    messages, _ = order(domain, chosen("NT-HOME", "NT-HH5-PSU", "RT-5521"), None)
    assert responses(messages) == ["utter_parts_ordered"]
    assert messages[0]["destination"] == "your home"
    assert len(orders(standin_env, NIMBUS)) == 1
    assert consents() == []


def test_sams_orders_never_show_up_for_alex(standin_env, domain):
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
