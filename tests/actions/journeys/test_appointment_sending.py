"""Sending an appointment request: a slot taken meanwhile, a desk that is down, "try again"."""

from __future__ import annotations

from actions.journeys.appointment_actions import (
    ActionBookAppointment,
)
from actions.journeys.try_again import ActionRetryPendingRequest
from tests.actions.conftest import make_tracker, responses, run_action, slot_events
from tests.actions.journeys.appointment_fixtures import (
    appointments,
    book_tracker,
    show_slots,
)


def test_a_slot_taken_meanwhile_shows_fresh_slots_and_books_nothing(standin_env, domain):
    _, offered = show_slots(domain, "voltra-motors", "repair")
    taken = offered[0]["slot_id"]
    status, _, body = standin_env.post(f"/_sim/slots/{taken}/take", {})
    assert status in (200, 201), body
    messages, events = run_action(
        ActionBookAppointment(), book_tracker(domain, offered, taken), domain
    )
    assert responses(messages) == ["utter_appointment_slot_taken", "utter_ask_appointment_slot"]
    assert appointments(standin_env) == []
    slots = slot_events(events)
    assert taken not in [s["slot_id"] for s in slots["appointment_offered"]]
    assert slots["appointment_slot"] is None and slots["requested_slot"] == "appointment_slot"
    assert {"event": "active_loop", "name": "appointment_form"} in [
        {k: e.get(k) for k in ("event", "name")} for e in events
    ]


def test_desk_down_keeps_the_booking_and_try_again_books_exactly_once(standin_env, domain):
    _, offered = show_slots(domain, "voltra-motors", "repair")
    standin_env.post("/_sim/faults", {"error_rate": 1.0})
    try:
        messages, events = run_action(
            ActionBookAppointment(), book_tracker(domain, offered, offered[0]["slot_id"]), domain
        )
    finally:
        standin_env.post("/_sim/faults", {})
    assert responses(messages) == ["utter_appointment_book_not_sent"]
    pending = slot_events(events)["pending_request"]
    assert pending["kind"] == "appointment" and pending["op"] == "book"
    assert appointments(standin_env) == []
    retry = make_tracker(domain, "try again", "try_again", slots={"pending_request": pending})
    messages, events = run_action(ActionRetryPendingRequest(), retry, domain)
    assert responses(messages) == ["utter_appointment_booked"]
    assert slot_events(events)["pending_request"] is None
    run_action(ActionRetryPendingRequest(), retry, domain)  # a second resend of the same
    assert len(appointments(standin_env)) == 1
