"""Which case the owner means: ticket ids are each company's own, so a case is a company and
an id, never the id alone. On real trackers against the real desk and a real case memory."""

from __future__ import annotations

import asyncio

from rasa_sdk.executor import CollectingDispatcher

from actions import runtime
from actions.journeys.case_forms import ValidateCaseNoteForm
from tests.actions.conftest import make_tracker, responses, slot_events
from tests.actions.journeys.case_fixtures import (
    desk_ticket,
    homecare_has_the_same_id,
    nimbus_internet,
    note_form_turn,
    send_note,
)


class TestTheSameTicketIdAtTwoCompanies:
    """Ticket ids are each company's own: a case is a company and an id, never the id alone."""

    def _validate(self, domain, value, slots):
        tracker = make_tracker(domain, value, slots=slots, active_loop="case_note_form")
        dispatcher = CollectingDispatcher()

        async def go():
            try:
                return await ValidateCaseNoteForm().validate_case_ticket(
                    value, dispatcher, tracker, domain
                )
            finally:
                await runtime.services().desk.close()

        return dispatcher.messages, asyncio.run(go())

    def test_the_company_says_which_case_and_the_id_alone_is_ambiguous(self, standin_env, domain):
        ticket_id = nimbus_internet(domain)
        homecare_has_the_same_id(ticket_id)
        memory = runtime.services().memory
        assert {c.provider for c in memory.cases_with_id(ticket_id)} == {
            "homecare-appliances",
            "nimbus-telecom",
        }

        # The id alone does not say which: nothing is picked, and the owner is asked which.
        messages, events = note_form_turn(
            domain, f"add to {ticket_id} that it happens every evening"
        )
        assert "case_ticket" not in slot_events(events)
        assert responses(messages) == ["utter_case_ticket_ambiguous"]
        assert messages[0]["ticket_id"] == ticket_id
        # The id and the company do.
        text = f"add to my Nimbus ticket {ticket_id} that it happens every evening"
        _, events = note_form_turn(domain, text)
        slots = slot_events(events)
        assert (slots["case_ticket"], slots["case_provider"]) == (ticket_id, "nimbus-telecom")

        messages, checked = self._validate(domain, ticket_id, {"case_provider": None})
        assert responses(messages) == ["utter_case_ticket_ambiguous"]
        assert messages[0]["providers"] == "HomeCare Appliances, Nimbus Telecom"
        assert checked == {"case_ticket": None, "case_provider": None}

        # Without the company nothing is sent, and the owner is told why.
        messages, _ = send_note(domain, {"case_ticket": ticket_id, "case_note_text": "evenings"})
        assert responses(messages) == ["utter_case_ticket_ambiguous"]
        assert desk_ticket(standin_env, ticket_id)["notes"] == []
        # With it, the note reaches Nimbus's ticket, and HomeCare's case is untouched.
        homecare = memory.case("homecare-appliances", ticket_id)
        messages, _ = send_note(domain, {**slots, "case_note_text": "evenings"})
        assert responses(messages) == ["utter_case_note_added"]
        assert messages[0]["provider_name"] == "Nimbus Telecom"
        assert [n["text"] for n in desk_ticket(standin_env, ticket_id)["notes"]] == ["evenings"]
        assert memory.case("homecare-appliances", ticket_id) == homecare
