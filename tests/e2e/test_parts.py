"""Parts end to end: the owner's words in, a part order at the desk only with consent for money.

Runs once the parts domain fragment is merged and the model retrained."""

from __future__ import annotations

from launcher.conversation import say

VOLTRA = "sk-voltra-demo"
HOMECARE = "sk-homecare-demo"


def orders(desk, key: str = VOLTRA) -> list[dict]:
    status, _, body = desk.get("/v1/parts/orders", key=key)
    assert status == 200, body
    return body["orders"]


def test_parts_that_fit_are_shown_with_price(stack, stack_desk):
    replies = say(stack.config.rasa_url, "e2e-parts-1", "what parts fit my washing machine?")
    shown = " ".join(replies)
    assert "HC-WP23-PUMP" in shown and "64.00 EUR" in shown, replies
    assert "HC-FR88-SEAL" not in shown, replies
    assert orders(stack_desk, HOMECARE) == []


def test_a_yes_orders_once_to_the_centre_a_no_orders_nothing(stack, stack_desk):
    sender = "e2e-parts-2"
    replies = say(stack.config.rasa_url, sender, "order a new charging port for my car")
    assert any("Lisbon, Istanbul or Berlin" in r for r in replies), replies
    replies = say(stack.config.rasa_url, sender, "lisbon")
    question = " ".join(replies)
    assert "VM-CPA-3" in question and "42.00 EUR" in question and "Lisbon" in question, replies
    assert orders(stack_desk) == []  # asked, never ordered without the yes
    replies = say(stack.config.rasa_url, sender, "yes")
    [order] = orders(stack_desk)
    assert order["sku"] == "VM-CPA-3" and order["deliver_to_service_centre"] == "SC-LIS-1"
    assert order["id"] in " ".join(replies), replies

    sender = "e2e-parts-3"
    replies = say(stack.config.rasa_url, sender, "I need a door seal for the fridge")
    assert any("29.50 EUR" in r for r in replies), replies
    replies = say(stack.config.rasa_url, sender, "no")
    assert orders(stack_desk, HOMECARE) == [], replies


def test_within_the_standing_limit_it_orders_without_asking(stack, stack_desk):
    sender = "e2e-parts-4"
    say(stack.config.rasa_url, sender, "set my spending limit to 50 euros")
    replies = say(stack.config.rasa_url, sender, "order the inlet valve for my washing machine")
    [order] = orders(stack_desk, HOMECARE)
    assert order["sku"] == "HC-WP23-VALVE"
    assert order["id"] in " ".join(replies), replies
    assert any("spending limit" in r for r in replies), replies


def test_desk_down_keeps_the_order_and_try_again_orders_once(stack, stack_desk):
    sender = "e2e-parts-5"
    say(stack.config.rasa_url, sender, "order a drain pump for the washing machine")
    stack_desk.post("/_sim/faults", {"error_rate": 1.0})
    replies = say(stack.config.rasa_url, sender, "yes")
    stack_desk.post("/_sim/faults", {})
    assert any("did NOT go through" in r for r in replies), replies
    assert orders(stack_desk, HOMECARE) == []
    replies = say(stack.config.rasa_url, sender, "try again")
    [order] = orders(stack_desk, HOMECARE)
    assert order["sku"] == "HC-WP23-PUMP" and order["id"] in " ".join(replies), replies
