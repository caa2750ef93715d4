"""The agent, the handoff, the owner's decisions and callbacks during a hold
(actions.calls.owner_decisions), against the real desk."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from actions import runtime
from actions.calls.call_states import UNDELIVERED_GRACE_S
from actions.core.clock import utc_now
from tests.actions.calls.call_fixtures import (
    BRIGHTGRID,
    CONV,
    DESK_START,
    NIMBUS,
    OWNER_PHONE,
    QUIET_START,
    SLACK,
    at,
    connected,
    kinds,
    place,
)
from tests.conftest import wait_until

# --- the agent, the handoff and the owner's decisions ----------------------------------------


def test_an_agent_picking_up_asks_the_owner_and_take_transfers_once(world):
    w = world

    async def scenario():
        tracker = w.tracker(answer_timeout_s=60)
        before = utc_now()
        record = await connected(w, tracker)
        after = utc_now()
        took = await tracker.take(record)
        again = await tracker.take(record)
        return before, after, record, took, again

    before, after, record, took, again = w.run(scenario())
    assert (record.state, record.handoff) == ("agent_connected", "waiting")
    assert record.handoff_deadline is not None
    # Until "take the call?" has reached the owner, a grace period is added to their 60 s.
    grace = timedelta(seconds=60 + UNDELIVERED_GRACE_S)
    assert before + grace <= record.handoff_deadline <= after + grace
    [agent] = w.queued(record.call_id)
    assert agent.kind == "agent_connected" and agent.urgent
    desk_agent = w.desk_call(NIMBUS, record.call_id)["agent"]["name"]
    assert agent.params == {
        "provider": NIMBUS,
        "agent": desk_agent,
        "via_callback": False,
        "timeout_s": 60,
    }

    assert (took.result, took.detail) == ("transferred", {"phone": OWNER_PHONE})
    assert again.result == "too_late"
    desk = w.desk_call(NIMBUS, record.call_id)
    assert desk["state"] == "transferred"
    assert desk["transfer"]["phone_number"] == OWNER_PHONE
    assert [h["state"] for h in desk["history"]].count("transferred") == 1
    current = w.record(record.call_id)
    assert (current.state, current.handoff, current.outcome) == (
        "transferred",
        "taken",
        "transferred",
    )
    assert [s.detail for s in w.steps(record.call_id, "owner")] == ["took"]


def test_the_owners_answer_and_the_timeout_claim_the_handoff_exactly_once(world):
    w = world

    async def scenario():
        tracker = w.tracker(answer_timeout_s=60)
        record = await connected(w, tracker)
        assert record.handoff_deadline is not None
        took, expired = await asyncio.gather(
            tracker.take(record), tracker.expire_handoffs(record.handoff_deadline)
        )
        return record, took, expired

    record, took, expired = w.run(scenario())
    # The timeout finds the handoff waiting (1) unless the owner's answer claimed it before
    # the timeout looked (0); either way exactly one of them acts.
    assert expired in (0, 1)
    current = w.record(record.call_id)
    desk = w.desk_call(NIMBUS, record.call_id)
    assert len(w.steps(record.call_id, "owner")) == 1
    if took.result == "transferred":
        assert current.handoff == "taken" and desk["state"] == "transferred"
        assert "handoff_timeout_callback_scheduled" not in kinds(w.queued(record.call_id))
    else:
        assert took.result == "too_late" and expired == 1
        assert current.handoff == "timed_out" and desk["state"] == "callback_scheduled"
        assert desk["transfer"] is None


@pytest.mark.parametrize(
    "provider, reason, result, desk_state, outcome",
    [
        (NIMBUS, "my bill", "callback_scheduled", "callback_scheduled", "callback_scheduled"),
        (BRIGHTGRID, "a question about my bill", "hung_up", "ended", "hung_up_politely"),
    ],
)
def test_an_unanswered_handoff_becomes_a_callback_or_a_polite_hang_up(
    world, provider, reason, result, desk_state, outcome
):
    w = world

    async def scenario():
        tracker = w.tracker(answer_timeout_s=0.01)
        record = await connected(w, tracker, provider, reason)
        # The question reached the owner: from now on they have answer_timeout_s.
        [asked] = [n for n in w.queued(record.call_id) if n.kind == "agent_connected"]
        tracker.notice_sent(asked)
        record = tracker.store.get(record.call_id)
        assert record.handoff == "waiting" and record.handoff_deadline is not None
        wait_until(lambda: utc_now() >= record.handoff_deadline, 5, 0.005, "the deadline")
        expired = await tracker.expire_handoffs()
        again = await tracker.expire_handoffs()
        return record, expired, again

    record, expired, again = w.run(scenario())
    assert (expired, again) == (1, 0)
    desk = w.desk_call(provider, record.call_id)
    assert desk["state"] == desk_state
    current = w.record(record.call_id)
    assert (current.handoff, current.outcome) == ("timed_out", outcome)
    assert [s.detail for s in w.steps(record.call_id, "owner")] == ["no_answer"]
    notices = w.queued(record.call_id)
    assert kinds(notices) == ["agent_connected", f"handoff_timeout_{result}"]
    timeout = notices[-1]
    assert timeout.urgent and timeout.params["provider"] == provider
    if result == "callback_scheduled":
        assert desk["callback"]["phone_number"] == OWNER_PHONE
        assert at(desk["callback"]["not_after"]) == QUIET_START
        assert at(timeout.params["due_at"]) == at(desk["callback"]["due_at"])
        assert current.active
    else:
        assert desk["ended_reason"] == "customer_hangup"
        assert not current.active


@pytest.mark.parametrize(
    "provider, reason",
    [(NIMBUS, "my bill"), (BRIGHTGRID, "a question about my bill")],  # callback; hang-up
)
def test_an_unanswered_handoff_on_a_company_the_owner_holds_sends_it_nothing(
    world, provider, reason
):
    """The runtime's own tracker (wired to actions.handoff.owner_control) against the real desk."""
    w = world

    async def scenario():
        svc = runtime.services()
        try:
            tracker = svc.calls
            tracker.know(list(w.providers.values()))
            record, _ = await place(w, tracker, provider, reason)
            w.sim(record.call_id, "connect")
            await tracker.poll(record.call_id)
            record = tracker.store.get(record.call_id)
            assert record.handoff == "waiting" and record.handoff_deadline is not None
            # Meanwhile the owner said "I'll handle them myself" (what action_owner_takes_over
            # records through ask_owner).
            svc.handoffs.open("owner_request", CONV, provider=provider, subject=provider)
            expired = await tracker.expire_handoffs(record.handoff_deadline)
            again = await tracker.expire_handoffs(record.handoff_deadline)
            return svc, record, expired, again
        finally:
            await svc.desk.close()

    svc, record, expired, again = w.run(scenario())
    assert (expired, again) == (1, 0)
    # Nothing went to the company: no callback request, no hang-up; the agent still waits.
    desk = w.desk_call(provider, record.call_id)
    assert desk["state"] == "agent_connected" and desk["callback"] is None
    assert [h["state"] for h in desk["history"]][-1] == "agent_connected"
    sent = [e.path for e in svc.memory.audit_entries() if e.method == "POST"]
    assert sent and all(p.endswith("/dtmf") or p == "/v1/calls" for p in sent), sent
    current = svc.calls.store.get(record.call_id)
    assert (current.state, current.handoff, current.outcome) == (
        "agent_connected",
        "timed_out",
        None,
    )
    assert current.active
    assert [s.detail for s in svc.calls.store.steps(record.call_id) if s.kind == "owner"] == [
        "no_answer"
    ]
    notices = svc.notices.all(subject=record.call_id)
    assert kinds(notices) == ["agent_connected", "handoff_timeout_owner_holds"]
    assert notices[-1].urgent
    assert notices[-1].params == {"provider": provider, "seconds": 60}
    lapsed = svc.handoffs.latest(CONV, "agent_connected")
    assert (lapsed.status, lapsed.outcome) == ("lapsed", "left_with_owner")
    # The owner's hold itself stands.
    assert [h.provider for h in svc.handoffs.waiting(point="owner_request")] == [provider]

    async def agent_gives_up():
        try:
            w.desk.advance(301)  # the desk's agent waits five minutes for a transfer
            await svc.calls.poll(record.call_id)
        finally:
            await svc.desk.close()

    # Stand-in did not end the call, so how it ended is news for the owner.
    w.run(agent_gives_up())
    assert kinds(svc.notices.all(subject=record.call_id))[-1] == "call_agent_gave_up"


def test_the_owner_declining_asks_for_a_callback_without_a_timeout_notice(world):
    w = world

    async def scenario():
        tracker = w.tracker()
        record = await connected(w, tracker)
        return (
            record,
            await tracker.decline(record, by="owner"),
            await tracker.decline(record, by="owner"),
        )

    record, declined, again = w.run(scenario())
    assert declined.result == "callback_scheduled" and again.result == "too_late"
    assert w.desk_call(NIMBUS, record.call_id)["state"] == "callback_scheduled"
    current = w.record(record.call_id)
    assert (current.handoff, current.outcome) == ("declined", "callback_scheduled")
    assert kinds(w.queued(record.call_id)) == ["agent_connected"]


def test_the_owner_hanging_up_ends_the_call_quietly(world):
    w = world

    async def scenario():
        tracker = w.tracker()
        record, _ = await place(w, tracker, NIMBUS, "my bill")
        hung = await tracker.hang_up(record)
        again = await tracker.hang_up(w.record(record.call_id))
        return record, hung, again, tracker

    record, hung, again, tracker = w.run(scenario())
    # Saying it twice replays the first hang-up (same idempotency key): one hang-up at the desk.
    assert hung.result == "hung_up" and again.result == "hung_up"
    desk = w.desk_call(NIMBUS, record.call_id)
    assert (desk["state"], desk["ended_reason"]) == ("ended", "customer_hangup")
    assert [h["state"] for h in desk["history"]].count("ended") == 1
    current = w.record(record.call_id)
    assert (current.state, current.outcome) == ("ended", "hung_up_by_owner")
    assert not current.active and record.call_id not in tracker.next_poll
    # The owner asked for it and hears it from the action: no call_ended notice.
    assert w.queued(record.call_id) == []
    assert "hang_up" in [s.detail for s in w.steps(record.call_id, "owner")]


def test_hanging_up_a_call_the_provider_already_ended(world):
    w = world

    async def scenario():
        tracker = w.tracker()
        record, _ = await place(w, tracker, NIMBUS, "my bill")
        w.sim(record.call_id, "end")  # before Stand-in heard of it
        return record, await tracker.hang_up(record)

    record, decision = w.run(scenario())
    assert decision.result == "already_ended"
    assert decision.record is not None and decision.record.state == "ended"
    assert decision.record.outcome == "ended_by_provider"
    # The owner hears "it had already ended" from the action itself, not a second time.
    assert w.queued(record.call_id) == []


def test_the_provider_ending_the_call_is_told_urgently(world):
    w = world

    async def scenario():
        tracker = w.tracker()
        record, _ = await place(w, tracker, NIMBUS, "my bill")
        w.sim(record.call_id, "end")
        await tracker.poll(record.call_id)
        await tracker.poll(record.call_id)  # nothing more to say
        return record, tracker

    record, tracker = w.run(scenario())
    [ended] = w.queued(record.call_id)
    assert (ended.kind, ended.urgent) == ("call_ended_by_provider", True)
    assert ended.params == {"provider": NIMBUS, "reason": "provider_ended"}
    current = w.record(record.call_id)
    assert (current.state, current.outcome) == ("ended", "ended_by_provider")
    assert record.call_id not in tracker.next_poll


def test_an_agent_who_gives_up_ends_the_handoff_as_missed(world):
    w = world

    async def scenario():
        tracker = w.tracker(answer_timeout_s=600)
        record = await connected(w, tracker)
        w.desk.advance(301)  # the desk's agent waits five minutes for a transfer
        await tracker.poll(record.call_id)
        return record

    record = w.run(scenario())
    current = w.record(record.call_id)
    assert (current.state, current.handoff, current.outcome) == ("ended", "missed", "agent_gave_up")
    assert kinds(w.queued(record.call_id)) == ["agent_connected", "call_agent_gave_up"]


# --- callbacks during a hold -----------------------------------------------------------------


def test_a_callback_during_a_hold_ends_before_quiet_hours(world):
    w = world

    async def scenario():
        tracker = w.tracker()
        record, _ = await place(w, tracker, NIMBUS, "my bill")
        return record, await tracker.request_callback(record, "owner")

    record, decision = w.run(scenario())
    assert decision.result == "callback_scheduled"
    desk = w.desk_call(NIMBUS, record.call_id)
    assert desk["state"] == "callback_scheduled"
    callback = desk["callback"]
    assert callback["phone_number"] == OWNER_PHONE
    assert callback["not_before"] is None
    assert at(callback["not_after"]) == QUIET_START
    due = at(callback["due_at"])
    assert DESK_START + timedelta(minutes=12) <= due < DESK_START + timedelta(minutes=12) + SLACK
    assert decision.detail["due_at"] == at(callback["due_at"])
    current = w.record(record.call_id)
    assert current.state == "callback_scheduled" and current.active
    [step] = w.steps(record.call_id, "callback_scheduled")
    assert at(step.data["due_at"]) == at(callback["due_at"])


def test_a_callback_asked_for_late_in_the_evening_waits_for_the_morning(world):
    w = world
    w.desk.advance(12 * 3600 + 50 * 60)  # 21:50 in Lisbon: the wait runs into quiet hours

    async def scenario():
        tracker = w.tracker()
        record, _ = await place(w, tracker, NIMBUS, "my bill")
        return record, await tracker.request_callback(record, "owner")

    record, decision = w.run(scenario())
    assert decision.result == "callback_scheduled"
    callback = w.desk_call(NIMBUS, record.call_id)["callback"]
    morning = datetime(2026, 11, 24, 7, 0, tzinfo=ZoneInfo("Europe/Lisbon"))
    assert at(callback["not_before"]) == morning
    assert at(callback["not_after"]) == QUIET_START + timedelta(days=1)
    assert at(callback["due_at"]) == morning


def test_a_callback_that_cannot_fit_tonight_moves_to_tomorrows_window(world):
    w = world
    w.desk.advance(12 * 3600 + 50 * 60)  # 21:50 in Lisbon

    async def scenario():
        tracker = w.tracker()
        record, _ = await place(w, tracker, NIMBUS, "my bill")
        # Stand-in's record thinks the wait is over; the desk knows it is 12 more minutes,
        # which passes 22:00: the desk refuses tonight's window, tomorrow's is asked for.
        stale = dataclasses.replace(record, estimated_wait_s=0)
        return record, await tracker.request_callback(stale, "owner")

    record, decision = w.run(scenario())
    assert decision.result == "callback_scheduled"
    callback = w.desk_call(NIMBUS, record.call_id)["callback"]
    morning = datetime(2026, 11, 24, 7, 0, tzinfo=ZoneInfo("Europe/Lisbon"))
    assert at(callback["not_before"]) == morning
    assert at(callback["due_at"]) == morning


def test_a_callback_where_none_are_offered_is_refused(world):
    w = world

    async def scenario():
        tracker = w.tracker()
        record, _ = await place(w, tracker, BRIGHTGRID, "a question about my bill")
        return record, await tracker.request_callback(record, "owner")

    record, decision = w.run(scenario())
    assert (decision.result, decision.detail) == (
        "callback_refused",
        {"code": "callbacks_not_offered"},
    )
    assert w.desk_call(BRIGHTGRID, record.call_id)["state"] == "queued"
    assert w.record(record.call_id).state == "queued"


def test_a_callback_coming_in_asks_the_owner_again(world):
    w = world

    async def scenario():
        tracker = w.tracker()
        record, _ = await place(w, tracker, NIMBUS, "my bill")
        await tracker.request_callback(record, "owner")
        w.sim(record.call_id, "connect")  # the provider calls back now
        await tracker.poll(record.call_id)
        return record

    record = w.run(scenario())
    current = w.record(record.call_id)
    assert (current.state, current.handoff) == ("agent_connected", "waiting")
    [agent] = w.queued(record.call_id)
    assert agent.kind == "agent_connected" and agent.params["via_callback"] is True
