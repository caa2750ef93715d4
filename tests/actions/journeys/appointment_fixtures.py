"""What the appointment tests share: the desk's view of appointments, trackers for the forms,
slots shown and picked, a booking made and a cancellation asked."""

from __future__ import annotations

from typing import Any

from actions.journeys.appointment_actions import (
    ActionBookAppointment,
)
from actions.journeys.appointment_forms import (
    ValidateAppointmentForm,
    ValidateCancelAppointmentForm,
    ValidateRescheduleAppointmentForm,
)
from actions.journeys.appointment_questions import (
    ActionAskAppointmentSlot,
)
from tests.actions.conftest import make_tracker, run_action, slot_events

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
