"""`part_order_form`'s questions, from the company's directory entry."""

from __future__ import annotations

from actions.journeys.part_questions import ActionAskPartCentre
from tests.actions.conftest import responses, run_action
from tests.actions.journeys.part_fixtures import (
    CAR,
    start,
    tracker_with,
)


def test_the_centre_question_names_the_companys_centres_from_the_directory(standin_env, domain):
    tracker = tracker_with(
        domain, "", "order_part", {"part_device": CAR, "part_sku": "VM-CPA-3"}, "part_centre"
    )
    messages, events = run_action(ActionAskPartCentre(), tracker, domain)
    assert responses(messages) == ["utter_ask_part_centre"] and events == []
    assert messages[0]["provider_name"] == "Voltra"
    assert messages[0]["centres"] == "Lisbon, Istanbul or Berlin"
    _, slots = start(
        domain,
        "to the moon",
        "inform",
        slots={"part_device": CAR, "part_sku": "VM-CPA-3"},
        requested="part_centre",
    )
    assert "part_centre" not in slots
    messages, _ = start(
        domain,
        "to the moon",
        "inform",
        slots={"part_device": CAR, "part_sku": "VM-CPA-3"},
        requested="part_centre",
    )
    [unknown] = [m for m in messages if m["response"] == "utter_parts_centre_unknown"]
    assert (
        unknown["centres"] == "Lisbon, Istanbul and Berlin" and unknown["answer"] == "to the moon"
    )
