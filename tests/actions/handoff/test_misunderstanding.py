"""Two misunderstandings in a row offer the owner to take over, naming the open case."""

from __future__ import annotations

import asyncio

from actions import runtime
from actions.handoff.misunderstanding import (
    ActionHandleMisunderstanding,
    misunderstandings_in_a_row,
)
from tests.actions.conftest import make_tracker, responses, run_action


def not_understood(domain, times: int, sender: str = "owner-x"):
    tracker = make_tracker(domain, "blorp", intent="nlu_fallback", sender_id=sender)
    tracker.events[-1]["parse_data"]["intent"] = {"name": "nlu_fallback"}
    for i in range(times - 1):
        tracker.events.insert(
            0,
            {
                "event": "user",
                "text": f"zork {i}",
                "parse_data": {"intent": {"name": "nlu_fallback"}},
            },
        )
    return tracker


def test_counting_stops_at_an_understood_message(domain):
    tracker = not_understood(domain, 2)
    assert misunderstandings_in_a_row(tracker) == 2
    tracker.events.insert(
        len(tracker.events) - 1,
        {"event": "user", "text": "hi", "parse_data": {"intent": {"name": "greet"}}},
    )
    assert misunderstandings_in_a_row(tracker) == 1


def test_first_misunderstanding_reprompts(standin_env, domain):
    messages, _ = run_action(ActionHandleMisunderstanding(), not_understood(domain, 1), domain)
    assert responses(messages) == ["utter_default"]


def test_second_offers_a_handoff_with_the_open_case(standin_env, domain):
    messages, _ = run_action(ActionHandleMisunderstanding(), not_understood(domain, 2), domain)
    assert responses(messages) == ["utter_misunderstood_twice"]

    ticket = {
        "id": "TCK-MEMO1",
        "provider": "nimbus-telecom",
        "category": "internet",
        "summary": "Internet drops",
        "status": "in_progress",
        "created_at": "2026-11-23T09:00:00Z",
        "updated_at": "2026-11-23T09:20:00Z",
    }
    memory = runtime.services().memory
    asyncio.run(asyncio.to_thread(memory.upsert_case_from_ticket, ticket, "owner-x"))
    messages, _ = run_action(ActionHandleMisunderstanding(), not_understood(domain, 2), domain)
    assert responses(messages) == ["utter_misunderstood_twice_with_case"]
    assert messages[0]["ticket_id"] == "TCK-MEMO1" and messages[0]["status"] == "in progress"
