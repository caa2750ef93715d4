"""Case summaries and digests, built from a real store (SQLite, and PostgreSQL for the main one)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from actions.core.clock import naive_utc
from actions.handoff.case_records import ConsentLine, Reply, Spend
from actions.handoff.case_summary import HandoffLine, case_summary, digest
from actions.handoff.request_lines import RequestLine
from actions.providers.desk_audit import AuditEntry
from actions.store import cases, consent_records
from actions.store.case_memory import CaseMemory
from actions.store.schema import handoffs

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)
VOLTRA, NIMBUS = "voltra-motors", "nimbus-telecom"
CONV, OTHER_CONV = "conv-1", "conv-2"
SECRET = "date of birth 1970-01-02"


def m(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def iso(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


class Clock:
    def __init__(self) -> None:
        self.now = T0


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """The store's own clock (decided_at, used_at, first_seen_at), set by each step."""
    clock = Clock()
    for module in (cases, consent_records):
        monkeypatch.setattr(module, "utc_now", lambda: clock.now)
    return clock


@pytest.fixture
def memory(tmp_path) -> Iterator[CaseMemory]:
    store = CaseMemory(f"sqlite:///{tmp_path}/s.sqlite3")
    yield store
    store.close()


# --- filling the store as the actions do ------------------------------------------------------


def ticket(ticket_id: str, status: str, updated: datetime, **extra: Any) -> dict[str, Any]:
    return {
        "id": ticket_id,
        "provider": VOLTRA,
        "account_id": "VM-5521",
        "category": "charging",
        "summary": "The car will not charge",
        "severity": "normal",
        "status": status,
        "question": None,
        "created_at": iso(T0),
        "updated_at": iso(updated),
        **extra,
    }


def request(
    memory: CaseMemory,
    at: datetime,
    path: str,
    body: Any,
    key: str | None,
    resource_id: str | None = None,
    outcome: str = "ok",
    method: str = "POST",
    conversation_id: str = CONV,
    provider: str = VOLTRA,
    **extra: Any,
) -> None:
    status = {"ok": 201, "rejected": 409, "unavailable": 503, "unknown": None}[outcome]
    memory.record_request(
        AuditEntry(
            at=at,
            provider=provider,
            method=method,
            path=path,
            outcome=outcome,
            attempts=1,
            duration_ms=30,
            conversation_id=conversation_id,
            idempotency_key=key,
            request_body=body,
            status=status,
            resource_id=resource_id,
            **extra,
        )
    )


def webhook(memory: CaseMemory, event_id: str, type: str, data: dict[str, Any]) -> None:
    received = datetime.fromisoformat(data["updated_at"].replace("Z", "+00:00"))
    envelope = {"id": event_id, "type": type, "created_at": data["updated_at"], "data": data}
    memory.remember_event(
        event_id,
        type,
        received + timedelta(seconds=2),
        provider=VOLTRA,
        resource_id=data["id"],
        created_at=received,
        payload=envelope,
    )
    memory.upsert_case_from_ticket(data, event_at=received)


def consent(
    memory: CaseMemory,
    clock: Clock,
    at: datetime,
    decision: str,
    sku: str,
    amount: float,
    currency: str = "EUR",
    used_by: str | None = None,
    owner_words: str | None = None,
    conversation_id: str = CONV,
) -> int:
    clock.now = at
    return memory.record_consent(
        conversation_id,
        "parts_order",
        decision,
        provider=VOLTRA,
        description=f"1 x part ({sku})",
        amount=amount,
        currency=currency,
        owner_words=owner_words,
        data={"item": sku},
        asked_at=at - timedelta(minutes=1),
        expires_at=at + timedelta(minutes=15) if decision == "granted" else None,
        used_by=used_by,
    )


def handoff(memory: CaseMemory, **values: Any) -> int:
    values["asked_at"] = naive_utc(values["asked_at"])
    values["closed_at"] = naive_utc(values.get("closed_at"))
    with memory.engine.begin() as conn:
        return int(conn.execute(handoffs.insert().values(**values)).inserted_primary_key[0])


def fill(memory: CaseMemory, clock: Clock) -> dict[str, int]:
    """Case TCK-V1 (ticket, notes, appointment, orders, webhooks) and its neighbours."""
    ids: dict[str, int] = {}
    create = {"provider": VOLTRA, "category": "charging", "summary": "The car will not charge"}
    # The ticket: a first attempt the desk did not take, then its resend (same key).
    request(memory, m(0), "/v1/tickets", create, "k-ticket", outcome="unavailable")
    request(memory, m(1), "/v1/tickets", create, "k-ticket", "TCK-V1")
    clock.now = m(1)
    memory.upsert_case_from_ticket(ticket("TCK-V1", "open", m(1)), conversation_id=CONV)
    # Another case of the same conversation; its id starts with the first one's.
    wipers = {**create, "category": "wipers", "summary": "Wipers squeak"}
    request(memory, m(2), "/v1/tickets", wipers, "k-ticket10", "TCK-V10")
    memory.upsert_case_from_ticket(
        ticket("TCK-V10", "open", m(2), category="wipers", summary="Wipers squeak"),
        conversation_id=CONV,
    )
    webhook(memory, "EVT-1", "ticket.status_changed", ticket("TCK-V1", "in_progress", m(5)))
    # The same news delivered again under another event id.
    webhook(memory, "EVT-1b", "ticket.status_changed", ticket("TCK-V1", "in_progress", m(5)))
    note10 = "/v1/tickets/TCK-V10/notes"
    request(memory, m(10) - timedelta(seconds=1), note10, {"text": "Also at night"}, "k-n10b")
    request(memory, m(10), "/v1/tickets/TCK-V1/notes", {"text": "Since the update"}, "k-note1")
    request(memory, m(12), "/v1/tickets/TCK-V1", None, None, "TCK-V1", method="GET")
    request(
        memory, m(15), note10, {"text": "Only in rain"}, "k-n10", outcome="unknown", error_code="x"
    )
    note = "/v1/tickets/TCK-V1/notes"
    request(memory, m(20), note, {"text": "[withheld: identity answer]"}, "k-note2")
    request(memory, m(21), note, {"redacted": True, "text": SECRET}, "k-note3")
    ids["refused"] = consent(
        memory, clock, m(25), "refused", "VM-BAT-1", 450.0, owner_words="no, too much"
    )
    ids["h_answered"] = handoff(
        memory,
        point="spend_consent",
        conversation_id=CONV,
        provider=VOLTRA,
        subject="VM-BAT-1",
        status="answered",
        asked_at=m(24),
        closed_at=m(25),
        outcome="refused",
    )
    booking = {"slot_id": "SLOT-LIS-1", "ticket_id": "TCK-V1", "service": "repair"}
    request(memory, m(30), "/v1/appointments", booking, "k-appt", "APT-1")
    memory.upsert_appointment(
        {
            "id": "APT-1",
            "provider": VOLTRA,
            "slot_id": "SLOT-LIS-1",
            "start": "2026-11-25T10:00:00Z",
            "end": "2026-11-25T11:00:00Z",
            "location": {"id": "LIS", "name": "Voltra Lisbon"},
            "service": "repair",
            "ticket_id": "TCK-V1",
            "status": "booked",
            "created_at": iso(m(30)),
            "updated_at": iso(m(30)),
        }
    )
    # A parts order the owner said yes to.
    ids["granted"] = consent(
        memory, clock, m(35), "granted", "VM-CPA-3", 189.5, owner_words="yes, order it"
    )
    order = {"sku": "VM-CPA-3", "quantity": 1, "appointment_id": "APT-1"}
    request(memory, m(40), "/v1/parts/orders", order, "k-order1", "ORD-1")
    clock.now = m(40)
    assert memory.use_consent(ids["granted"], "k-order1")
    memory.upsert_order(
        {
            "id": "ORD-1",
            "provider": VOLTRA,
            "sku": "VM-CPA-3",
            "name": "Charging port assembly",
            "quantity": 1,
            "unit_price": 189.5,
            "total": 189.5,
            "currency": "EUR",
            "appointment_id": "APT-1",
            "status": "placed",
            "created_at": iso(m(40)),
            "updated_at": iso(m(40)),
        }
    )
    move = "/v1/appointments/APT-1/reschedule"
    request(memory, m(45), move, {"slot_id": "SLOT-LIS-2"}, "k-resched", "APT-1")
    # Within the owner's spending limit: recorded and used at once.
    ids["within"] = consent(
        memory, clock, m(50), "within_limit", "VM-FUSE-10", 24.0, used_by="k-order2"
    )
    fuses = {"sku": "VM-FUSE-10", "quantity": 2, "appointment_id": "APT-1"}
    request(memory, m(50), "/v1/parts/orders", fuses, "k-order2", "ORD-2")
    cable = {"sku": "VM-CAB-7", "quantity": 1, "appointment_id": "APT-1"}
    request(
        memory,
        m(55),
        "/v1/parts/orders",
        cable,
        "k-order3",
        outcome="rejected",
        error_code="out_of_stock",
    )
    ids["gbp"] = consent(memory, clock, m(57), "granted", "VM-ADP-UK", 12.5, "GBP")
    adapter = {"sku": "VM-ADP-UK", "quantity": 1, "appointment_id": "APT-1"}
    request(memory, m(58), "/v1/parts/orders", adapter, "k-order4", "ORD-4")
    clock.now = m(58)
    assert memory.use_consent(ids["gbp"], "k-order4")
    question = "Which charger do you use?"
    awaiting = ticket("TCK-V1", "awaiting_customer", m(60), question=question)
    webhook(memory, "EVT-2", "ticket.awaiting_customer", awaiting)
    # The other case's appointment is known from the store only; its order is not TCK-V1's.
    memory.upsert_appointment(
        {
            "id": "APT-10",
            "provider": VOLTRA,
            "slot_id": "SLOT-LIS-9",
            "location": "LIS",
            "ticket_id": "TCK-V10",
            "status": "booked",
            "updated_at": iso(m(65)),
        }
    )
    ids["wipers"] = consent(memory, clock, m(70), "within_limit", "VM-WIP-2", 9.9, used_by="k-o10")
    wiper = {"sku": "VM-WIP-2", "quantity": 1, "appointment_id": "APT-10"}
    request(memory, m(70), "/v1/parts/orders", wiper, "k-o10", "ORD-10")
    memory.upsert_case_from_ticket(
        ticket(
            "TCK-V10",
            "awaiting_customer",
            m(80),
            category="wipers",
            summary="Wipers squeak",
            question="Which wiper model?",
        )
    )
    ids["h_waiting"] = handoff(
        memory,
        point="appointment_choice",
        conversation_id=CONV,
        provider=VOLTRA,
        subject="TCK-V10",
        status="waiting",
        asked_at=m(85),
    )
    webhook(memory, "EVT-3", "ticket.status_changed", ticket("TCK-V1", "resolved", m(120)))
    # A finished case of the same conversation, and an open one of another conversation.
    memory.upsert_case_from_ticket(ticket("TCK-V3", "resolved", m(90)), conversation_id=CONV)
    memory.upsert_case_from_ticket(
        {**ticket("TCK-N20", "open", m(180)), "provider": NIMBUS}, conversation_id=OTHER_CONV
    )
    handoff(
        memory,
        point="identity_question",
        conversation_id=OTHER_CONV,
        provider=NIMBUS,
        subject="TCK-N20",
        status="waiting",
        asked_at=m(30),
    )
    return ids


def line(
    at: datetime,
    kind: str,
    detail: str,
    resource_id: str | None = None,
    outcome: str = "ok",
    error_code: str | None = None,
) -> RequestLine:
    return RequestLine(at, kind, outcome, resource_id, detail, VOLTRA, error_code)


# --- the tests --------------------------------------------------------------------------------


def test_a_case_is_summarised_completely_and_in_order(any_store, clock):
    ids = fill(any_store, clock)
    summary = case_summary(any_store, VOLTRA, "TCK-V1")
    assert summary is not None
    assert (summary.ticket_id, summary.provider, summary.category) == (
        "TCK-V1",
        VOLTRA,
        "charging",
    )
    assert summary.asked == "The car will not charge"
    assert summary.status == "resolved" and summary.conversation_id == CONV
    assert summary.opened_at == T0 and summary.closed_at == m(120)
    assert summary.requests == [
        line(m(0), "ticket", "The car will not charge", outcome="unavailable"),
        line(m(1), "ticket", "The car will not charge", "TCK-V1"),
        line(m(10), "note", "Since the update"),
        line(m(20), "note", "[withheld]"),
        line(m(21), "note", "[withheld]"),
        line(m(30), "appointment", "SLOT-LIS-1", "APT-1"),
        line(m(40), "parts_order", "1 x VM-CPA-3", "ORD-1"),
        line(m(45), "appointment_change", "reschedule to SLOT-LIS-2", "APT-1"),
        line(m(50), "parts_order", "2 x VM-FUSE-10", "ORD-2"),
        line(m(55), "parts_order", "1 x VM-CAB-7", None, "rejected", "out_of_stock"),
        line(m(58), "parts_order", "1 x VM-ADP-UK", "ORD-4"),
    ]
    assert summary.replies == [
        Reply(m(5), "in_progress", None),
        Reply(m(60), "awaiting_customer", "Which charger do you use?"),
        Reply(m(120), "resolved", None),
    ]
    assert summary.spent == [
        Spend("VM-CPA-3", 189.5, "EUR", "consent", m(40), "ORD-1", VOLTRA),
        Spend("VM-FUSE-10", 24.0, "EUR", "within_limit", m(50), "ORD-2", VOLTRA),
        Spend("VM-ADP-UK", 12.5, "GBP", "consent", m(58), "ORD-4", VOLTRA),
    ]
    assert summary.total_spent == {"EUR": 213.5, "GBP": 12.5}
    assert summary.consents_used == [
        ConsentLine(
            ids["granted"],
            "parts_order",
            VOLTRA,
            "1 x part (VM-CPA-3)",
            189.5,
            "EUR",
            "granted",
            "yes, order it",
            m(35),
            m(40),
            "k-order1",
        ),
        ConsentLine(
            ids["within"],
            "parts_order",
            VOLTRA,
            "1 x part (VM-FUSE-10)",
            24.0,
            "EUR",
            "within_limit",
            None,
            m(50),
            m(50),
            "k-order2",
        ),
        ConsentLine(
            ids["gbp"],
            "parts_order",
            VOLTRA,
            "1 x part (VM-ADP-UK)",
            12.5,
            "GBP",
            "granted",
            None,
            m(57),
            m(58),
            "k-order4",
        ),
    ]
    assert summary.still_open == [("TCK-V10", VOLTRA, "awaiting_customer")]
    assert summary.handoffs_waiting == [("appointment_choice", VOLTRA, "TCK-V10")]
    assert all(r.at.tzinfo is timezone.utc for r in summary.requests)
    assert SECRET not in repr(summary) and "identity answer" not in repr(summary)


def test_the_digest_counts_a_period_and_nothing_outside_it(any_store, clock):
    ids = fill(any_store, clock)
    # Given in another zone: the same instants.
    plus2 = timezone(timedelta(hours=2))
    found = digest(any_store, m(10).astimezone(plus2), m(50).astimezone(plus2), CONV)
    assert found.since == m(10) and found.until == m(50)
    assert found.since.tzinfo is timezone.utc
    assert found.counts == {"ok": 6, "rejected": 0, "unavailable": 0, "unknown": 1}
    assert found.reads == 1
    # The note one second before the period and the order at its (exclusive) end are out.
    assert found.requests == [
        line(m(10), "note", "Since the update"),
        line(m(15), "note", "Only in rain", outcome="unknown", error_code="x"),
        line(m(20), "note", "[withheld]"),
        line(m(21), "note", "[withheld]"),
        line(m(30), "appointment", "SLOT-LIS-1", "APT-1"),
        line(m(40), "parts_order", "1 x VM-CPA-3", "ORD-1"),
        line(m(45), "appointment_change", "reschedule to SLOT-LIS-2", "APT-1"),
    ]
    assert found.spent == [Spend("VM-CPA-3", 189.5, "EUR", "consent", m(40), "ORD-1", VOLTRA)]
    assert found.total_spent == {"EUR": 189.5}
    assert [(c.id, c.used_by) for c in found.consents_used] == [(ids["granted"], "k-order1")]
    (refused,) = found.consents_refused
    assert (refused.id, refused.decision, refused.amount, refused.owner_words) == (
        ids["refused"],
        "refused",
        450.0,
        "no, too much",
    )
    assert refused.used_at is None and refused.decided_at == m(25)
    assert found.handoffs == [
        HandoffLine(
            ids["h_answered"],
            "spend_consent",
            CONV,
            VOLTRA,
            "VM-BAT-1",
            "answered",
            m(24),
            m(25),
            "refused",
        )
    ]
    assert found.still_open == [("TCK-V10", VOLTRA, "awaiting_customer")]
    assert found.handoffs_waiting == [("appointment_choice", VOLTRA, "TCK-V10")]
    assert SECRET not in repr(found)


def test_a_digest_of_everyone_spans_conversations(memory, clock):
    fill(memory, clock)
    found = digest(memory, T0, T0 + timedelta(days=1))
    assert found.counts == {"ok": 12, "rejected": 1, "unavailable": 1, "unknown": 1}
    assert len(found.requests) == 15 and found.reads == 1
    assert [(s.item, s.amount, s.basis) for s in found.spent] == [
        ("VM-CPA-3", 189.5, "consent"),
        ("VM-FUSE-10", 24.0, "within_limit"),
        ("VM-ADP-UK", 12.5, "consent"),
        ("VM-WIP-2", 9.9, "within_limit"),
    ]
    assert found.total_spent == {"EUR": 223.4, "GBP": 12.5}
    assert found.still_open == [
        ("TCK-N20", NIMBUS, "open"),
        ("TCK-V10", VOLTRA, "awaiting_customer"),
    ]
    assert found.handoffs_waiting == [
        ("identity_question", NIMBUS, "TCK-N20"),
        ("appointment_choice", VOLTRA, "TCK-V10"),
    ]
    assert [h.point for h in found.handoffs] == [
        "spend_consent",
        "identity_question",
        "appointment_choice",
    ]
    # An empty period: nothing done, the open cases still listed.
    empty = digest(memory, T0 - timedelta(days=2), T0 - timedelta(days=1), CONV)
    assert empty.counts == {"ok": 0, "rejected": 0, "unavailable": 0, "unknown": 0}
    assert empty.requests == [] and empty.spent == [] and empty.total_spent == {}
    assert empty.still_open == [("TCK-V10", VOLTRA, "awaiting_customer")]


def test_another_case_gets_its_own_requests_and_its_open_question(memory, clock):
    fill(memory, clock)
    summary = case_summary(memory, VOLTRA, "TCK-V10")
    assert summary is not None
    assert summary.requests == [
        line(m(2), "ticket", "Wipers squeak", "TCK-V10"),
        line(m(10) - timedelta(seconds=1), "note", "Also at night"),
        line(m(15), "note", "Only in rain", outcome="unknown", error_code="x"),
        # Its appointment is known from the appointments table only.
        line(m(70), "parts_order", "1 x VM-WIP-2", "ORD-10"),
    ]
    assert summary.replies == [Reply(m(80), "awaiting_customer", "Which wiper model?")]
    assert summary.spent == [Spend("VM-WIP-2", 9.9, "EUR", "within_limit", m(70), "ORD-10", VOLTRA)]
    assert summary.total_spent == {"EUR": 9.9}
    assert [c.used_by for c in summary.consents_used] == ["k-o10"]
    assert summary.status == "awaiting_customer" and summary.closed_at is None
    # TCK-V1 is resolved, TCK-V3 too: nothing else of the conversation is open.
    assert summary.still_open == []
    assert summary.handoffs_waiting == [("appointment_choice", VOLTRA, "TCK-V10")]


def test_an_order_without_a_consent_row(memory, clock):
    memory.upsert_case_from_ticket(ticket("TCK-X", "in_progress", m(1)))
    booking = {"slot_id": "SLOT-1", "ticket_id": "TCK-X"}
    request(memory, m(2), "/v1/appointments", booking, "k-a", "APT-X", conversation_id=None)
    body = {"sku": "VM-FREE", "quantity": 2, "appointment_id": "APT-X"}
    request(memory, m(3), "/v1/parts/orders", body, "k-o1", "ORD-X1", conversation_id=None)
    body = {"sku": "VM-GONE", "appointment_id": "APT-X"}
    request(memory, m(4), "/v1/parts/orders", body, "k-o2", "ORD-X2", conversation_id=None)
    # The first order is stored as the desk sent it; the second is known from the log only.
    memory.upsert_order(
        {
            "id": "ORD-X1",
            "provider": VOLTRA,
            "sku": "VM-FREE",
            "quantity": 2,
            "unit_price": 15.0,
            "total": 30.0,
            "currency": "EUR",
            "appointment_id": "APT-X",
            "status": "placed",
            "updated_at": iso(m(3)),
        }
    )
    summary = case_summary(memory, VOLTRA, "TCK-X")
    assert summary is not None
    assert summary.spent == [
        Spend("VM-FREE", 30.0, "EUR", None, m(3), "ORD-X1", VOLTRA),
        Spend("VM-GONE", None, None, None, m(4), "ORD-X2", VOLTRA),
    ]
    assert summary.total_spent == {"EUR": 30.0}
    assert summary.consents_used == [] and summary.replies == []
    # Without a conversation, every open case and waiting handoff counts as still open.
    memory.upsert_case_from_ticket(ticket("TCK-Y", "open", m(5)), conversation_id="conv-9")
    handoff(
        memory,
        point="spend_consent",
        conversation_id="conv-9",
        provider=VOLTRA,
        subject="VM-X",
        status="waiting",
        asked_at=m(6),
    )
    summary = case_summary(memory, VOLTRA, "TCK-X")
    assert summary.still_open == [("TCK-Y", VOLTRA, "open")]
    assert summary.handoffs_waiting == [("spend_consent", VOLTRA, "VM-X")]


def test_an_unknown_case_has_no_summary(memory, clock):
    fill(memory, clock)
    assert case_summary(memory, VOLTRA, "TCK-NOPE") is None
    assert case_summary(memory, VOLTRA, "TCK") is None
