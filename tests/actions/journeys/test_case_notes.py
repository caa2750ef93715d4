"""Adding information to a case and answering the provider's question, on real trackers
against the real desk and a real case memory."""

from __future__ import annotations

from actions.journeys.case_forms import ActionAskCaseNoteText
from actions.journeys.try_again import ActionRetryPendingRequest
from tests.actions.conftest import make_tracker, responses, run_action, slot_events
from tests.actions.journeys.case_fixtures import (
    desk_ticket,
    nimbus_internet,
    note_form_turn,
    send_note,
)


class TestNotes:
    def test_a_note_reaches_the_desk_and_is_confirmed(self, standin_env, domain):
        ticket_id = nimbus_internet(domain)
        text = "add to my Nimbus ticket that it happens every evening"
        _, events = note_form_turn(
            domain, text, entities=[{"entity": "provider", "value": "Nimbus"}]
        )
        slots = slot_events(events)
        assert slots["case_ticket"] == ticket_id
        assert slots["case_note_text"] == "it happens every evening"
        messages, events = send_note(domain, slots, text)
        assert responses(messages) == ["utter_case_note_added"]
        assert messages[0]["status"] == "open"
        notes = desk_ticket(standin_env, ticket_id)["notes"]
        assert [n["text"] for n in notes] == ["it happens every evening"]
        assert slot_events(events)["case_ticket"] is None

    def test_answering_the_providers_question_word_for_word(self, standin_env, domain):
        ticket_id = nimbus_internet(domain)
        standin_env.advance(46 * 60)
        question = desk_ticket(standin_env, ticket_id)["question"]
        assert question == "Which lights on your router are on or blinking right now?"

        _, events = note_form_turn(
            domain, "answer nimbus's question", intent="answer_provider_question"
        )
        slots = slot_events(events)
        assert slots["case_ticket"] == ticket_id
        assert slots["case_question"] == question
        assert "case_note_text" not in slots
        asked = make_tracker(domain, "x", slots=slots)
        messages, _ = run_action(ActionAskCaseNoteText(), asked, domain)
        assert responses(messages) == ["utter_provider_asks"]
        assert messages[0]["question"] == question  # word for word
        assert messages[0]["provider_name"] == "Nimbus Telecom"

        answer = "the power light is on and the internet light blinks red"
        _, events = note_form_turn(
            domain, answer, intent="inform", slots={**slots, "requested_slot": "case_note_text"}
        )
        assert slot_events(events)["case_note_text"] == answer
        messages, _ = send_note(domain, {**slots, "case_note_text": answer}, answer)
        assert responses(messages) == ["utter_case_answer_delivered"]
        assert messages[0]["question"] == question and messages[0]["answer"] == answer
        assert messages[0]["status"] == "in progress"
        ticket = desk_ticket(standin_env, ticket_id)
        assert ticket["status"] == "in_progress" and ticket["question"] is None
        assert ticket["notes"][-1]["answers_question"] == question

    def test_5xx_keeps_the_note_and_try_again_sends_it_exactly_once(self, standin_env, domain):
        ticket_id = nimbus_internet(domain)
        slots = {"case_ticket": ticket_id, "case_note_text": "it happens every evening"}
        standin_env.post("/_sim/faults", {"error_rate": 1.0})
        try:
            messages, events = send_note(domain, slots)
        finally:
            standin_env.post("/_sim/faults", {})
        assert responses(messages) == ["utter_case_note_not_sent"]
        pending = slot_events(events)["pending_request"]
        assert pending["kind"] == "ticket_note" and pending["idempotency_key"].startswith(
            "standin-"
        )
        assert desk_ticket(standin_env, ticket_id)["notes"] == []

        retry = make_tracker(
            domain, "try again", intent="try_again", slots={"pending_request": pending}
        )
        messages, events = run_action(ActionRetryPendingRequest(), retry, domain)
        assert responses(messages) == ["utter_case_note_added"]
        assert slot_events(events)["pending_request"] is None
        run_action(ActionRetryPendingRequest(), retry, domain)  # a second resend: same key
        assert len(desk_ticket(standin_env, ticket_id)["notes"]) == 1

    def test_422_asks_the_owner_again(self, standin_env, domain):
        ticket_id = nimbus_internet(domain)
        messages, events = send_note(domain, {"case_ticket": ticket_id, "case_note_text": " "})
        assert responses(messages) == ["utter_case_note_rejected_field"]
        assert slot_events(events)["case_note_text"] is None
        assert any(e.get("event") == "active_loop" for e in events)
        assert desk_ticket(standin_env, ticket_id)["notes"] == []
