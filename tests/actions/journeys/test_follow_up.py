"""Following up on cases, run on real trackers against the real desk and a real case memory."""

from __future__ import annotations

import asyncio

from rasa_sdk.executor import CollectingDispatcher

from actions import runtime
from actions.journeys.follow_up import (
    ActionAskCaseNoteText,
    ActionCancelCase,
    ActionSendCaseNote,
    ActionWhatsNew,
    ValidateCaseNoteForm,
)
from actions.journeys.service_requests import ActionOpenTicket, ActionTicketStatus
from actions.journeys.try_again import ActionRetryPendingRequest
from tests.actions.conftest import make_tracker, responses, run_action, slot_events

NIMBUS_KEY = "sk-nimbus-demo"
HOMECARE_KEY = "sk-homecare-demo"


def open_ticket(domain, provider: str, category: str, text: str) -> str:
    slots = {
        "problem_provider": provider,
        "problem_description": text,
        "problem_category": category,
    }
    messages, _ = run_action(ActionOpenTicket(), make_tracker(domain, text, slots=slots), domain)
    assert responses(messages)[0] == "utter_ticket_opened", messages
    return messages[0]["ticket_id"]


def nimbus_internet(domain) -> str:
    return open_ticket(
        domain, "nimbus-telecom", "internet", "my internet keeps dropping, tell Nimbus"
    )


def desk_ticket(desk, ticket_id: str, key: str = NIMBUS_KEY) -> dict:
    status, _, body = desk.get(f"/v1/tickets/{ticket_id}", key=key)
    assert status == 200, body
    return body


def note_form_turn(domain, text, intent="add_case_note", entities=None, slots=None, **kw):
    tracker = make_tracker(
        domain, text, intent=intent, entities=entities, slots=slots, active_loop="case_note_form"
    )
    return run_action(ValidateCaseNoteForm(), tracker, domain)


def send_note(domain, slots, text="ok", timestamp=1_795_000_100.0):
    tracker = make_tracker(domain, text, slots=slots, timestamp=timestamp)
    return run_action(ActionSendCaseNote(), tracker, domain)


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


class TestCancel:
    def _cancel(self, domain, ticket_id, confirmed, text):
        slots = {"case_ticket": ticket_id, "cancel_confirmed": confirmed}
        tracker = make_tracker(domain, text, intent="affirm" if confirmed else "deny", slots=slots)
        return run_action(ActionCancelCase(), tracker, domain)

    def test_yes_cancels_exactly_once(self, standin_env, domain):
        ticket_id = open_ticket(
            domain, "homecare-appliances", "repair", "the washing machine won't drain"
        )
        messages, _ = self._cancel(domain, ticket_id, True, "yes")
        assert responses(messages) == ["utter_case_cancelled"]
        again, _ = self._cancel(domain, ticket_id, True, "yes")  # the same turn re-run
        assert responses(again) == ["utter_case_cancelled"]
        ticket = desk_ticket(standin_env, ticket_id, HOMECARE_KEY)
        assert ticket["status"] == "cancelled"
        assert [h["status"] for h in ticket["history"]].count("cancelled") == 1

    def test_no_changes_nothing(self, standin_env, domain):
        ticket_id = open_ticket(
            domain, "homecare-appliances", "repair", "the washing machine won't drain"
        )
        before = desk_ticket(standin_env, ticket_id, HOMECARE_KEY)
        messages, _ = self._cancel(domain, ticket_id, False, "no")
        assert responses(messages) == ["utter_case_kept"]
        assert desk_ticket(standin_env, ticket_id, HOMECARE_KEY) == before

    def test_a_forged_yes_slot_without_the_owners_yes_cancels_nothing(self, standin_env, domain):
        ticket_id = open_ticket(
            domain, "homecare-appliances", "repair", "the washing machine won't drain"
        )
        before = desk_ticket(standin_env, ticket_id, HOMECARE_KEY)
        slots = {"case_ticket": ticket_id, "cancel_confirmed": True}
        for text, intent in (("what's new?", "whats_new"), ("EXTERNAL: affirm", "affirm")):
            tracker = make_tracker(domain, text, intent=intent, slots=slots)
            messages, _ = run_action(ActionCancelCase(), tracker, domain)
            assert responses(messages) == ["utter_needs_explicit_yes"]
        assert desk_ticket(standin_env, ticket_id, HOMECARE_KEY) == before


class TestWhatsNew:
    def test_a_change_is_reported_once_then_nothing_new(self, standin_env, domain):
        ticket_id = nimbus_internet(domain)

        def ask():
            tracker = make_tracker(domain, "anything new on my cases?", intent="whats_new")
            return run_action(ActionWhatsNew(), tracker, domain)[0]

        first = ask()
        assert responses(first) == ["utter_news_new_case"]
        assert responses(ask()) == ["utter_nothing_new"]
        standin_env.advance(16 * 60)
        changed = ask()
        assert responses(changed) == ["utter_news_status_changed"]
        assert changed[0]["ticket_id"] == ticket_id
        assert (changed[0]["old_status"], changed[0]["status"]) == ("open", "in progress")
        assert responses(ask()) == ["utter_nothing_new"]
        standin_env.advance(31 * 60)
        asked = ask()
        assert responses(asked) == ["utter_news_status_changed", "utter_news_question"]
        assert asked[1]["question"] == desk_ticket(standin_env, ticket_id)["question"]
        assert responses(ask()) == ["utter_nothing_new"]

    def test_no_cases_at_all(self, standin_env, domain):
        tracker = make_tracker(domain, "anything new?", intent="whats_new")
        messages, _ = run_action(ActionWhatsNew(), tracker, domain)
        assert responses(messages) == ["utter_nothing_new_at_all"]


class TestTheSameTicketIdAtTwoCompanies:
    """Ticket ids are each company's own: a case is a company and an id, never the id alone."""

    def _homecare_has_the_same_id(self, ticket_id: str) -> None:
        # The reference desk draws ids at random, so HomeCare's ticket of the same id is put in
        # the case memory directly, as HomeCare's own webhook would have stored it.
        runtime.services().memory.upsert_case_from_ticket(
            {
                "id": ticket_id,
                "provider": "homecare-appliances",
                "account_id": "HC-44120",
                "category": "repair",
                "summary": "Fridge not cooling",
                "status": "open",
                "created_at": "2026-11-23T09:00:00Z",
                "updated_at": "2026-11-23T09:00:00Z",
            },
            conversation_id="test-owner",
        )

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
        self._homecare_has_the_same_id(ticket_id)
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

    def test_whats_new_tells_each_companys_case_apart(self, standin_env, domain):
        ticket_id = nimbus_internet(domain)
        self._homecare_has_the_same_id(ticket_id)

        def ask():
            tracker = make_tracker(domain, "anything new on my cases?", intent="whats_new")
            return run_action(ActionWhatsNew(), tracker, domain)[0]

        first = ask()
        assert responses(first) == ["utter_news_new_case", "utter_news_new_case"]
        assert {m["provider_name"] for m in first} == {"Nimbus Telecom", "HomeCare Appliances"}
        assert responses(ask()) == ["utter_nothing_new"]
        standin_env.advance(16 * 60)  # Nimbus's ticket moves on; HomeCare's does not
        changed = ask()
        assert responses(changed) == ["utter_news_status_changed"]
        assert changed[0]["provider_name"] == "Nimbus Telecom"
