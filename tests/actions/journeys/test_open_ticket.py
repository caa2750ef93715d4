"""Opening a ticket, run on real trackers against the real service desk."""

from __future__ import annotations

import pytest

from actions.journeys.open_ticket import ActionOpenTicket
from actions.journeys.try_again import ActionRetryPendingRequest
from launcher.processes import free_port
from tests.actions.conftest import make_tracker, responses, run_action, slot_events
from tests.actions.journeys.case_fixtures import (
    READY_SLOTS,
    REPORT,
    desk_tickets,
    report_form_turn,
)
from tests.actions.sixth_company import (  # noqa: F401 (sixth_desk, sixth_env: fixtures)
    KEY,
    PROVIDER,
    sixth_desk,
    sixth_env,
    the_desk,
)


class TestOpenTicket:
    def test_opens_a_ticket_as_a_machine_customer_for_the_owner(self, standin_env, domain):
        tracker = make_tracker(domain, REPORT, slots=READY_SLOTS)
        messages, events = run_action(ActionOpenTicket(), tracker, domain)
        assert responses(messages) == ["utter_ticket_opened", "utter_ticket_next_steps"]
        [ticket] = desk_tickets(standin_env)
        assert messages[0]["ticket_id"] == ticket["id"]
        assert ticket["provider"] == "nimbus-telecom"
        assert ticket["category"] == "internet"
        assert ticket["summary"] == "My internet keeps dropping"
        assert ticket["description"] == REPORT
        assert ticket["on_behalf_of"]["name"] == "Alex Morgan"
        assert ticket["on_behalf_of"]["account_id"] == "NT-908812"
        assert ticket["client"]["kind"] == "machine"
        assert ticket["client"]["software"].startswith("Stand-in/")
        slots = slot_events(events)
        assert slots["last_ticket_id"] == ticket["id"]
        assert slots["pending_request"] is None
        assert all(slots[s] is None for s in READY_SLOTS)

    def test_running_the_same_turn_twice_opens_one_ticket(self, standin_env, domain):
        tracker = make_tracker(domain, REPORT, slots=READY_SLOTS)
        first, _ = run_action(ActionOpenTicket(), tracker, domain)
        second, _ = run_action(ActionOpenTicket(), tracker, domain)
        assert first[0]["ticket_id"] == second[0]["ticket_id"]
        assert len(desk_tickets(standin_env)) == 1

    def test_desk_answering_5xx_is_reported_plainly_and_resend_opens_exactly_one(
        self, standin_env, domain
    ):
        desk = standin_env
        assert desk.post("/_sim/faults", {"error_rate": 1.0, "seed": 1})[0] == 200
        tracker = make_tracker(domain, REPORT, slots=READY_SLOTS)
        messages, events = run_action(ActionOpenTicket(), tracker, domain)
        assert responses(messages) == ["utter_ticket_not_sent"]
        assert "503" in messages[0]["reason"]
        pending = slot_events(events)["pending_request"]
        assert pending["idempotency_key"].startswith("standin-")
        assert desk.post("/_sim/faults", {})[0] == 200
        assert desk_tickets(desk) == []

        retry = make_tracker(
            domain, "try again", intent="try_again", slots={"pending_request": pending}
        )
        messages, events = run_action(ActionRetryPendingRequest(), retry, domain)
        assert responses(messages) == ["utter_ticket_opened", "utter_ticket_next_steps"]
        assert slot_events(events)["pending_request"] is None
        again, _ = run_action(ActionRetryPendingRequest(), retry, domain)
        assert again[0]["ticket_id"] == messages[0]["ticket_id"]  # same key: no second ticket
        assert len(desk_tickets(desk)) == 1

    def test_desk_down_changes_nothing_and_keeps_the_request(
        self, standin_env, domain, monkeypatch
    ):
        from actions import runtime
        from actions.core import settings

        monkeypatch.setenv("SERVICE_DESK_URL", f"http://127.0.0.1:{free_port()}")
        settings.settings.cache_clear()
        runtime.services.cache_clear()
        tracker = make_tracker(domain, REPORT, slots=READY_SLOTS)
        messages, events = run_action(ActionOpenTicket(), tracker, domain)
        assert responses(messages) == ["utter_ticket_not_sent"]
        assert "could not be reached" in messages[0]["reason"]
        pending = slot_events(events)["pending_request"]
        assert pending["provider"] == "nimbus-telecom"
        assert pending["body"]["category"] == "internet"
        assert desk_tickets(standin_env) == []

    def test_422_from_the_desk_becomes_a_question(self, standin_env, domain):
        # A category the desk does not know, as a forged slot would carry.
        tracker = make_tracker(domain, REPORT, slots={**READY_SLOTS, "problem_category": "bogus"})
        messages, events = run_action(ActionOpenTicket(), tracker, domain)
        assert responses(messages) == ["utter_ticket_rejected_field"]
        assert "category" in messages[0]["message"]
        slots = slot_events(events)
        assert slots["problem_category"] is None
        assert slots["rejected_fields"] == ["category"]
        assert "problem_provider" not in slots  # what the owner already said stays
        assert {"event": "active_loop", "name": "report_problem_form"} in [
            {k: e.get(k) for k in ("event", "name")} for e in events
        ]
        assert desk_tickets(standin_env) == []

        # The re-opened form must ask the owner, not infer the refused category again.
        after = {**READY_SLOTS, "problem_category": None, "rejected_fields": ["category"]}
        _, events = report_form_turn(domain, REPORT, {k: v for k, v in after.items()})
        assert slot_events(events).get("problem_category") is None

    def test_missing_api_key_sends_nothing(self, standin_env, domain, monkeypatch):
        monkeypatch.delenv("STANDIN_NIMBUS_TELECOM_API_KEY")
        tracker = make_tracker(domain, REPORT, slots=READY_SLOTS)
        messages, events = run_action(ActionOpenTicket(), tracker, domain)
        assert responses(messages) == ["utter_action_failed"]
        assert slot_events(events)["pending_request"] is None
        assert desk_tickets(standin_env) == []


def test_a_description_longer_than_the_desk_takes_is_asked_again(standin_env, domain):
    long_text = "my internet keeps dropping. " * 200
    tracker = make_tracker(
        domain, long_text, slots={**READY_SLOTS, "problem_description": long_text}
    )
    messages, events = run_action(ActionOpenTicket(), tracker, domain)
    assert responses(messages) == ["utter_description_too_long"]
    slots = slot_events(events)
    assert slots["problem_description"] is None and slots["rejected_fields"] == ["description"]
    assert desk_tickets(standin_env) == []


@pytest.mark.usefixtures("sixth_env")
def test_a_problem_at_a_sixth_company_is_reported_with_no_code(domain):
    """Hearthwise Heating is known from its directory entry and the owner's profile alone."""
    text = "my boiler is broken and not working, report it to Hearthwise"
    _, events = report_form_turn(domain, text, {"problem_description": text})
    slots = slot_events(events)
    assert slots["problem_provider"] == PROVIDER and slots["problem_category"] == "repair"
    ready = {k: slots[k] for k in ("problem_provider", "problem_description", "problem_category")}
    messages, _ = run_action(ActionOpenTicket(), make_tracker(domain, text, slots=ready), domain)
    assert responses(messages) == ["utter_ticket_opened", "utter_ticket_next_steps"]
    [ticket] = desk_tickets(the_desk(), KEY)
    assert messages[0]["ticket_id"] == ticket["id"]
    assert ticket["summary"] == "My boiler is broken and not working"
    assert ticket["on_behalf_of"]["account_id"] == "HW-5001"


@pytest.mark.parametrize(
    "provider, category, text, service",
    [
        (
            "homecare-appliances",
            "repair",
            "my fridge is dripping water on the floor, report it and get a technician out",
            "repair",
        ),
        (
            "nimbus-telecom",
            "internet",
            "the internet is down again, log it and send an engineer out",
            "technician_visit",
        ),
    ],
)
def test_a_report_that_also_asks_for_a_visit_books_one_next(
    standin_env, domain, provider, category, text, service
):
    # Two requests in one message, done in the order asked: the ticket, then the booking form
    # for the same company (the visit goes with the ticket just opened).
    slots = {
        "problem_provider": provider,
        "problem_description": text,
        "problem_category": category,
    }
    messages, events = run_action(
        ActionOpenTicket(), make_tracker(domain, text, slots=slots), domain
    )
    assert responses(messages) == ["utter_ticket_opened", "utter_ticket_next_steps"]
    assert slot_events(events)["appointment_provider"] == provider
    assert slot_events(events)["appointment_service"] == service
    assert events[-1] == {"event": "followup", "name": "appointment_form", "timestamp": None}


def test_a_report_alone_books_nothing(standin_env, domain):
    tracker = make_tracker(domain, REPORT, slots=READY_SLOTS)
    _, events = run_action(ActionOpenTicket(), tracker, domain)
    assert not any(e.get("event") == "followup" for e in events)


def test_a_report_that_also_asks_for_a_call_places_it_next(standin_env, domain):
    # "report it and ring them": the ticket, then the owner's message taken again as the call,
    # to the company just reported to.
    text = "the boiler display shows error E4, report it to brightgrid and ring them"
    slots = {
        "problem_provider": "brightgrid-energy",
        "problem_description": text,
        "problem_category": "outage",
    }
    messages, events = run_action(
        ActionOpenTicket(), make_tracker(domain, text, slots=slots), domain
    )
    assert responses(messages) == ["utter_ticket_opened", "utter_ticket_next_steps"]
    listen, again = events[-2:]
    assert listen["name"] == "action_listen"
    assert again["parse_data"]["intent"]["name"] == "place_call"
    assert {"entity": "provider", "value": "brightgrid-energy"} in again["parse_data"]["entities"]
