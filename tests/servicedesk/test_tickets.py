"""Ticket lifecycle over simulated time, notes answering the provider's question, idempotency."""

from __future__ import annotations

ALEX = "sk-nimbus-demo"
SAM = "sk-nimbus-sam"
TICKET = {
    "provider": "nimbus-telecom",
    "category": "internet",
    "summary": "Internet down",
    "description": "The router shows a red light.",
    "severity": "high",
    "device_id": "RT-5521",
    "on_behalf_of": {"name": "Alex Morgan"},
}


def statuses(ticket):
    return [h["status"] for h in ticket["history"]]


def get(desk, ticket_id, key=ALEX):
    status, _, body = desk.get(f"/v1/tickets/{ticket_id}", key=key)
    assert status == 200, body
    return body


def test_create_ticket_shape(desk):
    status, _, t = desk.post("/v1/tickets", TICKET, key=ALEX)
    assert status == 201
    assert t["id"].startswith("TCK-")
    assert t["status"] == "open" and t["question"] is None and t["notes"] == []
    assert t["account_id"] == "NT-908812" and t["provider"] == "nimbus-telecom"
    assert t["on_behalf_of"]["name"] == "Alex Morgan"
    assert t["created_at"].startswith("2026-11-23T09:0") and t["created_at"].endswith("Z")
    assert statuses(t) == ["open"]


def test_lifecycle_with_question_answered_by_note(desk):
    _, _, t = desk.post("/v1/tickets", TICKET, key=ALEX)
    desk.advance(15 * 60)
    t = get(desk, t["id"])
    assert t["status"] == "in_progress"
    desk.advance(30 * 60)
    t = get(desk, t["id"])
    assert t["status"] == "awaiting_customer"
    assert t["question"] == "Which lights on your router are on or blinking right now?"
    status, _, listed = desk.get("/v1/tickets?status=awaiting_customer", key=ALEX)
    assert [x["id"] for x in listed["tickets"]] == [t["id"]]

    status, _, body = desk.post(
        f"/v1/tickets/{t['id']}/notes", {"text": "Power is green, internet is red."}, key=ALEX
    )
    assert status == 201
    assert body["note"]["id"] and body["note"]["text"] == "Power is green, internet is red."
    assert body["ticket"]["status"] == "in_progress" and body["ticket"]["question"] is None
    t = get(desk, t["id"])
    assert t["notes"][0]["answers_question"].startswith("Which lights")

    desk.advance(2 * 3600)
    assert get(desk, t["id"])["status"] == "resolved"
    desk.advance(24 * 3600)
    t = get(desk, t["id"])
    assert t["status"] == "closed"
    assert statuses(t) == [
        "open",
        "in_progress",
        "awaiting_customer",
        "in_progress",
        "resolved",
        "closed",
    ]
    status, _, body = desk.post(f"/v1/tickets/{t['id']}/cancel", key=ALEX)
    assert status == 409 and body["error"]["code"] == "invalid_state"


def test_ticket_without_question_resolves(desk):
    _, _, t = desk.post("/v1/tickets", {**TICKET, "category": "billing"}, key=ALEX)
    desk.advance(15 * 60 + 2 * 3600)
    t = get(desk, t["id"])
    assert statuses(t) == ["open", "in_progress", "resolved"]
    # 15 simulated minutes after creation (a second of slack for a slow machine).
    assert t["history"][1]["at"].startswith("2026-11-23T09:15:0")


def test_cancel(desk):
    _, _, t = desk.post("/v1/tickets", TICKET, key=ALEX)
    status, _, body = desk.post(f"/v1/tickets/{t['id']}/cancel", key=ALEX)
    assert status == 200 and body["status"] == "cancelled"
    desk.advance(3600)
    assert get(desk, t["id"])["status"] == "cancelled"
    status, _, body = desk.post(f"/v1/tickets/{t['id']}/cancel", key=ALEX)
    assert status == 409 and body["error"]["code"] == "invalid_state"


def test_forced_status_via_sim(desk):
    _, _, t = desk.post("/v1/tickets", {**TICKET, "category": "mobile"}, key=ALEX)
    status, _, body = desk.post(
        f"/_sim/tickets/{t['id']}/status",
        {"status": "awaiting_customer", "question": "Which SIM slot?"},
    )
    assert status == 200 and body["question"] == "Which SIM slot?"
    assert get(desk, t["id"])["status"] == "awaiting_customer"


def test_advance_validation(desk):
    for seconds in (0, -5, 10**9, "soon"):
        status, _, body = desk.post("/_sim/advance", {"seconds": seconds})
        assert status == 422, seconds
        assert body["error"]["details"]["fields"][0]["field"] == "seconds"


def test_idempotent_create(desk):
    headers = {"Idempotency-Key": "abc-123"}
    s1, _, first = desk.post("/v1/tickets", TICKET, key=ALEX, headers=headers)
    s2, h2, second = desk.post("/v1/tickets", TICKET, key=ALEX, headers=headers)
    assert s1 == s2 == 201
    assert first == second
    assert h2.get("idempotent-replayed") == "true"
    state = desk.state()
    assert [t["id"] for t in state["tickets"]] == [first["id"]]
    assert state["idempotency_records"] == 1

    status, _, body = desk.post(
        "/v1/tickets", {**TICKET, "summary": "Different"}, key=ALEX, headers=headers
    )
    assert status == 409 and body["error"]["code"] == "idempotency_key_reused"
    assert len(desk.state()["tickets"]) == 1

    # The scope is the account: Sam may use the same key for his own request.
    sam = {**TICKET, "device_id": None, "on_behalf_of": {"name": "Sam Lee"}}
    status, _, body = desk.post("/v1/tickets", sam, key=SAM, headers=headers)
    assert status == 201 and body["account_id"] == "NT-908900"
    # Without a key, each request runs.
    desk.post("/v1/tickets", TICKET, key=ALEX)
    desk.post("/v1/tickets", TICKET, key=ALEX)
    assert len(desk.state()["tickets"]) == 4


def test_idempotent_note_and_cancel(desk):
    _, _, t = desk.post("/v1/tickets", TICKET, key=ALEX)
    h = {"Idempotency-Key": "note-1"}
    s1, _, n1 = desk.post(f"/v1/tickets/{t['id']}/notes", {"text": "more"}, key=ALEX, headers=h)
    s2, _, n2 = desk.post(f"/v1/tickets/{t['id']}/notes", {"text": "more"}, key=ALEX, headers=h)
    assert s1 == s2 == 201 and n1 == n2
    assert len(get(desk, t["id"])["notes"]) == 1
    h = {"Idempotency-Key": "cancel-1"}
    s1, _, c1 = desk.post(f"/v1/tickets/{t['id']}/cancel", key=ALEX, headers=h)
    s2, _, c2 = desk.post(f"/v1/tickets/{t['id']}/cancel", key=ALEX, headers=h)
    assert s1 == s2 == 200 and c1 == c2
