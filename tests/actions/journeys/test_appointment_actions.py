"""Booking, moving, cancelling and listing appointments at the real service desk."""

from __future__ import annotations

import pytest

from actions.journeys.appointment_actions import (
    ActionBookAppointment,
    ActionCancelAppointment,
    ActionListAppointments,
    ActionRescheduleAppointment,
)
from actions.journeys.appointment_forms import (
    ValidateRescheduleAppointmentForm,
)
from actions.journeys.appointment_questions import (
    ActionAskAppointmentProvider,
    ActionAskAppointmentSlot,
)
from actions.runtime import services
from tests.actions.conftest import make_tracker, responses, run_action, slot_events
from tests.actions.journeys.appointment_fixtures import (
    VOLTRA,
    appointments,
    book_first,
    book_tracker,
    cancel_tracker,
    choose,
    form_tracker,
    show_slots,
    start_booking,
)
from tests.actions.journeys.case_fixtures import desk_tickets
from tests.actions.sixth_company import (  # noqa: F401 (sixth_desk, sixth_env: fixtures)
    KEY,
    PROVIDER,
    sixth_desk,
    sixth_env,
    the_desk,
)


@pytest.mark.usefixtures("sixth_env")
def test_a_sixth_company_is_offered_inferred_and_booked_with_no_code(domain):
    tracker = form_tracker(domain, "", "book_appointment", {}, "appointment_form")
    messages, _ = run_action(ActionAskAppointmentProvider(), tracker, domain)
    assert messages[0]["offers"].endswith(" or a boiler service with Hearthwise Heating (boiler)")
    slots = start_booking(domain, "the boiler needs its yearly service")
    assert slots["appointment_provider"] == PROVIDER
    assert slots["appointment_service"] == "boiler_service"
    messages, offered = show_slots(domain, PROVIDER, "boiler_service")
    assert responses(messages) == ["utter_ask_appointment_slot"] and offered
    assert offered[0]["location"] == "Home visit"
    tracker = make_tracker(
        domain,
        "the first",
        "choose_slot",
        slots={
            "appointment_provider": PROVIDER,
            "appointment_service": "boiler_service",
            "appointment_offered": offered,
            "appointment_slot": offered[0]["slot_id"],
        },
    )
    messages, _ = run_action(ActionBookAppointment(), tracker, domain)
    assert responses(messages) == ["utter_appointment_booked"]
    [appt] = appointments(the_desk(), KEY)
    assert appt["service"] == "boiler_service" and appt["slot_id"] == offered[0]["slot_id"]


def test_booking_leaves_exactly_one_appointment_and_confirms_it(standin_env, domain):
    _, offered = show_slots(domain, "voltra-motors", "repair")
    tracker = book_tracker(domain, offered, offered[1]["slot_id"], "the second")
    messages, events = run_action(ActionBookAppointment(), tracker, domain)
    [appt] = appointments(standin_env)
    assert appt["slot_id"] == offered[1]["slot_id"] and appt["service"] == "repair"
    assert responses(messages) == ["utter_appointment_booked"]
    assert messages[0]["appointment_id"] == appt["id"]
    assert messages[0]["location"] == appt["location"]["name"] and messages[0]["when"]
    assert slot_events(events)["pending_request"] is None
    assert services().memory.appointment("voltra-motors", appt["id"])["status"] == "booked"
    again, _ = run_action(ActionBookAppointment(), tracker, domain)  # the same turn again
    assert again[0]["appointment_id"] == appt["id"]
    assert len(appointments(standin_env)) == 1


def test_booking_is_linked_to_an_open_ticket_with_that_provider(standin_env, domain):
    status, _, ticket = standin_env.post(
        "/v1/tickets",
        {
            "provider": "voltra-motors",
            "category": "repairs",
            "summary": "brakes squeak",
            "description": "the brakes squeak",
            "severity": "normal",
            "on_behalf_of": {"name": "Alex Morgan"},
        },
        key=VOLTRA,
    )
    assert status == 201, ticket
    services().memory.upsert_case_from_ticket(ticket)
    _, offered = show_slots(domain, "voltra-motors", "repair")
    tracker = book_tracker(domain, offered, offered[0]["slot_id"])
    messages, _ = run_action(ActionBookAppointment(), tracker, domain)
    [appt] = appointments(standin_env)
    assert appt["ticket_id"] == ticket["id"]
    assert responses(messages) == ["utter_appointment_booked", "utter_appointment_linked_to_ticket"]


def test_reschedule_moves_the_appointment_at_the_desk(standin_env, domain):
    first = book_first(domain)
    tracker = form_tracker(
        domain,
        "move my appointment to another day",
        "reschedule_appointment",
        {},
        "reschedule_appointment_form",
    )
    _, events = run_action(ValidateRescheduleAppointmentForm(), tracker, domain)
    slots = slot_events(events)
    [appt] = appointments(standin_env)
    assert slots["appointment_target"] == appt["id"]  # the only one: no need to ask
    choices = slots["appointment_choices"]
    _, offered = show_slots(domain, "voltra-motors", "repair")
    assert first["slot_id"] not in [s["slot_id"] for s in offered]
    _, events = choose(domain, "the third", offered, form="reschedule_appointment_form")
    new_slot = slot_events(events)["appointment_slot"]
    tracker = make_tracker(
        domain,
        "the third",
        "choose_slot",
        slots={
            "appointment_target": appt["id"],
            "appointment_choices": choices,
            "appointment_offered": offered,
            "appointment_slot": new_slot,
        },
    )
    messages, _ = run_action(ActionRescheduleAppointment(), tracker, domain)
    assert responses(messages) == ["utter_appointment_rescheduled"]
    [moved] = appointments(standin_env)
    assert moved["id"] == appt["id"] and moved["slot_id"] == offered[2]["slot_id"]


def test_cancel_after_yes_cancels_at_the_desk(standin_env, domain):
    book_first(domain)
    messages, _ = run_action(ActionCancelAppointment(), cancel_tracker(domain, True), domain)
    assert responses(messages) == ["utter_appointment_cancelled"]
    [appt] = appointments(standin_env)
    assert appt["status"] == "cancelled"


def test_cancel_without_yes_changes_nothing(standin_env, domain):
    book_first(domain)
    for confirmed in (False, None):
        messages, _ = run_action(
            ActionCancelAppointment(), cancel_tracker(domain, confirmed), domain
        )
        assert responses(messages) == ["utter_appointment_kept"]
    [appt] = appointments(standin_env)
    assert appt["status"] == "booked"


def test_a_forged_yes_slot_without_the_owners_yes_cancels_nothing(standin_env, domain):
    book_first(domain)
    tracker = cancel_tracker(domain, True)
    tracker.latest_message["intent"] = {"name": "whats_new", "confidence": 1.0}
    messages, _ = run_action(ActionCancelAppointment(), tracker, domain)
    assert responses(messages) == ["utter_needs_explicit_yes"]
    [appt] = appointments(standin_env)
    assert appt["status"] == "booked"


def test_sams_appointments_never_show_up_for_alex(standin_env, domain):
    status, _, body = standin_env.get("/v1/appointments/slots", key="sk-voltra-sam")
    assert status == 200, body
    slot_id = body["slots"][0]["slot_id"]
    status, _, sams = standin_env.post(
        "/v1/appointments", {"slot_id": slot_id}, key="sk-voltra-sam"
    )
    assert status == 201, sams
    tracker = make_tracker(domain, "what appointments do I have", "list_appointments")
    messages, _ = run_action(ActionListAppointments(), tracker, domain)
    assert responses(messages) == ["utter_no_appointments"]
    book_first(domain)
    messages, _ = run_action(ActionListAppointments(), tracker, domain)
    assert responses(messages) == ["utter_appointments_list"]
    assert sams["id"] not in messages[0]["appointments"]
    assert len(messages[0]["appointments"].splitlines()) == 1


HOMECARE_KEY = "sk-homecare-demo"


def test_a_visit_asked_for_a_fault_reports_the_fault_first_and_goes_with_it(standin_env, domain):
    # Issue 15, observed: "can you get a technician out for my washing machine? it won't
    # drain" must give the company the fault (a ticket) and the visit, in that order.
    text = "can you get a technician out for my washing machine? it won't drain"
    slots = start_booking(domain, text)
    assert slots["appointment_provider"] == "homecare-appliances"
    assert slots["appointment_fault"] == text
    _, offered = show_slots(domain, "homecare-appliances", slots["appointment_service"])
    tracker = make_tracker(
        domain,
        "the first slot please",
        "choose_slot",
        slots={**slots, "appointment_offered": offered, "appointment_slot": offered[0]["slot_id"]},
    )
    messages, events = run_action(ActionBookAppointment(), tracker, domain)
    assert responses(messages) == [
        "utter_ticket_opened",
        "utter_ticket_next_steps",
        "utter_appointment_booked",
        "utter_appointment_linked_to_ticket",
    ]
    [ticket] = desk_tickets(standin_env, HOMECARE_KEY)
    assert ticket["category"] == "repair" and ticket["description"] == text
    [appt] = appointments(standin_env, HOMECARE_KEY)
    assert appt["ticket_id"] == ticket["id"]
    assert slot_events(events)["last_appointment_id"] == appt["id"]
    again, _ = run_action(ActionBookAppointment(), tracker, domain)  # the same turn again
    assert len(desk_tickets(standin_env, HOMECARE_KEY)) == 1
    assert len(appointments(standin_env, HOMECARE_KEY)) == 1


@pytest.mark.parametrize(
    "text", ["book the fridge repair visit", "get a homecare engineer to look at the oven"]
)
def test_a_routine_booking_reports_nothing(standin_env, domain, text):
    slots = start_booking(domain, text)
    assert slots["appointment_provider"] == "homecare-appliances"
    assert slots.get("appointment_fault") is None


def test_a_named_service_centre_shows_its_slots_only(standin_env, domain):
    slots = start_booking(domain, "new tyres on the car please, book me in at the Lisbon centre")
    assert slots["appointment_provider"] == "voltra-motors"
    assert slots["appointment_service"] == "tyre_change"
    assert slots["appointment_place"] == "SC-LIS-1"
    tracker = form_tracker(domain, "", "book_appointment", slots, "appointment_form")
    messages, events = run_action(ActionAskAppointmentSlot(), tracker, domain)
    offered = slot_events(events)["appointment_offered"]
    assert offered and {s["city"] for s in offered} == {"Lisbon"}
    # Without a place named, every centre's slots are offered.
    anywhere = start_booking(domain, "new tyres on the car please")
    assert anywhere.get("appointment_place") is None
