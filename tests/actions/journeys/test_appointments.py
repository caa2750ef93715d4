"""Appointments, run on real trackers against the real service desk."""

from __future__ import annotations

from typing import Any

import pytest

from actions.journeys.appointments import (
    ActionAskAppointmentProvider,
    ActionAskAppointmentSlot,
    ActionBookAppointment,
    ActionCancelAppointment,
    ActionListAppointments,
    ActionRescheduleAppointment,
    ValidateAppointmentForm,
    ValidateCancelAppointmentForm,
    ValidateRescheduleAppointmentForm,
    infer_service,
)
from actions.journeys.try_again import ActionRetryPendingRequest
from actions.runtime import services
from tests.actions.conftest import make_tracker, responses, run_action, slot_events
from tests.actions.sixth_company import (  # noqa: F401 (sixth_desk, sixth_env: fixtures)
    KEY,
    PROVIDER,
    sixth_desk,
    sixth_env,
    the_desk,
)

VOLTRA = "sk-voltra-demo"


def appointments(desk, key: str = VOLTRA) -> list[dict]:
    status, _, body = desk.get("/v1/appointments", key=key)
    assert status == 200, body
    return body["appointments"]


def form_tracker(domain, text, intent, slots, form, requested=None, **kw):
    tracker = make_tracker(
        domain,
        text,
        intent=intent,
        slots={**slots, "requested_slot": requested},
        active_loop=form,
        **kw,
    )
    tracker.events.extend({"event": "slot", "name": k, "value": v} for k, v in slots.items())
    return tracker


def start_booking(domain, text: str) -> dict[str, Any]:
    """Activation: the provider and service from the words; then the slots are shown."""
    tracker = form_tracker(domain, text, "book_appointment", {}, "appointment_form")
    _, events = run_action(ValidateAppointmentForm(), tracker, domain)
    return slot_events(events)


def show_slots(domain, provider: str, service: str) -> tuple[list[dict], list[dict]]:
    tracker = make_tracker(
        domain,
        "book a repair",
        "book_appointment",
        slots={"appointment_provider": provider, "appointment_service": service},
        active_loop="appointment_form",
    )
    messages, events = run_action(ActionAskAppointmentSlot(), tracker, domain)
    return messages, slot_events(events).get("appointment_offered")


def choose(domain, text: str, offered: list[dict], provider="voltra-motors", form=None):
    slots = {"appointment_provider": provider, "appointment_offered": offered}
    tracker = form_tracker(
        domain, text, "choose_slot", slots, form or "appointment_form", "appointment_slot"
    )
    validator = ValidateRescheduleAppointmentForm() if form else ValidateAppointmentForm()
    return run_action(validator, tracker, domain)


def book_tracker(domain, offered, slot_id, text="the first", service="repair", **kw):
    return make_tracker(
        domain,
        text,
        "choose_slot",
        slots={
            "appointment_provider": "voltra-motors",
            "appointment_service": service,
            "appointment_offered": offered,
            "appointment_slot": slot_id,
        },
        **kw,
    )


def book_first(domain) -> dict:
    _, offered = show_slots(domain, "voltra-motors", "repair")
    run_action(
        ActionBookAppointment(), book_tracker(domain, offered, offered[0]["slot_id"]), domain
    )
    return offered[0]


@pytest.mark.parametrize(
    "text, provider, service",
    [
        ("I need a repair appointment for my car", "voltra-motors", "repair"),
        ("book a technician for my internet", "nimbus-telecom", "technician_visit"),
        ("book the fridge repair", "homecare-appliances", "repair"),
        ("my washing machine needs a repair visit", "homecare-appliances", "repair"),
        ("book a tyre change for the car", "voltra-motors", "tyre_change"),
        ("appointment with voltra please", "voltra-motors", "repair"),
        ("someone should look at the router", "nimbus-telecom", "technician_visit"),
    ],
)
def test_provider_and_service_come_from_the_words_and_devices(
    standin_env, domain, text, provider, service
):
    slots = start_booking(domain, text)
    assert slots["appointment_provider"] == provider
    assert slots["appointment_service"] == service


@pytest.mark.parametrize(
    "offered, text, service",
    [
        (["repair", "maintenance", "tyre_change"], "fix the tyres", "tyre_change"),
        (["repair", "maintenance", "tyre_change"], "fix it", "repair"),
        (["repair", "maintenance", "tyre_change"], "book something", "repair"),
        (["technician_visit"], "someone should look at it", "technician_visit"),
        (["boiler_service", "repair"], "the boiler needs a repair", "repair"),
        (["boiler_service", "repair"], "book the boiler service", "boiler_service"),
        (["boiler_service", "repair"], "an appointment for the boiler", "boiler_service"),
        ([], "a repair", None),
    ],
)
def test_the_service_is_one_the_company_offers_named_by_its_words(offered, text, service):
    assert infer_service(offered, text) == service


def test_the_provider_question_names_what_each_company_books(standin_env, domain):
    tracker = form_tracker(domain, "", "book_appointment", {}, "appointment_form")
    messages, _ = run_action(ActionAskAppointmentProvider(), tracker, domain)
    assert responses(messages) == ["utter_ask_appointment_provider"]
    assert messages[0]["offers"] == (
        "a technician visit with Nimbus Telecom (home router), a repair with Voltra Motors (car)"
        " or a repair with HomeCare Appliances (fridge, washing machine)"
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


def cancel_tracker(domain, confirmed):
    tracker = form_tracker(
        domain,
        "cancel the Voltra appointment",
        "cancel_appointment",
        {},
        "cancel_appointment_form",
    )
    _, events = run_action(ValidateCancelAppointmentForm(), tracker, domain)
    slots = slot_events(events)
    return make_tracker(
        domain,
        "yes" if confirmed else "no",
        "affirm" if confirmed else "deny",
        slots={
            "appointment_target": slots["appointment_target"],
            "appointment_choices": slots["appointment_choices"],
            "appointment_cancel_confirmed": confirmed,
        },
    )


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


def test_nothing_to_cancel_is_said_and_ends_the_form(standin_env, domain):
    tracker = form_tracker(
        domain, "cancel my appointment", "cancel_appointment", {}, "cancel_appointment_form"
    )
    messages, events = run_action(ValidateCancelAppointmentForm(), tracker, domain)
    assert responses(messages) == ["utter_no_appointments"]
    assert slot_events(events)["appointment_target"] == "none"


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
