"""Which company and service the owner's words mean, from the directory and the owner's things."""

from __future__ import annotations

import pytest

from actions.journeys.appointment_words import infer_service
from tests.actions.journeys.appointment_fixtures import (
    start_booking,
)


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
        # "set up a visit" arranges it; "set up the dishwasher" is an installation
        (["repair", "installation"], "set up a visit from homecare to repair the fridge", "repair"),
        (["repair", "installation"], "can you set up the new dishwasher", "installation"),
        # "service centre" is a place, not a maintenance service
        (
            ["repair", "maintenance", "tyre_change"],
            "I need the tyres changed, book me in at the Lisbon service centre",
            "tyre_change",
        ),
    ],
)
def test_the_service_is_one_the_company_offers_named_by_its_words(offered, text, service):
    assert infer_service(offered, text) == service
