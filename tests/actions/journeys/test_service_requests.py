"""The service-request actions, run on real trackers against the real service desk."""

from __future__ import annotations

import pytest

from actions.journeys.service_requests import (
    ActionAskProblemCategory,
    ActionAskProblemProvider,
    ActionOpenTicket,
    ActionTicketStatus,
    ValidateReportProblemForm,
)
from actions.journeys.try_again import ActionRetryPendingRequest
from launcher.processes import free_port
from tests.actions.conftest import make_tracker, responses, run_action, slot_events
from tests.actions.journeys.case_fixtures import nimbus_internet, open_ticket

NIMBUS_KEY = "sk-nimbus-demo"
REPORT = "my internet keeps dropping, can you report it to Nimbus?"
READY_SLOTS = {
    "problem_provider": "nimbus-telecom",
    "problem_description": REPORT,
    "problem_category": "internet",
}


def desk_tickets(desk, key: str = NIMBUS_KEY) -> list[dict]:
    status, _, body = desk.get("/v1/tickets", key=key)
    assert status == 200, body
    return body["tickets"] if isinstance(body, dict) else body


def validate(domain, text, slots, requested=None, intent="report_problem", entities=None):
    tracker = make_tracker(
        domain,
        text,
        intent=intent,
        entities=entities,
        slots={**slots, "requested_slot": requested},
        active_loop="report_problem_form",
    )
    # The form validates what was set since the owner's last message: mark those slots as such.
    tracker.events.extend({"event": "slot", "name": k, "value": v} for k, v in slots.items())
    return run_action(ValidateReportProblemForm(), tracker, domain)


class TestValidateReportForm:
    def test_provider_alias_in_any_case_is_resolved(self, standin_env, domain):
        for said, expected in [
            ("NIMBUS", "nimbus-telecom"),
            ("aqua flow", "aquaflow-water"),
            ("Bright Grid", "brightgrid-energy"),
            ("homecare appliances", "homecare-appliances"),
        ]:
            _, events = validate(domain, said, {"problem_provider": said}, "problem_provider")
            assert slot_events(events)["problem_provider"] == expected, said

    def test_unknown_provider_gets_a_question_with_the_known_ones(self, standin_env, domain):
        messages, events = validate(
            domain, "Acme", {"problem_provider": "Acme"}, "problem_provider"
        )
        assert slot_events(events)["problem_provider"] is None
        assert responses(messages) == ["utter_unknown_provider"]
        assert messages[0]["name"] == "Acme"
        tracker = make_tracker(domain, "Acme", slots={"requested_slot": "problem_provider"})
        messages, _ = run_action(ActionAskProblemProvider(), tracker, domain)
        assert responses(messages) == ["utter_ask_problem_provider"]
        for name in ["Nimbus Telecom", "Voltra Motors", "AquaFlow Water", "HomeCare Appliances"]:
            assert name in messages[0]["known_providers"]

    def test_first_message_gives_provider_and_category(self, standin_env, domain):
        _, events = validate(domain, REPORT, {"problem_description": REPORT})
        slots = slot_events(events)
        assert slots["problem_provider"] == "nimbus-telecom"
        assert slots["problem_description"] == REPORT
        assert slots["problem_category"] == "internet"
        assert slots.get("requested_slot") is None

    def test_only_the_missing_company_is_asked_for(self, standin_env, domain):
        text = "the dishwasher is broken"  # no dishwasher in the profile
        _, events = validate(domain, text, {"problem_description": text})
        slots = slot_events(events)
        assert slots["problem_description"] == text
        assert slots.get("problem_provider") is None
        assert "problem_category" not in slots

    def test_the_device_says_which_company(self, standin_env, domain):
        text = "the fridge is leaking"
        _, events = validate(domain, text, {"problem_description": text})
        slots = slot_events(events)
        assert slots["problem_provider"] == "homecare-appliances"
        assert slots["problem_category"] == "repair"

    def test_request_without_a_problem_asks_what_is_wrong(self, standin_env, domain):
        text = "I want to report a problem to Nimbus"
        _, events = validate(domain, text, {"problem_description": text})
        assert slot_events(events)["problem_description"] is None

    def test_category_answer_matches_by_name_or_number(self, standin_env, domain):
        base = {"problem_provider": "nimbus-telecom", "problem_description": "it is broken"}
        for said, expected in [("billing", "billing"), ("2", "mobile"), ("Internet", "internet")]:
            _, events = validate(
                domain, said, {**base, "problem_category": said}, "problem_category", "inform"
            )
            assert slot_events(events)["problem_category"] == expected, said

    def test_unmatched_category_is_asked_again(self, standin_env, domain):
        base = {"problem_provider": "nimbus-telecom", "problem_description": "it is broken"}
        messages, events = validate(
            domain, "pizza", {**base, "problem_category": "pizza"}, "problem_category", "inform"
        )
        assert slot_events(events)["problem_category"] is None
        assert responses(messages) == ["utter_category_not_understood"]

    def test_category_question_lists_the_providers_categories(self, standin_env, domain):
        tracker = make_tracker(domain, "x", slots={"problem_provider": "nimbus-telecom"})
        messages, _ = run_action(ActionAskProblemCategory(), tracker, domain)
        assert responses(messages) == ["utter_ask_problem_category"]
        assert "Internet" in messages[0]["categories"]
        assert len(messages[0]["buttons"]) == 5


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
        _, events = validate(domain, REPORT, {k: v for k, v in after.items()})
        assert slot_events(events).get("problem_category") is None

    def test_missing_api_key_sends_nothing(self, standin_env, domain, monkeypatch):
        monkeypatch.delenv("STANDIN_NIMBUS_TELECOM_API_KEY")
        tracker = make_tracker(domain, REPORT, slots=READY_SLOTS)
        messages, events = run_action(ActionOpenTicket(), tracker, domain)
        assert responses(messages) == ["utter_action_failed"]
        assert slot_events(events)["pending_request"] is None
        assert desk_tickets(standin_env) == []


class TestTicketStatus:
    def _open(self, domain) -> str:
        tracker = make_tracker(domain, REPORT, slots=READY_SLOTS)
        messages, _ = run_action(ActionOpenTicket(), tracker, domain)
        return messages[0]["ticket_id"]

    def _status(self, domain, text, entities=None, slots=None):
        tracker = make_tracker(domain, text, "ticket_status", entities, slots)
        return run_action(ActionTicketStatus(), tracker, domain)

    def test_status_follows_the_ticket_through_simulated_time(self, standin_env, domain):
        ticket_id = self._open(domain)
        ent = [{"entity": "provider", "value": "Nimbus"}]
        messages, events = self._status(domain, "what's the status of my Nimbus ticket?", ent)
        assert responses(messages) == ["utter_ticket_status_open"]
        assert messages[0]["ticket_id"] == ticket_id
        assert messages[0]["provider_name"] == "Nimbus Telecom"
        assert slot_events(events)["last_ticket_id"] == ticket_id

        standin_env.advance(16 * 60)
        messages, _ = self._status(domain, "any news on my nimbus ticket", ent)
        assert responses(messages) == ["utter_ticket_status_in_progress"]

        standin_env.advance(31 * 60)
        _, _, ticket = standin_env.get(f"/v1/tickets/{ticket_id}", key=NIMBUS_KEY)
        assert ticket["status"] == "awaiting_customer"
        messages, _ = self._status(domain, "status of my nimbus ticket", ent)
        assert responses(messages) == [
            "utter_ticket_status_awaiting_customer",
            "utter_ticket_question",
        ]
        assert messages[1]["question"] == ticket["question"]  # word for word

    def test_status_by_ticket_id_and_by_last_ticket(self, standin_env, domain):
        ticket_id = self._open(domain)
        ent = [{"entity": "ticket_id", "value": ticket_id.lower()}]
        messages, _ = self._status(domain, f"status of {ticket_id.lower()}", ent)
        assert messages[0]["ticket_id"] == ticket_id
        messages, _ = self._status(domain, "what's the status", slots={"last_ticket_id": ticket_id})
        assert messages[0]["ticket_id"] == ticket_id

    def test_another_owners_ticket_is_never_shown(self, standin_env, domain):
        status, _, sams = standin_env.post(
            "/v1/tickets",
            {
                "provider": "nimbus-telecom",
                "category": "billing",
                "summary": "Sam's bill",
                "description": "Sam's private ticket",
                "severity": "normal",
                "on_behalf_of": {"name": "Sam Lee"},
            },
            key="sk-nimbus-sam",
        )
        assert status == 201, sams
        ent = [{"entity": "ticket_id", "value": sams["id"]}]
        messages, _ = self._status(domain, f"status of {sams['id']}", ent)
        assert responses(messages) == ["utter_ticket_not_found"]
        messages, _ = self._status(
            domain, "my nimbus ticket?", [{"entity": "provider", "value": "nimbus"}]
        )
        assert responses(messages) == ["utter_no_tickets_with_provider"]

    def test_no_open_tickets_anywhere(self, standin_env, domain):
        messages, _ = self._status(domain, "show me my open tickets")
        assert responses(messages) == ["utter_no_tickets"]

    def test_unknown_provider_in_a_status_question(self, standin_env, domain):
        messages, _ = self._status(
            domain, "status of my ticket with Acme", [{"entity": "provider", "value": "Acme"}]
        )
        assert responses(messages) == ["utter_unknown_provider", "utter_known_providers"]

    @pytest.mark.parametrize("fault", [{"error_rate": 1.0}, {"rate_limit_rate": 1.0}])
    def test_desk_failing_on_status_says_so(self, standin_env, domain, fault):
        self._open(domain)
        standin_env.post("/_sim/faults", fault)
        try:
            messages, _ = self._status(
                domain, "status of my nimbus ticket", [{"entity": "provider", "value": "nimbus"}]
            )
        finally:
            standin_env.post("/_sim/faults", {})
        assert responses(messages) == ["utter_status_unavailable"]


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


class TestOpenCases:
    def test_lists_every_open_case_from_memory_refreshed_from_the_desk(self, standin_env, domain):
        nimbus = nimbus_internet(domain)
        homecare = open_ticket(domain, "homecare-appliances", "repair", "the fridge is not cooling")
        standin_env.advance(16 * 60)
        tracker = make_tracker(domain, "what are my open cases?", intent="ticket_status")
        messages, _ = run_action(ActionTicketStatus(), tracker, domain)
        assert responses(messages) == [
            "utter_open_cases_header",
            "utter_ticket_status_in_progress",
            "utter_ticket_status_in_progress",
        ]
        assert messages[0]["count"] == 2
        assert {m["ticket_id"] for m in messages[1:]} == {nimbus, homecare}
        assert {m["status"] for m in messages[1:]} == {"in_progress"}

    def test_desk_down_says_what_memory_knew_marked_not_fresh(self, standin_env, domain):
        nimbus = nimbus_internet(domain)
        standin_env.post("/_sim/faults", {"error_rate": 1.0})
        try:
            tracker = make_tracker(domain, "show all my cases", intent="ticket_status")
            messages, _ = run_action(ActionTicketStatus(), tracker, domain)
        finally:
            standin_env.post("/_sim/faults", {})
        assert responses(messages) == [
            "utter_cases_not_fresh",
            "utter_open_cases_header",
            "utter_open_case_line_stale",
        ]
        assert messages[2]["ticket_id"] == nimbus and messages[2]["status"] == "open"
