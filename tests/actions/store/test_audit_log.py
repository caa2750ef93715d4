"""Every request to a provider is in the audit log, and opened or read tickets become cases."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest
from sqlalchemy import text

from actions import runtime
from actions.core.settings import load_settings
from actions.journeys.open_ticket import ActionOpenTicket
from actions.journeys.ticket_status import ActionTicketStatus
from actions.providers.client import ServiceDeskClient
from actions.providers.desk_models import OnBehalfOf, TicketCreate
from actions.store.case_memory import CaseMemory
from tests.actions.conftest import make_tracker, responses, run_action
from tests.actions.store_fixtures import sqlite_url

REPORT = "my internet keeps dropping, can you report it to Nimbus?"
READY = {
    "problem_provider": "nimbus-telecom",
    "problem_description": REPORT,
    "problem_category": "internet",
}


@pytest.fixture
def store_desk(standin_env, tmp_path, monkeypatch):
    """The test desk, with the actions' store in a file of this test's own."""
    monkeypatch.setenv("STANDIN_DB_URL", sqlite_url(tmp_path))
    return standin_env


def all_stored_text(memory: CaseMemory) -> str:
    with memory.engine.connect() as conn:
        return "\n".join(
            repr(list(conn.execute(text(f"SELECT * FROM {table}"))))
            for table in ("audit_log", "cases", "webhook_events")
        )


def test_opening_a_ticket_leaves_one_ok_row_and_a_case(store_desk, domain):
    tracker = make_tracker(domain, REPORT, slots=READY, sender_id="conv-audit")
    messages, events = run_action(ActionOpenTicket(), tracker, domain)
    assert responses(messages)[0] == "utter_ticket_opened"
    ticket_id = messages[0]["ticket_id"]

    memory = runtime.services().memory
    posts = [e for e in memory.audit_entries() if e.method == "POST"]
    assert len(posts) == 1
    row = posts[0]
    assert (row.outcome, row.status, row.resource_id) == ("ok", 201, ticket_id)
    assert row.provider == "nimbus-telecom" and row.conversation_id == "conv-audit"
    assert row.idempotency_key and row.idempotency_key.startswith("standin-")
    assert row.request_body["category"] == "internet" and row.attempts == 1
    directory = [e for e in memory.audit_entries() if e.path == "/v1/providers"]
    assert directory and all(e.provider == "directory" for e in directory)

    case = memory.case("nimbus-telecom", ticket_id)
    assert case.status == "open" and case.provider == "nimbus-telecom"
    assert case.account_id == "NT-908812" and case.conversation_id == "conv-audit"
    assert case.category == "internet" and case.summary
    assert "sk-" not in all_stored_text(memory)


def test_a_failing_desk_leaves_an_unavailable_row_and_no_case(store_desk, domain):
    desk = store_desk
    tracker = make_tracker(domain, REPORT, slots=READY, sender_id="conv-down")
    assert desk.post("/_sim/faults", {"error_rate": 1.0})[0] == 200
    try:
        messages, _ = run_action(ActionOpenTicket(), tracker, domain)
    finally:
        desk.post("/_sim/faults", {})
    assert responses(messages) == ["utter_ticket_not_sent"]
    memory = runtime.services().memory
    posts = [e for e in memory.audit_entries() if e.method == "POST"]
    assert len(posts) == 1
    assert (posts[0].outcome, posts[0].status, posts[0].attempts) == ("unavailable", 503, 2)
    assert posts[0].error_code == "injected_error" and posts[0].resource_id is None
    assert memory.cases() == []
    assert "sk-" not in all_stored_text(memory)


def test_reading_status_records_the_cases(store_desk, domain):
    desk = store_desk
    status, _, ticket = desk.post(
        "/v1/tickets",
        {
            "provider": "aquaflow-water",
            "category": "leak",
            "summary": "Leak in the street",
            "description": "Water in the street outside my home.",
            "severity": "high",
            "on_behalf_of": {"name": "Alex Morgan", "account_id": "AQ-558812"},
        },
        key="sk-aquaflow-demo",
    )
    assert status == 201
    desk.advance(16 * 60)
    tracker = make_tracker(domain, "how are my tickets?", intent="ticket_status", sender_id="c9")
    messages, _ = run_action(ActionTicketStatus(), tracker, domain)
    assert "utter_ticket_status_in_progress" in responses(messages)
    memory = runtime.services().memory
    case = memory.case("aquaflow-water", ticket["id"])
    assert case.status == "in_progress" and case.account_id == "AQ-558812"
    assert case.conversation_id is None  # reading a ticket does not claim it for a conversation
    reads = [e for e in memory.audit_entries() if e.path.startswith("/v1/tickets")]
    assert {e.provider for e in reads} >= {"aquaflow-water", "nimbus-telecom"}
    assert all(e.conversation_id == "c9" and e.outcome == "ok" for e in reads)


def test_a_broken_audit_sink_never_fails_the_request(desk, caplog):
    def broken(_entry):
        raise RuntimeError("disk full")

    settings = dataclasses.replace(load_settings(), service_desk_url=desk.url)
    client = ServiceDeskClient(settings, audit=broken)
    ticket = TicketCreate(
        provider="nimbus-telecom",
        category="billing",
        summary="Charged twice",
        description="I was charged twice this month.",
        on_behalf_of=OnBehalfOf(name="Alex Morgan", account_id="NT-908812"),
    )

    async def go():
        try:
            return await client.create_ticket("sk-nimbus-demo", ticket, "audit-broken-1")
        finally:
            await client.close()

    assert asyncio.run(go()).status == "open"
    assert "AUDIT LOG WRITE FAILED" in caplog.text
