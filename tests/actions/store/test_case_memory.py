"""The case memory on real SQLite and real PostgreSQL: CRUD, atomic dedupe, migrations."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import inspect, text

from actions.providers.desk_audit import AuditEntry
from actions.store.case_memory import CaseMemory
from actions.store.database import make_engine, upgrade
from tests.actions.store_fixtures import postgres_database, sqlite_url

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)
TICKET = {
    "id": "TCK-AAA111",
    "provider": "nimbus-telecom",
    "account_id": "NT-908812",
    "category": "internet",
    "summary": "Internet drops",
    "severity": "normal",
    "status": "open",
    "question": None,
    "created_at": "2026-11-23T09:00:00Z",
    "updated_at": "2026-11-23T09:00:00Z",
}


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:
    if request.param == "sqlite":
        yield sqlite_url(tmp_path)
    else:
        yield from postgres_database()


@pytest.fixture
def memory(store_url: str) -> Iterator[CaseMemory]:
    store = CaseMemory(store_url)
    yield store
    store.close()


def entry(**overrides) -> AuditEntry:
    values = dict(
        at=T0,
        provider="nimbus-telecom",
        method="POST",
        path="/v1/tickets",
        outcome="ok",
        attempts=1,
        duration_ms=12,
        conversation_id="conv-1",
        idempotency_key="standin-abc",
        request_body={"summary": "Internet drops"},
        status=201,
        resource_id="TCK-AAA111",
    )
    return AuditEntry(**{**values, **overrides})


def test_audit_rows_round_trip_and_filter(memory):
    memory.record_request(entry())
    memory.record_request(entry(at=T0 + timedelta(minutes=5), provider="directory", method="GET"))
    memory.record_request(
        entry(at=T0 + timedelta(minutes=10), outcome="unavailable", status=503, resource_id=None)
    )
    rows = memory.audit_entries()
    assert [r.outcome for r in rows] == ["ok", "ok", "unavailable"]
    first = rows[0]
    assert first.at == T0 and first.request_body == {"summary": "Internet drops"}
    assert first.idempotency_key == "standin-abc" and first.resource_id == "TCK-AAA111"
    assert len(memory.audit_entries(provider="directory")) == 1
    window = memory.audit_entries(since=T0 + timedelta(minutes=1), until=T0 + timedelta(minutes=10))
    assert [r.provider for r in window] == ["directory"]
    with pytest.raises(ValueError):
        memory.record_request(entry(outcome="fine"))


def test_cases_upsert_never_move_backwards(memory):
    assert memory.upsert_case_from_ticket(TICKET, conversation_id="conv-1")
    newer = {**TICKET, "status": "in_progress", "updated_at": "2026-11-23T09:15:00Z"}
    assert memory.upsert_case_from_ticket(newer, conversation_id="conv-2", event_at=T0)
    # An older view of the ticket (a late read or event) changes nothing.
    assert not memory.upsert_case_from_ticket(TICKET)
    case = memory.case("nimbus-telecom", "TCK-AAA111")
    assert case.status == "in_progress"
    assert case.updated_at == T0 + timedelta(minutes=15)
    assert case.conversation_id == "conv-1"  # the conversation that opened it stays
    assert case.account_id == "NT-908812" and case.last_event_at == T0
    assert memory.case("nimbus-telecom", "TCK-NOPE") is None


def test_a_status_listing_upserts_every_case_and_moves_none_backwards(memory):
    newer = {**TICKET, "status": "in_progress", "updated_at": "2026-11-23T09:15:00Z"}
    memory.upsert_case_from_ticket(newer, conversation_id="conv-1")
    listing = [TICKET, *({**TICKET, "id": f"TCK-LIST{n:02d}"} for n in range(30))]
    memory.upsert_cases_from_tickets(listing, account_id="NT-908812")
    assert (
        memory.case("nimbus-telecom", "TCK-AAA111").status == "in_progress"
    )  # the older view changed nothing
    listed = [memory.case("nimbus-telecom", f"TCK-LIST{n:02d}") for n in range(30)]
    assert all(c is not None and c.status == "open" for c in listed)
    assert {c.account_id for c in listed} == {"NT-908812"}
    assert memory.upsert_cases_from_tickets([]) == 0


def test_cases_list_by_provider_and_open_only(memory):
    memory.upsert_case_from_ticket(TICKET)
    memory.upsert_case_from_ticket(
        {**TICKET, "id": "TCK-BBB222", "status": "closed", "updated_at": "2026-11-23T10:00:00Z"}
    )
    memory.upsert_case_from_ticket({**TICKET, "id": "TCK-CCC333", "provider": "voltra-motors"})
    assert [c.ticket_id for c in memory.cases(provider="nimbus-telecom")] == [
        "TCK-BBB222",
        "TCK-AAA111",
    ]
    assert {c.ticket_id for c in memory.cases(open_only=True)} == {"TCK-AAA111", "TCK-CCC333"}


def test_event_dedupe_is_atomic_across_connections(store_url):
    # Two stores (two engines, two connections) race the same event ids from two threads.
    stores = [CaseMemory(store_url), CaseMemory(store_url)]
    ids = [f"EVT-{i}" for i in range(20)]
    wins: list[list[bool]] = [[], []]
    barrier = threading.Barrier(2)

    def race(n: int) -> None:
        for event_id in ids:
            barrier.wait()
            wins[n].append(
                stores[n].remember_event(event_id, "ticket.status_changed", T0, "nimbus-telecom")
            )

    threads = [threading.Thread(target=race, args=(n,)) for n in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert all(a != b for a, b in zip(wins[0], wins[1], strict=True)), wins
    assert len(wins[0]) == len(ids)
    assert len(stores[0].events()) == len(ids)
    for store in stores:
        store.close()


def _head_revision() -> str:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from actions.store.database import MIGRATIONS

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(config).get_current_head()


def test_an_older_database_is_upgraded_without_losing_data(store_url):
    engine = make_engine(store_url)
    upgrade(engine, "0001")
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO cases (ticket_id, provider, status, updated_at, first_seen_at)"
                " VALUES ('TCK-OLD1', 'aquaflow-water', 'open', :t, :t)"
            ),
            {"t": datetime(2026, 1, 1, 12, 0)},
        )
    assert "calls" not in inspect(engine).get_table_names()
    engine.dispose()

    memory = CaseMemory(store_url)  # opening the store runs `upgrade head`
    assert memory.case("aquaflow-water", "TCK-OLD1").status == "open"
    tables = set(inspect(memory.engine).get_table_names())
    assert {"calls", "appointments", "orders", "readings", "consents"} <= tables
    with memory.engine.connect() as conn:
        version = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    assert version == _head_revision()
    memory.close()


def test_two_providers_with_the_same_ids_keep_their_own_rows(memory):
    # Ids are each company's own: the same ticket, appointment, order and event id at two
    # providers are two rows, and an update to one never touches the other.
    voltra = {**TICKET, "provider": "voltra-motors", "account_id": "VM-100234"}
    assert memory.upsert_case_from_ticket(TICKET, conversation_id="conv-n")
    assert memory.upsert_case_from_ticket(voltra, conversation_id="conv-v")
    closed = {**voltra, "status": "closed", "updated_at": "2026-11-23T10:00:00Z"}
    assert memory.upsert_case_from_ticket(closed)
    assert memory.case("nimbus-telecom", "TCK-AAA111").status == "open"
    assert memory.case("voltra-motors", "TCK-AAA111").status == "closed"
    assert memory.case("voltra-motors", "TCK-AAA111").conversation_id == "conv-v"
    both = memory.cases_with_id("TCK-AAA111")
    assert [c.provider for c in both] == ["nimbus-telecom", "voltra-motors"]

    for provider, status in (("nimbus-telecom", "booked"), ("voltra-motors", "cancelled")):
        resource = {"id": "R-1", "provider": provider, "status": status}
        assert memory.upsert_appointment({**resource, "updated_at": "2026-11-23T09:00:00Z"})
        assert memory.upsert_order({**resource, "updated_at": "2026-11-23T09:00:00Z"})
    assert memory.appointment("nimbus-telecom", "R-1")["status"] == "booked"
    assert memory.appointment("voltra-motors", "R-1")["status"] == "cancelled"
    assert memory.order("nimbus-telecom", "R-1")["status"] == "booked"
    assert memory.order("voltra-motors", "R-1")["status"] == "cancelled"

    assert memory.remember_event("EVT-1", "ticket.status_changed", T0, "nimbus-telecom")
    assert memory.remember_event("EVT-1", "ticket.status_changed", T0, "voltra-motors")
    assert not memory.remember_event("EVT-1", "ticket.status_changed", T0, "voltra-motors")
    memory.set_event_outcome("voltra-motors", "EVT-1", "applied")
    memory.forget_event("nimbus-telecom", "EVT-1")
    assert [(e["provider"], e["outcome"]) for e in memory.events()] == [
        ("voltra-motors", "applied")
    ]


def test_rows_of_revision_0008_survive_the_provider_keys(store_url):
    """0008 -> 0009 rebuilds four tables with (provider, id) keys: every row is kept."""
    engine = make_engine(store_url)
    upgrade(engine, "0008")
    at = datetime(2026, 1, 1, 12, 0)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO cases (ticket_id, provider, account_id, status, question,"
                " question_kind, updated_at, first_seen_at, conversation_id)"
                " VALUES ('TCK-OLD1', 'aquaflow-water', 'AQ-558812', 'awaiting_customer',"
                " 'Your date of birth?', 'identity', :t, :t, 'conv-old')"
            ),
            {"t": at},
        )
        conn.execute(
            text(
                "INSERT INTO webhook_events (event_id, type, provider, resource_id, received_at,"
                " outcome) VALUES ('EVT-OLD1', 'ticket.status_changed', 'aquaflow-water',"
                " 'TCK-OLD1', :t, 'applied'), ('EVT-OLD2', 'x', NULL, NULL, :t, 'ignored')"
            ),
            {"t": at},
        )
        conn.execute(
            text(
                "INSERT INTO appointments (appointment_id, provider, ticket_id, status, updated_at)"
                " VALUES ('APT-OLD1', 'voltra-motors', 'TCK-OLD2', 'booked', :t)"
            ),
            {"t": at},
        )
        conn.execute(
            text(
                "INSERT INTO orders (order_id, provider, appointment_id, sku, status, updated_at)"
                " VALUES ('ORD-OLD1', 'voltra-motors', 'APT-OLD1', 'VM-CPA-3', 'placed', :t)"
            ),
            {"t": at},
        )
    engine.dispose()

    memory = CaseMemory(store_url)  # opening the store runs `upgrade head`
    case = memory.case("aquaflow-water", "TCK-OLD1")
    assert (case.status, case.question_kind, case.account_id, case.conversation_id) == (
        "awaiting_customer",
        "identity",
        "AQ-558812",
        "conv-old",
    )
    assert [(e["event_id"], e["provider"], e["outcome"]) for e in memory.events()] == [
        ("EVT-OLD1", "aquaflow-water", "applied"),
        ("EVT-OLD2", "", "ignored"),  # stored without a provider: kept under ""
    ]
    assert memory.appointment("voltra-motors", "APT-OLD1")["ticket_id"] == "TCK-OLD2"
    assert memory.order("voltra-motors", "ORD-OLD1")["sku"] == "VM-CPA-3"
    # The old event is still a duplicate for its provider, and the same id is new for another.
    assert not memory.remember_event("EVT-OLD1", "t", at, "aquaflow-water")
    assert memory.remember_event("EVT-OLD1", "t", at, "nimbus-telecom")
    keys = inspect(memory.engine).get_pk_constraint("cases")["constrained_columns"]
    assert keys == ["provider", "ticket_id"]
    memory.close()
