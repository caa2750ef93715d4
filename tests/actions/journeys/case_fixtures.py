"""What the ticket and case tests share: tickets opened on the real desk, the desk's own view
of them, and a turn of the report or note form, or a note sent."""

from __future__ import annotations

from actions import runtime
from actions.journeys.case_forms import ValidateCaseNoteForm
from actions.journeys.case_notes import ActionSendCaseNote
from actions.journeys.open_ticket import ActionOpenTicket
from actions.journeys.report_problem_form import ValidateReportProblemForm
from tests.actions.conftest import make_tracker, responses, run_action

NIMBUS_KEY = "sk-nimbus-demo"
HOMECARE_KEY = "sk-homecare-demo"
REPORT = "my internet keeps dropping, can you report it to Nimbus?"
READY_SLOTS = {
    "problem_provider": "nimbus-telecom",
    "problem_description": REPORT,
    "problem_category": "internet",
}


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


def homecare_has_the_same_id(ticket_id: str) -> None:
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


def desk_tickets(desk, key: str = NIMBUS_KEY) -> list[dict]:
    status, _, body = desk.get("/v1/tickets", key=key)
    assert status == 200, body
    return body["tickets"] if isinstance(body, dict) else body


def report_form_turn(domain, text, slots, requested=None, intent="report_problem", entities=None):
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
