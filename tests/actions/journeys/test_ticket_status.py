"""Ticket status and the open cases, run on real trackers against the real desk and a real
case memory."""

from __future__ import annotations

import pytest

from actions.journeys.open_ticket import ActionOpenTicket
from actions.journeys.ticket_status import ActionTicketStatus
from tests.actions.conftest import make_tracker, responses, run_action, slot_events
from tests.actions.journeys.case_fixtures import (
    NIMBUS_KEY,
    READY_SLOTS,
    REPORT,
    nimbus_internet,
    open_ticket,
)


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
