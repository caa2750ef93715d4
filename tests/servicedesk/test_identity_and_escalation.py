"""Identity questions (`question_kind`) and ticket escalation (`POST /v1/tickets/{id}/escalate`)."""

from __future__ import annotations

import pytest

from tests.servicedesk.test_webhooks import SECRET, Receiver

ALEX = "sk-nimbus-demo"
SAM = "sk-nimbus-sam"
ALEX_BRIGHTGRID = "sk-brightgrid-demo"
SAM_BRIGHTGRID = "sk-brightgrid-sam"
TICKET = {
    "provider": "nimbus-telecom",
    "category": "mobile",  # no seeded question: nothing is asked unless a test forces it
    "summary": "No signal",
    "description": "No mobile signal since this morning.",
    "severity": "normal",
    "on_behalf_of": {"name": "Alex Morgan"},
}
BILLING = {
    "provider": "brightgrid-energy",
    "category": "billing",
    "summary": "Bill too high",
    "description": "This month's bill is twice the usual.",
    "severity": "normal",
    "on_behalf_of": {"name": "Alex Morgan"},
}
IDENTITY_QUESTION = "To confirm it's you: what was the amount of your last payment?"


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


def subscribe(desk, url, events, key=ALEX):
    status, _, body = desk.post(
        "/v1/webhooks", {"url": url, "events": list(events), "secret": SECRET}, key=key
    )
    assert status == 201, body


def open_ticket(desk, payload=TICKET, key=ALEX):
    status, _, body = desk.post("/v1/tickets", payload, key=key)
    assert status == 201, body
    return body


def get(desk, ticket_id, key=ALEX):
    status, _, body = desk.get(f"/v1/tickets/{ticket_id}", key=key)
    assert status == 200, body
    return body


def force(desk, ticket_id, **body):
    return desk.post(f"/_sim/tickets/{ticket_id}/status", body)


def escalate(desk, ticket_id, body, key=ALEX, idem=None):
    headers = {"Idempotency-Key": idem} if idem else None
    return desk.post(f"/v1/tickets/{ticket_id}/escalate", body, key=key, headers=headers)


def field_names(body):
    return [f["field"] for f in body["error"]["details"]["fields"]]


# -- identity questions ---------------------------------------------------------------------------
def test_new_ticket_has_no_question_kind_and_is_not_escalated(desk):
    t = open_ticket(desk)
    assert t["question"] is None and t["question_kind"] is None
    assert t["escalated"] is False and t["escalated_at"] is None
    assert t["escalation_reason"] is None


def test_sim_identity_question_in_get_and_in_webhooks(desk, receiver):
    subscribe(desk, receiver.url, ["ticket.status_changed", "ticket.awaiting_customer"])
    t = open_ticket(desk)
    question = "What is the answer to your security question?"
    status, _, body = force(
        desk, t["id"], status="awaiting_customer", question=question, question_kind="identity"
    )
    assert status == 200, body
    assert body["question"] == question and body["question_kind"] == "identity"

    t = get(desk, t["id"])
    assert t["status"] == "awaiting_customer"
    assert t["question"] == question and t["question_kind"] == "identity"
    assert t["questions"][-1]["question"] == question
    assert t["questions"][-1]["kind"] == "identity"

    def both_events():
        types = {e["type"]: e for e in receiver.events()}
        return len(types) == 2 and types

    events = desk.wait_until(both_events, what="both ticket webhooks")
    for event_type in ("ticket.status_changed", "ticket.awaiting_customer"):
        data = events[event_type]["data"]
        assert data["id"] == t["id"] and data["status"] == "awaiting_customer"
        assert data["question"] == question and data["question_kind"] == "identity"


def test_sim_question_kind_defaults_and_is_cleared(desk):
    t = open_ticket(desk)
    status, _, body = force(desk, t["id"], status="awaiting_customer", question="Which SIM?")
    assert status == 200 and body["question_kind"] == "general"
    status, _, body = force(desk, t["id"], status="in_progress")
    assert status == 200
    assert body["question"] is None and body["question_kind"] is None
    # Without a question the desk's generic one is asked; the kind may still be given.
    status, _, body = force(desk, t["id"], status="awaiting_customer", question_kind="identity")
    assert status == 200 and body["question"] and body["question_kind"] == "identity"
    kinds = [q["kind"] for q in get(desk, t["id"])["questions"]]
    assert kinds == ["general", "identity"]


@pytest.mark.parametrize("kind", ["secret", "", 3, "IDENTITY "])
def test_sim_bad_question_kind_is_422(desk, kind):
    t = open_ticket(desk)
    status, _, body = force(desk, t["id"], status="awaiting_customer", question_kind=kind)
    assert status == 422, body
    assert body["error"]["code"] == "validation_error"
    assert field_names(body) == ["question_kind"]
    assert get(desk, t["id"])["status"] == "open"


def test_seeded_brightgrid_billing_identity_question(desk):
    t = open_ticket(desk, BILLING, key=ALEX_BRIGHTGRID)
    desk.advance(15 * 60)
    assert get(desk, t["id"], ALEX_BRIGHTGRID)["status"] == "in_progress"
    desk.advance(30 * 60)
    t = get(desk, t["id"], ALEX_BRIGHTGRID)
    assert t["status"] == "awaiting_customer"
    assert t["question"] == IDENTITY_QUESTION and t["question_kind"] == "identity"
    assert t["questions"][0]["kind"] == "identity"

    # The answer is a note like any other.
    status, _, body = desk.post(
        f"/v1/tickets/{t['id']}/notes", {"text": "It was 84.20 EUR."}, key=ALEX_BRIGHTGRID
    )
    assert status == 201, body
    assert body["note"]["answers_question"] == IDENTITY_QUESTION
    assert body["ticket"]["status"] == "in_progress"
    assert body["ticket"]["question"] is None and body["ticket"]["question_kind"] is None
    t = get(desk, t["id"], ALEX_BRIGHTGRID)
    assert t["notes"][0]["text"] == "It was 84.20 EUR."
    assert t["questions"][0]["answered_at"] and t["questions"][0]["kind"] == "identity"


def test_existing_questions_stay_general(desk):
    outage = open_ticket(desk, {**BILLING, "category": "outage"}, key=ALEX_BRIGHTGRID)
    internet = open_ticket(desk, {**TICKET, "category": "internet"})
    desk.advance(45 * 60)
    outage = get(desk, outage["id"], ALEX_BRIGHTGRID)
    assert outage["question"].startswith("Is the outage affecting")
    assert outage["question_kind"] == "general"
    internet = get(desk, internet["id"])
    assert internet["question"].startswith("Which lights on your router")
    assert internet["question_kind"] == "general"
    # Forcing the status without a question uses the seeded question and its kind.
    billing = open_ticket(desk, BILLING, key=ALEX_BRIGHTGRID)
    status, _, body = force(desk, billing["id"], status="awaiting_customer")
    assert status == 200
    assert body["question"] == IDENTITY_QUESTION and body["question_kind"] == "identity"


def test_directory_does_not_expose_the_questions(desk):
    _, _, provider = desk.get("/v1/providers/brightgrid-energy", key=ALEX_BRIGHTGRID)
    assert "questions" not in provider and "question" not in provider


# -- escalation ------------------------------------------------------------------------------------
def test_escalate(desk, receiver):
    subscribe(desk, receiver.url, ["ticket.status_changed"])
    t = open_ticket(desk)
    status, _, body = escalate(desk, t["id"], {"reason": "No answer for three days."})
    assert status == 200, body
    assert body["id"] == t["id"] and body["status"] == "open"
    assert body["escalated"] is True and body["escalated_at"].startswith("2026-11-23T09:0")
    assert body["escalation_reason"] == "No answer for three days."
    assert body["severity"] == "urgent"
    assert body["updated_at"] == body["escalated_at"]
    assert body["history"][-1] == {
        "status": "open",
        "at": body["escalated_at"],
        "event": "escalated",
    }
    assert get(desk, t["id"]) == body

    event = desk.wait_until(lambda: receiver.events(), what="the escalation webhook")[0]
    assert event["type"] == "ticket.status_changed"
    assert event["data"]["id"] == t["id"] and event["data"]["escalated"] is True
    assert event["data"]["severity"] == "urgent" and event["data"]["status"] == "open"

    # The status is untouched and the ticket still moves on with simulated time.
    desk.advance(15 * 60)
    t = get(desk, t["id"])
    assert t["status"] == "in_progress" and t["escalated"] is True


def test_escalate_is_idempotent(desk):
    t = open_ticket(desk)
    payload = {"reason": "Urgent: the customer works from home."}
    s1, _, first = escalate(desk, t["id"], payload, idem="esc-1")
    s2, h2, second = escalate(desk, t["id"], payload, idem="esc-1")
    assert s1 == s2 == 200
    assert first == second and h2.get("idempotent-replayed") == "true"
    escalations = [h for h in get(desk, t["id"])["history"] if h.get("event") == "escalated"]
    assert len(escalations) == 1
    events = desk.get("/_sim/events")[2]["events"]
    assert len([e for e in events if e["data"]["id"] == t["id"]]) == 1

    status, _, body = escalate(desk, t["id"], {"reason": "Something else."}, idem="esc-1")
    assert status == 409 and body["error"]["code"] == "idempotency_key_reused"
    assert get(desk, t["id"])["escalation_reason"] == payload["reason"]


@pytest.mark.parametrize("payload", [{}, {"reason": ""}, {"reason": "   "}, {"reason": "x" * 1001}])
def test_escalate_bad_reason_is_422(desk, payload):
    t = open_ticket(desk)
    status, _, body = escalate(desk, t["id"], payload)
    assert status == 422, body
    assert field_names(body) == ["reason"]
    assert get(desk, t["id"])["escalated"] is False


def test_escalate_reason_of_1000_characters_is_accepted(desk):
    t = open_ticket(desk)
    status, _, body = escalate(desk, t["id"], {"reason": "x" * 1000})
    assert status == 200 and len(body["escalation_reason"]) == 1000


def test_escalate_cancelled_or_closed_is_409(desk):
    cancelled = open_ticket(desk)
    assert desk.post(f"/v1/tickets/{cancelled['id']}/cancel", key=ALEX)[0] == 200
    status, _, body = escalate(desk, cancelled["id"], {"reason": "Too late."})
    assert status == 409 and body["error"]["code"] == "invalid_state"
    assert body["error"]["details"]["state"] == "cancelled"

    closed = open_ticket(desk)
    assert force(desk, closed["id"], status="closed")[0] == 200
    status, _, body = escalate(desk, closed["id"], {"reason": "Too late."})
    assert status == 409 and body["error"]["details"]["state"] == "closed"
    assert get(desk, closed["id"])["escalated"] is False


def test_escalate_another_accounts_ticket_is_404(desk):
    t = open_ticket(desk)
    status, _, body = escalate(desk, t["id"], {"reason": "Not mine."}, key=SAM)
    assert status == 404 and body["error"]["code"] == "not_found"
    bg = open_ticket(desk, BILLING, key=ALEX_BRIGHTGRID)
    status, _, _ = escalate(desk, bg["id"], {"reason": "Not mine."}, key=SAM_BRIGHTGRID)
    assert status == 404
    status, _, _ = escalate(desk, "TCK-doesnotexist", {"reason": "Nobody's."})
    assert status == 404
    assert get(desk, t["id"])["escalated"] is False


def test_openapi_lists_escalate_and_the_new_fields(desk):
    _, _, doc = desk.get("/openapi.json")
    op = doc["paths"]["/v1/tickets/{ticket_id}/escalate"]["post"]
    assert op["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/TicketEscalate"
    )
    assert any(p["name"] == "Idempotency-Key" for p in op["parameters"])
    schemas = doc["components"]["schemas"]
    assert {"question_kind", "escalated", "escalated_at", "escalation_reason"} <= set(
        schemas["Ticket"]["properties"]
    )
    assert "question_kind" in schemas["SimTicketStatus"]["properties"]
