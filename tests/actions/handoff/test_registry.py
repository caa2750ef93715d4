"""The handoff registry on a real store (SQLite and PostgreSQL): asked, answered, lapsed into the
safe default with one notice, withdrawn; and the owner's answer and the lapse never both act."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from actions.core.clock import utc_now
from actions.handoff.catalogue import load_catalogue
from actions.handoff.registry import HandoffRegistry
from actions.store.case_memory import CaseMemory
from actions.store.notices import NoticeOutbox

CONV = "owner-1"


@pytest.fixture
def memory(any_store: CaseMemory) -> CaseMemory:
    return any_store


@pytest.fixture
def registry(memory: CaseMemory) -> HandoffRegistry:
    waits = {"choose_slot": 60.0, "approve_cost": 900.0, "owner_request": 0.0}
    return HandoffRegistry(
        memory.engine, NoticeOutbox(memory.engine), load_catalogue(), lambda p: waits.get(p, 30.0)
    )


def test_asked_then_answered(registry):
    asked = registry.open("choose_slot", CONV, provider="voltra-motors", data={"x": 1})
    assert asked.status == "waiting" and asked.deadline is not None
    assert (asked.deadline - asked.asked_at) == timedelta(seconds=60)
    done = registry.answer(CONV, "choose_slot", "picked")
    assert done is not None and (done.status, done.outcome) == ("answered", "picked")
    assert registry.answer(CONV, "choose_slot", "picked") is None  # nothing waits any more
    assert registry.lapse_due(utc_now() + timedelta(hours=1)) == []


def test_lapse_applies_the_safe_default_and_queues_one_notice(registry, memory):
    registry.open(
        "approve_cost",
        CONV,
        provider="voltra-motors",
        subject="CP-1@SC-LIS-1",
        data={"item": "CP-1 Charging port", "amount": "189.00", "currency": "EUR", "secret": "x"},
    )
    assert registry.lapse_due(utc_now() + timedelta(seconds=899)) == []
    [lapsed] = registry.lapse_due(utc_now() + timedelta(seconds=901))
    assert (lapsed.status, lapsed.outcome) == ("lapsed", "nothing_paid")
    assert registry.lapse_due(utc_now() + timedelta(hours=2)) == []  # once
    [notice] = NoticeOutbox(memory.engine).all()
    assert notice.kind == "handoff_lapsed" and notice.conversation_id == CONV
    assert notice.params["point"] == "approve_cost" and notice.params["amount"] == "189.00"
    assert "secret" not in notice.params  # only the fields a lapse may tell
    assert registry.answer(CONV, "approve_cost", "granted") is None  # a late yes grants nothing


def test_no_deadline_waits_until_answered(registry):
    held = registry.open("owner_request", CONV, provider="nimbus-telecom", subject="nimbus-telecom")
    assert held.deadline is None
    assert registry.lapse_due(utc_now() + timedelta(days=365)) == []
    assert [h.provider for h in registry.waiting(point="owner_request")] == ["nimbus-telecom"]


def test_asking_again_withdraws_the_older_question(registry):
    first = registry.open("choose_slot", CONV, provider="voltra-motors")
    second = registry.open("choose_slot", CONV, provider="voltra-motors")
    assert registry.get(first.id).status == "withdrawn"
    assert [h.id for h in registry.waiting(CONV)] == [second.id]
    assert registry.withdraw(CONV, "choose_slot", "owner_stopped").id == second.id
    assert registry.waiting(CONV) == []


def test_other_conversations_and_points_are_untouched(registry):
    registry.open("choose_slot", CONV)
    registry.open("choose_slot", "someone-else")
    assert registry.answer(CONV, "approve_cost", "granted") is None
    registry.answer(CONV, "choose_slot", "picked")
    assert [h.conversation_id for h in registry.waiting()] == ["someone-else"]


def test_agent_connected_is_lapsed_by_the_call_tracker_not_here(registry):
    registry.open("agent_connected", CONV, subject="CALL-1")
    assert registry.lapse_due(utc_now() + timedelta(hours=1)) == []


def test_unknown_point_is_refused(registry):
    with pytest.raises(KeyError):
        registry.open("guess_the_answer", CONV)


def _race(registry: HandoffRegistry, conv: str) -> tuple[bool, bool]:
    results: dict[str, object] = {}
    later = utc_now() + timedelta(hours=1)

    def answer() -> None:
        results["a"] = registry.answer(conv, "choose_slot", "p")

    def lapse() -> None:
        results["l"] = registry.lapse_due(later)

    threads = [threading.Thread(target=answer), threading.Thread(target=lapse)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    lapsed = any(h.conversation_id == conv for h in results["l"])  # type: ignore[attr-defined]
    return results["a"] is not None, lapsed


def test_answer_and_lapse_race_only_one_wins(registry):
    for round_ in range(10):
        conv = f"{CONV}-{round_}"
        registry.open("choose_slot", conv)
        answered, lapsed = _race(registry, conv)
        assert answered != lapsed, round_
