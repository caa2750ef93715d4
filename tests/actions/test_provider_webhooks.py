"""The webhook receiver's rules, on a real store: signatures, validation, dedupe, ordering."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest

from actions.case_memory import CaseMemory
from actions.provider_webhooks import receive, sign, verify_signature
from tests.actions.store_fixtures import sqlite_url

SECRET = "test-webhook-secret-0123456789"
PROVIDERS = ["nimbus-telecom", "voltra-motors"]
TICKET = {
    "id": "TCK-W1",
    "provider": "nimbus-telecom",
    "account_id": "NT-908812",
    "category": "internet",
    "summary": "Internet drops",
    "status": "in_progress",
    "question": None,
    "created_at": "2026-11-23T09:00:00Z",
    "updated_at": "2026-11-23T09:15:00Z",
}


@pytest.fixture
def memory(tmp_path) -> Iterator[CaseMemory]:
    store = CaseMemory(sqlite_url(tmp_path))
    yield store
    store.close()


def event(event_id="EVT-1", type="ticket.status_changed", data=None, **extra) -> bytes:
    envelope = {"id": event_id, "type": type, "created_at": "2026-11-23T09:15:00Z"}
    envelope["data"] = TICKET if data is None else data
    return json.dumps({**envelope, **extra}).encode()


def deliver(memory, body: bytes, signature: str | None = "sign", provider="nimbus-telecom"):
    if signature == "sign":
        signature = sign(SECRET, body, int(time.time()))
    return receive(memory, SECRET, provider, PROVIDERS, body, signature)


def test_signature_rules():
    body = b'{"a":1}'
    now = 1_800_000_000
    header = sign(SECRET, body, now)
    assert verify_signature(SECRET, body, header, now=now + 299)
    assert not verify_signature(SECRET, body, header, now=now + 301)  # too old
    assert not verify_signature(SECRET, body, header, now=now - 301)  # from the future
    assert not verify_signature(SECRET, body + b" ", header, now=now)
    assert not verify_signature("another-secret-0123456789", body, header, now=now)
    assert not verify_signature(SECRET, body, None, now=now)
    assert not verify_signature(SECRET, body, "t=abc,v1=00", now=now)


@pytest.mark.parametrize(
    "signature",
    [None, "", "t=1,v1=deadbeef", sign("another-secret-0123456789", event(), int(time.time()))],
)
def test_bad_or_missing_signatures_are_401_and_change_nothing(memory, signature):
    status, body = deliver(memory, event(), signature)
    assert status == 401 and body["error"]["code"] == "invalid_signature"
    assert memory.events() == [] and memory.cases() == []


def test_stale_signature_is_refused(memory):
    body = event()
    status, _ = deliver(memory, body, sign(SECRET, body, int(time.time()) - 600))
    assert status == 401 and memory.events() == []


def test_a_ticket_event_updates_the_case_once(memory):
    status, body = deliver(memory, event())
    assert (status, body["status"]) == (200, "applied")
    case = memory.case("TCK-W1")
    assert case.status == "in_progress" and case.last_event_at is not None
    # The provider's retry of the same event: accepted, nothing changes.
    status, body = deliver(memory, event())
    assert (status, body["status"]) == (200, "duplicate")
    assert len(memory.events()) == 1 and memory.case("TCK-W1") == case


def test_an_older_event_does_not_move_the_case_back(memory):
    deliver(memory, event())
    older = {**TICKET, "status": "open", "updated_at": "2026-11-23T09:00:00Z"}
    status, body = deliver(memory, event("EVT-0", data=older))
    assert (status, body["status"]) == (200, "stale")
    assert memory.case("TCK-W1").status == "in_progress"


@pytest.mark.parametrize(
    "raw, field",
    [
        ({"type": "ticket.status_changed", "created_at": "2026-11-23T09:15:00Z", "data": {}}, "id"),
        ({"id": "E", "type": "x", "created_at": "yesterday", "data": {}}, "created_at"),
        ({"id": "E", "type": "x", "created_at": "2026-11-23T09:15:00Z"}, "data"),
        (
            {
                "id": "E",
                "type": "ticket.status_changed",
                "created_at": "2026-11-23T09:15:00Z",
                "data": {**TICKET, "updated_at": None},
            },
            "data.updated_at",
        ),
    ],
)
def test_invalid_bodies_are_422_naming_the_field(memory, raw, field):
    status, body = deliver(memory, json.dumps(raw).encode())
    assert status == 422
    assert field in [f["field"] for f in body["error"]["details"]["fields"]]
    assert field in body["error"]["message"]
    assert memory.events() == []


def test_not_json_and_unknown_provider(memory):
    assert deliver(memory, b"not json")[0] == 400
    assert deliver(memory, b"[1, 2]")[0] == 422
    assert deliver(memory, event(), provider="acme")[0] == 404
    assert memory.events() == []


def test_unknown_types_are_stored_and_ignored(memory):
    status, body = deliver(memory, event("EVT-9", type="parts_order.delivered", data={"id": "X"}))
    assert (status, body["status"]) == (202, "ignored")
    assert [e["type"] for e in memory.events()] == ["parts_order.delivered"]
    assert memory.cases() == []


def test_a_call_event_without_the_call_is_refused_and_changes_nothing(memory):
    status, body = deliver(memory, event("EVT-10", type="call.queued", data={"id": "CALL-1"}))
    assert status == 422, body
    fields = {f["field"] for f in body["error"]["details"]["fields"]}
    assert {"data.provider", "data.state", "data.updated_at"} <= fields
    assert memory.events() == []


def test_appointments_and_orders_are_kept_for_later(memory):
    appointment = {
        "id": "APT-1",
        "provider": "voltra-motors",
        "account_id": "VM-100234",
        "slot_id": "SLOT-voltra-motors-SC-LIS-1-202611241000",
        "start": "2026-11-24T10:00:00Z",
        "end": "2026-11-24T12:00:00Z",
        "location": {"id": "SC-LIS-1", "name": "Lisbon"},
        "service": "repair",
        "status": "booked",
        "created_at": "2026-11-23T09:00:00Z",
        "updated_at": "2026-11-23T09:00:00Z",
    }
    assert deliver(memory, event("EVT-A", "appointment.changed", appointment))[0] == 200
    order = {
        "id": "ORD-1",
        "provider": "voltra-motors",
        "sku": "VM-CPA-3",
        "quantity": 1,
        "status": "shipped",
        "updated_at": "2026-11-24T09:00:00Z",
    }
    assert deliver(memory, event("EVT-O", "parts_order.shipped", order))[0] == 200
    assert memory.appointment("APT-1")["location"] == "SC-LIS-1"
    assert memory.order("ORD-1")["status"] == "shipped"
