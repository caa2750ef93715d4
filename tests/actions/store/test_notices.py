"""The notice outbox on a real SQLite store: dedupe, claiming, retries, delivery, superseding."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from actions.core.clock import utc_now
from actions.store import notices as notices_module
from actions.store.case_memory import CaseMemory
from actions.store.notices import Notice, NoticeOutbox
from actions.store.schema import notices as notices_table
from tests.actions.store_fixtures import sqlite_url

CONV = "conv-1"
CHANNEL = "callback"


@pytest.fixture
def memory(tmp_path) -> Iterator[CaseMemory]:
    store = CaseMemory(sqlite_url(tmp_path))  # opening it runs the migrations
    yield store
    store.close()


@pytest.fixture
def outbox(memory: CaseMemory) -> NoticeOutbox:
    return NoticeOutbox(memory.engine)


def position(call="CALL-1", pos=5, key=None) -> Notice:
    return Notice(
        "call_position",
        {"provider": "nimbus-telecom", "position": pos},
        subject=call,
        dedupe_key=key or f"{call}:call_position:{pos}",
    )


def add(outbox: NoticeOutbox, notice: Notice) -> int:
    notice_id = outbox.enqueue(notice, CONV, CHANNEL)
    assert notice_id is not None
    return notice_id


def deliver(outbox: NoticeOutbox, notice_id: int) -> None:
    """One attempt that goes through: claimed, said by the action, confirmed by Rasa's 200."""
    [claimed] = [n for n in outbox.claim_due(limit=500) if n.id == notice_id]
    assert claimed.delivery is not None
    assert outbox.mark_said(notice_id, claimed.delivery) is not None
    assert outbox.confirm(notice_id, claimed.delivery)


def status(outbox: NoticeOutbox, notice_id: int) -> str:
    stored = outbox.get(notice_id)
    assert stored is not None
    return stored.status


def last_error(memory: CaseMemory, notice_id: int) -> str | None:
    with memory.engine.connect() as conn:
        return conn.execute(
            select(notices_table.c.last_error).where(notices_table.c.id == notice_id)
        ).scalar_one()


def later(monkeypatch: pytest.MonkeyPatch, seconds: float) -> None:
    """Move the outbox's clock forward (only the outbox's: nothing else sleeps)."""
    moved = utc_now() + timedelta(seconds=seconds)
    monkeypatch.setattr(notices_module, "utc_now", lambda: moved)


def test_a_notice_round_trips(outbox):
    notice_id = add(outbox, position())
    stored = outbox.get(notice_id)
    assert stored is not None
    assert (stored.kind, stored.subject, stored.params) == (
        "call_position",
        "CALL-1",
        {"provider": "nimbus-telecom", "position": 5},
    )
    assert (stored.conversation_id, stored.output_channel) == (CONV, CHANNEL)
    assert (stored.status, stored.attempts, stored.urgent) == ("pending", 0, False)
    assert stored.created_at.tzinfo is not None
    assert stored.sent_at is None and stored.delivered_at is None
    assert outbox.get(notice_id + 100) is None


def test_a_dedupe_key_admits_one_notice(outbox):
    first = outbox.enqueue(position(key="CALL-1:call_position:v1"), CONV, CHANNEL)
    again = outbox.enqueue(position(pos=4, key="CALL-1:call_position:v1"), CONV, CHANNEL)
    assert first is not None and again is None
    [only] = outbox.all()
    assert only.params["position"] == 5
    # The key holds even once the first notice is final.
    deliver(outbox, first)
    assert outbox.enqueue(position(key="CALL-1:call_position:v1"), CONV, CHANNEL) is None


def test_without_a_key_each_notice_gets_its_own(outbox):
    plain = Notice("info", {"n": 1}, subject="CASE-1")
    assert outbox.enqueue(plain, CONV, CHANNEL) is not None
    assert outbox.enqueue(plain, CONV, CHANNEL) is not None
    assert len(outbox.all(subject="CASE-1")) == 2


def test_claim_due_marks_sending_and_counts_the_attempt(outbox):
    calm = add(outbox, position())
    urgent = add(outbox, Notice("agent_connected", {}, subject="CALL-2", urgent=True))
    claimed = outbox.claim_due()
    # One conversation's notices keep their order, urgent or not.
    assert [n.id for n in claimed] == [calm, urgent]
    assert all(n.status == "sending" and n.attempts == 1 for n in claimed)
    stored = outbox.get(calm)
    assert stored is not None and (stored.status, stored.attempts) == ("sending", 1)
    # Claimed once: a second sender finds nothing.
    assert outbox.claim_due() == []


def test_claim_due_honours_the_limit(outbox):
    ids = [add(outbox, position(pos=p, call=f"CALL-{p}")) for p in range(5)]
    assert [n.id for n in outbox.claim_due(limit=2)] == ids[:2]
    assert [n.id for n in outbox.claim_due(limit=10)] == ids[2:]


def test_retry_later_waits_for_the_backoff(outbox, memory, monkeypatch):
    notice_id = add(outbox, position())
    outbox.claim_due()
    outbox.retry_later(notice_id, "Rasa answered 503", delay_s=60, give_up=False)
    assert status(outbox, notice_id) == "pending"
    assert last_error(memory, notice_id) == "Rasa answered 503"
    assert outbox.claim_due() == []  # not due yet
    later(monkeypatch, 30)
    assert outbox.claim_due() == []
    later(monkeypatch, 61)
    [again] = outbox.claim_due()
    assert (again.id, again.attempts, again.status) == (notice_id, 2, "sending")


def test_retry_later_keeps_errors_short(outbox, memory):
    notice_id = add(outbox, position())
    outbox.claim_due()
    outbox.retry_later(notice_id, "x" * 2000, delay_s=0, give_up=False)
    assert len(last_error(memory, notice_id) or "") == 500


def test_giving_up_fails_the_notice_for_good(outbox, monkeypatch):
    notice_id = add(outbox, position())
    outbox.claim_due()
    outbox.retry_later(notice_id, "still down", delay_s=0, give_up=True)
    assert status(outbox, notice_id) == "failed"
    later(monkeypatch, 3600)
    assert outbox.claim_due() == []
    assert outbox.recover() == 0
    assert status(outbox, notice_id) == "failed"


def test_retry_later_only_touches_a_notice_being_sent(outbox):
    notice_id = add(outbox, position())
    outbox.retry_later(notice_id, "late answer", delay_s=60, give_up=True)
    assert status(outbox, notice_id) == "pending"


def test_each_attempt_has_its_own_delivery_id(outbox, monkeypatch):
    notice_id = add(outbox, position())
    [first] = outbox.claim_due()
    outbox.retry_later(notice_id, "Rasa answered 503", delay_s=0, give_up=False)
    [second] = outbox.claim_due()
    assert first.delivery and second.delivery and first.delivery != second.delivery


def test_delivered_only_when_said_by_this_attempt_and_confirmed(outbox):
    notice_id = add(outbox, position())
    [claimed] = outbox.claim_due()
    # Rasa answered 200, but the action never said it: not delivered.
    assert not outbox.confirm(notice_id, claimed.delivery)
    assert status(outbox, notice_id) == "sending"
    said = outbox.mark_said(notice_id, claimed.delivery)
    assert said is not None and said.id == notice_id and said.said_by == claimed.delivery
    assert status(outbox, notice_id) == "sending"  # said, but Rasa has not answered yet
    assert outbox.confirm(notice_id, claimed.delivery)
    stored = outbox.get(notice_id)
    assert stored is not None and stored.status == "delivered" and stored.delivered_at
    # Delivered is final: never claimed, said or confirmed again.
    assert outbox.claim_due() == []
    assert outbox.mark_said(notice_id, claimed.delivery) is None
    assert not outbox.confirm(notice_id, claimed.delivery)


def test_a_failed_push_leaves_the_notice_to_be_said_again(outbox):
    """Said by the action, but Rasa's push to the relay failed (it answered 500): the
    retry says it again, and only the retry's own saying counts."""
    notice_id = add(outbox, position())
    [first] = outbox.claim_due()
    assert outbox.mark_said(notice_id, first.delivery) is not None
    outbox.retry_later(notice_id, "Rasa answered 500", delay_s=0, give_up=False)
    assert status(outbox, notice_id) == "pending"
    [second] = outbox.claim_due()
    # The first attempt's late answer cannot confirm the second.
    assert not outbox.confirm(notice_id, first.delivery)
    assert outbox.mark_said(notice_id, first.delivery) is None
    assert not outbox.confirm(notice_id, second.delivery)  # not said by the second yet
    assert outbox.mark_said(notice_id, second.delivery) is not None
    assert outbox.confirm(notice_id, second.delivery)


def test_a_notice_is_said_once_per_attempt(outbox):
    notice_id = add(outbox, position())
    [claimed] = outbox.claim_due()
    assert outbox.mark_said(notice_id, claimed.delivery) is not None
    assert outbox.mark_said(notice_id, claimed.delivery) is None


def test_not_said_records_why_for_the_attempt_only(outbox, memory):
    notice_id = add(outbox, position())
    [claimed] = outbox.claim_due()
    outbox.not_said(notice_id, "another-attempt", "refused: stale")
    assert last_error(memory, notice_id) is None
    outbox.not_said(notice_id, claimed.delivery, "refused: another conversation")
    assert last_error(memory, notice_id) == "refused: another conversation"
    assert not outbox.confirm(notice_id, claimed.delivery)


def test_a_superseded_notice_is_never_said(outbox):
    old = add(outbox, position(pos=5))
    add(outbox, position(pos=3))
    assert status(outbox, old) == "superseded"
    assert outbox.mark_said(old, "any") is None


def test_recover_puts_sends_cut_short_back_in_the_queue(outbox):
    sending = add(outbox, position(call="CALL-1"))
    sent = add(outbox, Notice("call_queued", {}, subject="CALL-2", dedupe_key="CALL-2:q"))
    deliver(outbox, sent)
    outbox.claim_due()
    pending = add(outbox, position(call="CALL-3"))
    assert outbox.recover() == 1
    assert [status(outbox, n) for n in (sending, sent, pending)] == [
        "pending",
        "delivered",
        "pending",
    ]
    claimed = {n.id: n.attempts for n in outbox.claim_due()}
    assert claimed == {sending: 2, pending: 1}
    assert outbox.recover() == 2


def test_a_newer_queue_position_supersedes_a_pending_older_one(outbox):
    queued = add(outbox, Notice("call_queued", {"position": 6}, subject="CALL-1", dedupe_key="q"))
    five = add(outbox, position(pos=5))
    assert [status(outbox, n) for n in (queued, five)] == ["superseded", "pending"]
    three = add(outbox, position(pos=3))
    assert [status(outbox, n) for n in (queued, five, three)] == [
        "superseded",
        "superseded",
        "pending",
    ]
    # Only the newest is sent.
    assert [n.id for n in outbox.claim_due()] == [three]


def test_superseding_keeps_to_the_same_call(outbox):
    other = add(outbox, position(call="CALL-2", pos=5))
    add(outbox, position(call="CALL-1", pos=5))
    assert status(outbox, other) == "pending"


def test_superseding_spares_other_kinds_and_notices_already_on_their_way(outbox):
    connected = add(
        outbox,
        Notice(
            "agent_connected", {"agent": "Maria"}, subject="CALL-1", urgent=True, dedupe_key="a"
        ),
    )
    offer = add(outbox, Notice("callback_offer", {}, subject="CALL-1", dedupe_key="o"))
    sent = add(outbox, position(pos=5))
    claimed = {n.id: n for n in outbox.claim_due(limit=10)}
    # The position is on its way (said, Rasa not answered yet): not superseded under it.
    assert outbox.mark_said(sent, claimed[sent].delivery) is not None
    # Make the first two pending again, as after a restart.
    outbox.release([connected, offer])
    newer = add(outbox, position(pos=2))
    assert [status(outbox, n) for n in (connected, offer, sent, newer)] == [
        "pending",
        "pending",
        "sending",
        "pending",
    ]


def test_a_pending_position_is_superseded_even_by_a_newer_one_in_a_transaction(outbox, memory):
    # `add` runs in the caller's transaction, as the call store does.
    old = add(outbox, position(pos=5))
    with memory.engine.begin() as conn:
        newer = outbox.add(conn, position(pos=2), CONV, CHANNEL)
        duplicate = outbox.add(conn, position(pos=2), CONV, CHANNEL)
    assert newer is not None and duplicate is None
    assert status(outbox, old) == "superseded"


def test_a_rolled_back_transaction_leaves_no_notice(outbox, memory):
    with pytest.raises(RuntimeError):
        with memory.engine.begin() as conn:
            outbox.add(conn, position(), CONV, CHANNEL)
            raise RuntimeError("the change that caused it failed")
    assert outbox.all() == []


def test_behind_a_notice_waiting_for_a_retry_its_conversation_waits(outbox):
    first = add(outbox, position())
    second = add(outbox, Notice("agent_connected", {}, subject="CALL-2", urgent=True))
    other = outbox.enqueue(Notice("call_queued", {}, subject="CALL-3"), "someone else", CHANNEL)
    [a, b, c] = outbox.claim_due()
    outbox.retry_later(first, "Rasa answered 503", delay_s=60, give_up=False)
    outbox.release([second])
    assert outbox.mark_said(other, c.delivery) is not None and outbox.confirm(other, c.delivery)
    assert outbox.claim_due() == []  # `second` waits behind `first`
    stored = outbox.get(second)
    assert stored is not None and (stored.status, stored.attempts) == ("pending", 0)
