"""The webhook receiver's rules, on a real store: signatures, validation, dedupe, ordering, and
one company never speaking for another (its own secret, its own resources, its own ids).

The signature itself and the per-provider secrets are tests/actions/providers/test_webhooks.py."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest

from actions.calls.tracker import CallTracker
from actions.owner.profile import load_profile
from actions.providers.desk_models import Call
from actions.providers.webhooks import provider_secret, sign
from actions.store.calls import CallStore
from actions.store.case_memory import CaseMemory
from actions.store.notices import NoticeOutbox
from actions.store.preferences import PreferenceStore
from actions.store.provider_events import receive
from tests.actions.store_fixtures import sqlite_url
from tests.conftest import PROJECT_ROOT

SECRET = "test-webhook-secret-0123456789"  # the master secret (STANDIN_WEBHOOK_SECRET)
NIMBUS, VOLTRA = "nimbus-telecom", "voltra-motors"
PROVIDERS = [NIMBUS, VOLTRA]
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


def deliver(
    memory, body: bytes, signature: str | None = "sign", provider=NIMBUS, calls=None, on_case=None
):
    """POST `body` to `provider`'s URL, signed by default with that provider's own secret."""
    if signature == "sign":
        signature = sign(provider_secret(SECRET, provider), body, int(time.time()))
    return receive(memory, SECRET, provider, PROVIDERS, body, signature, calls, on_case)


@pytest.mark.parametrize(
    "signature",
    [
        None,
        "",
        "t=1,v1=deadbeef",
        sign("another-secret-0123456789", event(), int(time.time())),
        # The master secret signs nothing: each subscription has its own.
        sign(SECRET, event(), int(time.time())),
        # Voltra's own secret does not sign for Nimbus's URL.
        sign(provider_secret(SECRET, VOLTRA), event(), int(time.time())),
    ],
)
def test_bad_or_missing_signatures_are_401_and_change_nothing(memory, signature):
    status, body = deliver(memory, event(), signature)
    assert status == 401 and body["error"]["code"] == "invalid_signature"
    assert memory.events() == [] and memory.cases() == []


def test_stale_signature_is_refused(memory):
    body = event()
    status, _ = deliver(
        memory, body, sign(provider_secret(SECRET, NIMBUS), body, int(time.time()) - 600)
    )
    assert status == 401 and memory.events() == []


def test_a_ticket_event_updates_the_case_once(memory):
    status, body = deliver(memory, event())
    assert (status, body["status"]) == (200, "applied")
    case = memory.case(NIMBUS, "TCK-W1")
    assert case.status == "in_progress" and case.last_event_at is not None
    # The provider's retry of the same event: accepted, nothing changes.
    status, body = deliver(memory, event())
    assert (status, body["status"]) == (200, "duplicate")
    assert len(memory.events()) == 1 and memory.case(NIMBUS, "TCK-W1") == case


def test_an_older_event_does_not_move_the_case_back(memory):
    deliver(memory, event())
    older = {**TICKET, "status": "open", "updated_at": "2026-11-23T09:00:00Z"}
    status, body = deliver(memory, event("EVT-0", data=older))
    assert (status, body["status"]) == (200, "stale")
    assert memory.case(NIMBUS, "TCK-W1").status == "in_progress"


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
    status, _ = deliver(memory, event("EVT-A", "appointment.changed", appointment), provider=VOLTRA)
    assert status == 200
    order = {
        "id": "ORD-1",
        "provider": "voltra-motors",
        "sku": "VM-CPA-3",
        "quantity": 1,
        "status": "shipped",
        "updated_at": "2026-11-24T09:00:00Z",
    }
    status, _ = deliver(memory, event("EVT-O", "parts_order.shipped", order), provider=VOLTRA)
    assert status == 200
    assert memory.appointment(VOLTRA, "APT-1")["location"] == "SC-LIS-1"
    assert memory.order(VOLTRA, "ORD-1")["status"] == "shipped"


# --- one company never speaks for another -------------------------------------------------

VOLTRA_TICKET = {**TICKET, "provider": VOLTRA, "account_id": "VM-100234", "status": "open"}
APPOINTMENT = {
    "id": "APT-V1",
    "provider": VOLTRA,
    "status": "booked",
    "start": "2026-11-24T10:00:00Z",
    "updated_at": "2026-11-23T09:00:00Z",
}
ORDER = {"id": "ORD-V1", "provider": VOLTRA, "status": "placed", "updated_at": "2026-11-23T09:00Z"}


@pytest.mark.parametrize(
    "type, forged",
    [
        ("ticket.status_changed", {**VOLTRA_TICKET, "status": "closed"}),
        ("ticket.awaiting_customer", {**VOLTRA_TICKET, "question": "Your PIN?"}),
        ("appointment.changed", {**APPOINTMENT, "status": "cancelled"}),
        ("parts_order.shipped", {**ORDER, "status": "shipped"}),
    ],
)
def test_an_event_about_another_providers_resource_is_refused_and_changes_nothing(
    memory, type, forged
):
    # Voltra's own resources, as Voltra reported them.
    for event_id, event_type, data in (
        ("EVT-V0", "ticket.status_changed", VOLTRA_TICKET),
        ("EVT-V1", "appointment.changed", APPOINTMENT),
        ("EVT-V2", "parts_order.shipped", ORDER),
    ):
        status, body = deliver(memory, event(event_id, event_type, data), provider=VOLTRA)
        assert (status, body["status"]) == (200, "applied")
    before = (memory.cases(), memory.appointment(VOLTRA, "APT-V1"), memory.order(VOLTRA, "ORD-V1"))
    events_before = memory.events()
    closed: list[tuple[str, str]] = []

    # Nimbus, with its own valid signature on its own URL, about Voltra's resource (newer).
    later = {**forged, "updated_at": "2026-11-30T09:00:00Z"}
    status, body = deliver(
        memory, event("EVT-N1", type, later), provider=NIMBUS, on_case=lambda *c: closed.append(c)
    )
    assert status == 422 and body["error"]["code"] == "provider_mismatch", body
    assert [f["field"] for f in body["error"]["details"]["fields"]] == ["data.provider"]
    after = (memory.cases(), memory.appointment(VOLTRA, "APT-V1"), memory.order(VOLTRA, "ORD-V1"))
    assert after == before and memory.events() == events_before and closed == []
    assert memory.case(NIMBUS, "TCK-W1") is None  # nor was it stored as Nimbus's


def test_two_providers_with_the_same_ids_keep_two_cases(memory):
    # The same ticket id and the same event id at two companies: two cases, two events.
    assert deliver(memory, event("EVT-SAME"), provider=NIMBUS)[1]["status"] == "applied"
    voltra = {**VOLTRA_TICKET, "status": "resolved", "updated_at": "2026-11-23T10:00:00Z"}
    status, body = deliver(memory, event("EVT-SAME", data=voltra), provider=VOLTRA)
    assert (status, body["status"]) == (200, "applied")  # not a duplicate of Nimbus's event
    nimbus_case, voltra_case = memory.case(NIMBUS, "TCK-W1"), memory.case(VOLTRA, "TCK-W1")
    assert (nimbus_case.status, voltra_case.status) == ("in_progress", "resolved")
    assert voltra_case.account_id == "VM-100234"
    # A later Nimbus event moves Nimbus's case only.
    closed = {**TICKET, "status": "closed", "updated_at": "2026-11-24T09:00:00Z"}
    changed: list[tuple[str, str]] = []
    deliver(memory, event("EVT-N2", data=closed), on_case=lambda *c: changed.append(c))
    assert memory.case(NIMBUS, "TCK-W1").status == "closed"
    assert memory.case(VOLTRA, "TCK-W1") == voltra_case
    assert changed == [(NIMBUS, "TCK-W1")]  # the closing account names the provider too
    assert sorted((e["provider"], e["event_id"]) for e in memory.events()) == [
        (NIMBUS, "EVT-N2"),
        (NIMBUS, "EVT-SAME"),
        (VOLTRA, "EVT-SAME"),
    ]


def _call(call_id: str, provider: str, state: str, updated_at: str) -> dict:
    return {"id": call_id, "provider": provider, "state": state, "updated_at": updated_at}


@pytest.fixture
def calls(memory) -> CallTracker:
    """A call tracker as the runtime builds one, on the same store. It never dials here (the
    webhook path only applies snapshots), so it has no dialer."""
    outbox = NoticeOutbox(memory.engine)
    profile = load_profile(PROJECT_ROOT / "owner.yml")
    preferences = PreferenceStore(memory.engine)
    return CallTracker(
        dialer=None,  # type: ignore[arg-type]
        store=CallStore(memory.engine, outbox),
        outbox=outbox,
        profile=profile,
        preferences=lambda: preferences.load(profile.owner.phone, profile.preferences),
        answer_timeout_s=60,
        poll_interval_s=30,
    )


def test_a_call_event_about_another_providers_call_changes_nothing(memory, calls):
    placed = Call.parse_obj(_call("CALL-V1", VOLTRA, "dialing", "2026-11-23T09:00:00Z"))
    calls.store.create(
        placed,
        account_id="VM-100234",
        reason="charging port",
        topic=None,
        conversation_id="conv-calls",
        output_channel="callback",
        notify={},
        steps=[],
    )
    before = calls.store.get("CALL-V1")
    queued = _call("CALL-V1", VOLTRA, "queued", "2026-11-23T09:05:00Z")

    # Nimbus names Voltra's call as Voltra's: refused whole.
    status, body = deliver(memory, event("EVT-C1", "call.ended", queued), calls=calls)
    assert status == 422 and body["error"]["code"] == "provider_mismatch"
    # Nimbus names Voltra's call id as its own: answered like an unknown call, never applied.
    as_nimbus = {**queued, "provider": NIMBUS, "state": "ended"}
    status, body = deliver(memory, event("EVT-C2", "call.ended", as_nimbus), calls=calls)
    assert (status, body["status"]) == (200, "ignored")
    assert calls.store.get("CALL-V1") == before
    assert calls.store.steps("CALL-V1") == []
    # The store refuses it too, whoever asks (a poll, an action).
    assert calls.apply(Call.parse_obj(as_nimbus), "poll") is None
    assert calls.store.get("CALL-V1") == before

    # Voltra's own event about its call is applied: the checks above are not vacuous.
    status, body = deliver(
        memory, event("EVT-C3", "call.queued", queued), provider=VOLTRA, calls=calls
    )
    assert (status, body["status"]) == (200, "applied"), body
    assert calls.store.get("CALL-V1").state == "queued"
