"""The appointment forms' questions: which company, which slot."""

from __future__ import annotations

from actions.journeys.appointment_questions import (
    ActionAskAppointmentProvider,
)
from tests.actions.conftest import responses, run_action
from tests.actions.journeys.appointment_fixtures import (
    form_tracker,
    show_slots,
)


def test_the_provider_question_names_what_each_company_books(standin_env, domain):
    tracker = form_tracker(domain, "", "book_appointment", {}, "appointment_form")
    messages, _ = run_action(ActionAskAppointmentProvider(), tracker, domain)
    assert responses(messages) == ["utter_ask_appointment_provider"]
    assert messages[0]["offers"] == (
        "a technician visit with Nimbus Telecom (home router), a repair with Voltra Motors (car)"
        " or a repair with HomeCare Appliances (fridge, washing machine)"
    )


def test_up_to_five_slots_are_shown_in_the_owners_time_zone_with_locations(standin_env, domain):
    messages, offered = show_slots(domain, "voltra-motors", "repair")
    assert responses(messages) == ["utter_ask_appointment_slot"]
    assert len(offered) == 5
    lines = messages[0]["slots"].splitlines()
    assert len(lines) == 5 and lines[0].startswith("1. ")
    # Berlin 11:00 local is 10:00 UTC, and Lisbon (the owner's zone) is UTC+0 in November.
    berlin = next(s for s in offered if s["city"] == "Berlin")
    assert berlin["start"].startswith("2026-11-23T10:00")
    line = lines[offered.index(berlin)]
    assert "Mon 23 Nov, 10:00-12:00" in line and "Berlin" in line
    assert all(s["start"] >= "2026-11-23T09:00" for s in offered)
