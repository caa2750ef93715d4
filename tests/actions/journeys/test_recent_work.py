"""Right after Stand-in did something, "cancel it" means that (journeys/recent_work.py)."""

import pytest

from actions.journeys.recent_work import ActionStopWithNothingRunning, newest_work
from tests.actions.conftest import make_tracker, responses, run_action


def tracker_after(domain, text, *done):
    """The owner says `text` (read as stop) after the slot events `done` (name, value)."""
    tracker = make_tracker(domain, text, intent="stop")
    earlier = [{"event": "slot", "name": n, "value": v, "timestamp": 1.0} for n, v in done]
    tracker.events[:0] = earlier
    return tracker


@pytest.mark.parametrize(
    "done, intent",
    [
        ([("last_appointment_id", "APT-1")], "cancel_appointment"),
        ([("last_ticket_id", "TCK-1")], "cancel_case"),
        # The newest of the two is meant.
        ([("last_appointment_id", "APT-1"), ("last_ticket_id", "TCK-1")], "cancel_case"),
        ([("last_ticket_id", "TCK-1"), ("last_appointment_id", "APT-1")], "cancel_appointment"),
    ],
)
def test_cancel_it_goes_to_the_newest_works_cancel_journey(standin_env, domain, done, intent):
    tracker = tracker_after(domain, "cancel it", *done)
    messages, events = run_action(ActionStopWithNothingRunning(), tracker, domain)
    assert messages == []  # the cancel journey reads it back and asks before anything is sent
    listen, again = events
    assert listen["name"] == "action_listen"
    assert again["text"] == "cancel it"
    assert again["parse_data"]["intent"]["name"] == intent
    assert again["message_id"] == tracker.latest_message["message_id"]


@pytest.mark.parametrize(
    "text, done",
    [
        ("cancel it", []),  # nothing done in this conversation
        ("stop", [("last_ticket_id", "TCK-1")]),  # no word undoes anything
        ("cancel it", [("last_ticket_id", None)]),
    ],
)
def test_otherwise_there_is_nothing_to_stop(standin_env, domain, text, done):
    tracker = tracker_after(domain, text, *done)
    messages, events = run_action(ActionStopWithNothingRunning(), tracker, domain)
    assert responses(messages) == ["utter_nothing_to_stop"]
    assert events == []


def test_newest_work_skips_cleared_slots(domain):
    tracker = tracker_after(domain, "x", ("last_ticket_id", "TCK-1"), ("last_appointment_id", None))
    assert newest_work(tracker) == ("last_ticket_id", "TCK-1")
