"""Sending a parts order: every spending path without consent orders nothing; a desk that is
down keeps the order for "try again", a refusal of the destination asks again."""

from __future__ import annotations

import pytest

from actions.journeys.try_again import ActionRetryPendingRequest
from actions.runtime import services
from tests.actions.conftest import responses, run_action, slot_events
from tests.actions.journeys.part_fixtures import (
    CAR,
    FORM,
    answer,
    ask,
    chosen,
    grant,
    order,
    orders,
    tracker_with,
)


def test_forged_confirmed_slot_without_consent_orders_nothing(standin_env, domain):
    messages, slots = order(domain, chosen(), True)
    assert responses(messages) == ["utter_parts_needs_consent"]
    assert slots["pending_request"] is None
    assert orders(standin_env) == []


def test_expired_consent_orders_nothing(standin_env, domain):
    services()  # opens the store
    grant(expires_in_s=-1)
    messages, _ = order(domain, chosen(), True)
    assert responses(messages) == ["utter_parts_needs_consent"]
    assert orders(standin_env) == []


@pytest.mark.parametrize(("amount", "item"), [(42.0, "VM-12V-45"), (40.0, "VM-CPA-3")])
def test_consent_for_another_item_or_amount_orders_nothing(standin_env, domain, amount, item):
    services()
    grant(amount, item)
    messages, _ = order(domain, chosen(), True)
    assert responses(messages) == ["utter_parts_needs_consent"]
    assert orders(standin_env) == []


def test_consent_of_another_conversation_orders_nothing(standin_env, domain):
    services()
    grant()
    messages, _ = order(domain, chosen(), True, sender_id="someone-else")
    assert responses(messages) == ["utter_parts_needs_consent"]
    assert orders(standin_env) == []


def test_a_used_consent_orders_nothing_more(standin_env, domain):
    services()
    grant()
    assert responses(order(domain, chosen(), True)[0]) == ["utter_parts_ordered"]
    # The same slots in a later turn are a new request: the consent was used.
    messages, _ = order(domain, chosen(), True, ts=10.0)
    assert responses(messages) == ["utter_parts_needs_consent"]
    assert len(orders(standin_env)) == 1


def test_a_resend_of_a_different_request_orders_nothing(standin_env, domain):
    services()
    grant()
    assert responses(order(domain, chosen(), True)[0]) == ["utter_parts_ordered"]
    forged = {
        "kind": "parts_order",
        "provider": "voltra-motors",
        "body": {"sku": "VM-CPA-3", "quantity": 1, "deliver_to_service_centre": "SC-BER-1"},
        "idempotency_key": "standin-another-request",
    }
    tracker = tracker_with(
        domain, "try again", "try_again", {"pending_request": forged}, active=False
    )
    messages, _ = run_action(ActionRetryPendingRequest(), tracker, domain)
    assert responses(messages) == ["utter_parts_needs_consent"]
    assert len(orders(standin_env)) == 1


def test_a_5xx_keeps_the_request_and_try_again_orders_once(standin_env, domain):
    _, quote = ask(domain, chosen())
    answer(domain, chosen(), quote, "yes", "affirm")
    status, _, _ = standin_env.post("/_sim/faults", {"error_rate": 1.0})
    assert status == 200
    messages, slots = order(domain, chosen(), True)
    assert responses(messages) == ["utter_parts_order_not_sent"]
    pending = slots["pending_request"]
    assert pending["kind"] == "parts_order" and pending["idempotency_key"]
    standin_env.post("/_sim/faults", {})
    assert orders(standin_env) == []
    tracker = tracker_with(
        domain, "try again", "try_again", {"pending_request": pending}, active=False, ts=5.0
    )
    messages, events = run_action(ActionRetryPendingRequest(), tracker, domain)
    assert responses(messages) == ["utter_parts_ordered"]
    assert slot_events(events)["pending_request"] is None
    # A second resend of the same request is replayed by the desk, never a second order.
    messages, _ = run_action(ActionRetryPendingRequest(), tracker, domain)
    assert responses(messages) == ["utter_parts_ordered"]
    assert len(orders(standin_env)) == 1


def test_a_422_becomes_a_question(standin_env, domain):
    services()
    grant()
    pending = {
        "kind": "parts_order",
        "provider": "voltra-motors",
        "device": CAR,
        "body": {"sku": "VM-CPA-3", "quantity": 1, "deliver_to_service_centre": "SC-NOWHERE"},
        "idempotency_key": "standin-bad-centre",
    }
    tracker = tracker_with(
        domain, "try again", "try_again", {"pending_request": pending}, active=False
    )
    messages, events = run_action(ActionRetryPendingRequest(), tracker, domain)
    assert responses(messages) == ["utter_parts_order_refused"]
    assert {"event": "active_loop", "name": FORM} in [
        {k: e.get(k) for k in ("event", "name")} for e in events if e["event"] == "active_loop"
    ]
    assert slot_events(events)["part_centre"] is None
    assert orders(standin_env) == []
