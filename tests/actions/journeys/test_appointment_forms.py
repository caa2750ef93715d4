"""The appointment forms' validation, run on real trackers against the real service desk."""

from __future__ import annotations

from actions.journeys.appointment_forms import (
    ValidateAppointmentForm,
    ValidateCancelAppointmentForm,
)
from tests.actions.conftest import responses, run_action, slot_events
from tests.actions.journeys.appointment_fixtures import (
    appointments,
    choose,
    form_tracker,
    show_slots,
    start_booking,
)


def test_only_a_missing_provider_is_asked_for(standin_env, domain):
    assert "appointment_provider" not in start_booking(domain, "book me an appointment")
    tracker = form_tracker(
        domain, "the telly", "inform", {}, "appointment_form", "appointment_provider"
    )
    messages, events = run_action(ValidateAppointmentForm(), tracker, domain)
    assert responses(messages) == ["utter_appointment_provider_unknown"]
    assert slot_events(events)["appointment_provider"] is None


def test_a_provider_without_appointments_is_refused(standin_env, domain):
    messages = run_action(
        ValidateAppointmentForm(),
        form_tracker(
            domain, "book a brightgrid appointment", "book_appointment", {}, "appointment_form"
        ),
        domain,
    )[0]
    assert responses(messages) == ["utter_no_appointments_at_provider"]


def test_the_owners_pick_is_resolved_against_the_desks_clock(standin_env, domain):
    _, offered = show_slots(domain, "homecare-appliances", "repair")
    # Home visits 09/11/13/15 Lisbon; the desk's "now" is Monday 09:00, so tomorrow is Tuesday.
    _, events = choose(domain, "tomorrow at 11", offered, "homecare-appliances")
    chosen = slot_events(events)["appointment_slot"]
    assert chosen == "SLOT-homecare-appliances-HC-HOME-202611241100"
    _, events = choose(domain, "the second", offered, "homecare-appliances")
    assert slot_events(events)["appointment_slot"] == offered[1]["slot_id"]


def test_an_unclear_pick_is_asked_again_and_nothing_is_guessed(standin_env, domain):
    _, offered = show_slots(domain, "homecare-appliances", "repair")
    messages, events = choose(domain, "tomorrow", offered, "homecare-appliances")
    assert responses(messages) == ["utter_slot_choice_unclear"]
    assert slot_events(events)["appointment_slot"] is None
    assert appointments(standin_env, "sk-homecare-demo") == []


def test_nothing_to_cancel_is_said_and_ends_the_form(standin_env, domain):
    tracker = form_tracker(
        domain, "cancel my appointment", "cancel_appointment", {}, "cancel_appointment_form"
    )
    messages, events = run_action(ValidateCancelAppointmentForm(), tracker, domain)
    assert responses(messages) == ["utter_no_appointments"]
    assert slot_events(events)["appointment_target"] == "none"
