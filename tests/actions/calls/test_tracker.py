"""Placing calls and walking their menus (actions.calls.tracker), against the real desk."""

from __future__ import annotations

import asyncio
import time

import pytest

from actions import runtime
from actions.calls.hold_monitor import HoldMonitor
from tests.actions.calls.call_fixtures import (
    BRIGHTGRID,
    CHANNEL,
    CONV,
    DESK_START,
    HOMECARE,
    NIMBUS,
    SLACK,
    VOLTRA,
    cut_walk,
    digits,
    kinds,
    place,
)

# --- placing calls and walking menus ---------------------------------------------------------


def test_a_billing_call_reaches_the_billing_queue_and_the_owner_hears_it(world):
    w = world

    async def scenario():
        return await place(w, w.tracker(), NIMBUS, "my bill")

    record, notices = w.run(scenario())
    desk = w.desk_call(NIMBUS, record.call_id)
    assert (desk["state"], desk["queue"], desk["path"]) == ("queued", "billing", ["1"])
    assert (desk["position"], desk["estimated_wait_s"]) == (6, 720)

    assert (record.state, record.position, record.estimated_wait_s) == ("queued", 6, 720)
    assert (record.provider, record.account_id, record.topic) == (NIMBUS, "NT-908812", "billing")
    assert (record.conversation_id, record.output_channel) == (CONV, CHANNEL)
    assert record.active and record.outcome is None and record.handoff is None
    assert [s.kind for s in w.steps(record.call_id)] == ["dialled", "key", "queued"]
    [key] = w.steps(record.call_id, "key")
    assert key.data == {"digit": "1", "label": "Billing", "why": "best"}
    [queued] = w.steps(record.call_id, "queued")
    assert DESK_START <= queued.at < DESK_START + SLACK  # the desk's time, not ours
    assert queued.data["position"] == 6
    assert queued.data["wait_min"] == 12

    # The queue and, since 12 minutes pass the default 10-minute threshold, a callback offer.
    assert kinds(notices) == ["call_queued", "callback_offer"]
    call_queued, offer = notices
    assert call_queued.params == {
        "provider": NIMBUS,
        "queue": "billing",
        "position": 6,
        "wait_min": 12,
    }
    assert offer.params["prefers"] is False and not offer.urgent
    assert all(n.subject == record.call_id for n in notices)
    # Said directly by the action that placed the call: nothing waits in the outbox.
    assert w.queued(record.call_id) == []
    assert record.notify["walking"] is False
    assert record.notify["queued_told"] and record.notify["callback_offered"]
    assert record.notify["told"]["position"] == 6


def test_an_internet_call_walks_two_then_one(world):
    w = world

    async def scenario():
        return await place(w, w.tracker(), NIMBUS, "my internet is down")

    record, notices = w.run(scenario())
    assert digits(w, record.call_id) == ["2", "1"]
    desk = w.desk_call(NIMBUS, record.call_id)
    assert (desk["state"], desk["queue"], desk["path"]) == ("queued", "tech_internet", ["2", "1"])
    assert record.topic == "tech_support"
    kinds_seen = [s.kind for s in w.steps(record.call_id)]
    assert kinds_seen == ["dialled", "key", "key", "queued"]
    assert kinds(notices)[0] == "call_queued"


def test_a_mobile_call_walks_two_then_two(world):
    w = world

    async def scenario():
        return await place(w, w.tracker(), NIMBUS, "mobile data not working")

    record, _ = w.run(scenario())
    assert digits(w, record.call_id) == ["2", "2"]
    assert w.desk_call(NIMBUS, record.call_id)["queue"] == "tech_mobile"


def test_a_reason_fitting_nothing_goes_to_the_operator(world):
    w = world

    async def scenario():
        return await place(w, w.tracker(), NIMBUS, "general enquiry")

    record, _ = w.run(scenario())
    assert digits(w, record.call_id) == ["0"]
    assert w.desk_call(NIMBUS, record.call_id)["queue"] == "operator"
    assert record.topic == "operator"


@pytest.mark.parametrize(
    "reason, keys, whys, queue",
    [
        # Only one option fits: after the wrong turn, the operator.
        ("my bill", ["1", "0"], ["best", "operator"], "operator"),
        # Two fit: after the wrong turn, the next best.
        (
            "I was charged twice and my internet is down",
            ["2", "1"],
            ["best", "next_best"],
            "billing",
        ),
    ],
)
def test_a_misheard_key_is_a_wrong_turn_then_the_next_best_or_the_operator(
    world, reason, keys, whys, queue
):
    w = world
    w.mishear(NIMBUS, 1)

    async def scenario():
        return await place(w, w.tracker(), NIMBUS, reason)

    record, notices = w.run(scenario())
    assert digits(w, record.call_id) == keys
    assert [s.data["why"] for s in w.steps(record.call_id, "key")] == whys
    assert [s.kind for s in w.steps(record.call_id)] == [
        "dialled",
        "key",
        "wrong_turn",
        "key",
        "queued",
    ]
    assert record.notify["wrong_turns"] == 1
    desk = w.desk_call(NIMBUS, record.call_id)
    assert (desk["state"], desk["queue"], desk["wrong_attempts"]) == ("queued", queue, 1)
    assert kinds(notices)[0] == "call_queued"


def test_three_misheard_keys_end_the_call_and_the_owner_hears_the_menu_failed(world):
    w = world
    w.mishear(NIMBUS, 3)

    async def scenario():
        return await place(w, w.tracker(), NIMBUS, "my bill")

    record, notices = w.run(scenario())
    desk = w.desk_call(NIMBUS, record.call_id)
    assert (desk["state"], desk["ended_reason"]) == ("ended", "invalid_input")
    assert (record.state, record.outcome) == ("ended", "menu_failed")
    assert not record.active
    # Best, then the operator twice (two wrong turns leave nothing else).
    assert digits(w, record.call_id) == ["1", "0", "0"]
    assert len(w.steps(record.call_id, "wrong_turn")) == 3
    assert [s.kind for s in w.steps(record.call_id)][-1] == "ended"
    assert kinds(notices) == ["call_menu_failed"]
    assert notices[0].urgent and notices[0].params == {
        "provider": NIMBUS,
        "reason": "invalid_input",
    }
    # Said once, directly: not queued a second time for the notifier.
    assert w.queued(record.call_id) == []


def test_a_call_to_a_provider_without_callbacks_offers_none(world):
    w = world

    async def scenario():
        return await place(w, w.tracker(), BRIGHTGRID, "a question about my bill")

    record, notices = w.run(scenario())
    assert digits(w, record.call_id) == ["2"]
    desk = w.desk_call(BRIGHTGRID, record.call_id)
    assert (desk["queue"], desk["position"], desk["estimated_wait_s"]) == ("billing", 4, 480)
    assert kinds(notices) == ["call_queued"]


@pytest.mark.parametrize("prefer_callbacks, offered", [(False, False), (True, True)])
def test_the_owners_stored_preference_for_callbacks_decides_the_offer(
    world, prefer_callbacks, offered
):
    w = world
    if prefer_callbacks:
        w.preferences.update(w.profile.owner.phone, w.profile.preferences, prefer_callbacks=True)

    async def scenario():
        # Voltra's queue is about 4 minutes: under the threshold.
        return await place(w, w.tracker(), VOLTRA, "my car broke down on the motorway")

    record, notices = w.run(scenario())
    assert w.desk_call(VOLTRA, record.call_id)["queue"] == "roadside"
    assert ("callback_offer" in kinds(notices)) is offered
    if offered:
        assert notices[-1].params["prefers"] is True


def test_queue_news_in_quiet_hours_is_withheld_but_an_agent_is_urgent(world):
    w = world
    w.desk.advance(13.5 * 3600)  # 22:30 in Lisbon

    async def scenario():
        tracker = w.tracker()
        record, notices = await place(w, tracker, NIMBUS, "my bill")
        w.desk.advance(240)  # position 4: news, but it is 22:34
        await tracker.poll(record.call_id)
        w.sim(record.call_id, "connect")
        await tracker.poll(record.call_id)
        return record, notices

    record, notices = w.run(scenario())
    # The owner asked for the call at 22:30, so the answer to that turn is never held back;
    # what comes later on its own is, except a person on the line.
    assert [n.kind for n in notices] == ["call_queued", "callback_offer"]
    [withheld] = w.steps(record.call_id, "withheld")
    assert withheld.detail == "call_position: quiet hours"
    [agent] = w.queued(record.call_id)
    assert agent.kind == "agent_connected" and agent.urgent


async def until(check, what: str, timeout_s: float = 10.0) -> None:
    """wait_until for a scenario running in the event loop the condition depends on."""
    deadline = time.monotonic() + timeout_s
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout_s}s waiting for {what}")
        await asyncio.sleep(0.02)  # polling interval, not synchronisation


def test_a_walk_cut_short_waits_while_the_owner_holds_the_company(world):
    """The hold monitor resuming a menu walk after a restart presses no key at a company the
    owner has taken over; it walks on once the company is handed back."""
    w = world

    async def scenario():
        svc = runtime.services()
        try:
            tracker = svc.calls
            call = await cut_walk(tracker, tracker.store, "cut")
            svc.handoffs.open("owner_request", CONV, provider=HOMECARE, subject=HOMECARE)
            asked: list[str] = []
            holds = tracker.owner_holds
            assert holds is not None

            async def counted(provider: str) -> bool:
                asked.append(provider)
                return await holds(provider)

            tracker.owner_holds = counted
            monitor = HoldMonitor(tracker, svc.directory, held_retry_s=0.02)
            await monitor._start()  # resumes the unfinished walk in the background
            await until(lambda: len(asked) >= 3, "the monitor to look at the hold again")
            held_desk = w.desk_call(HOMECARE, call.id)
            held_record = tracker.store.get(call.id)

            svc.handoffs.answer(CONV, "owner_request", "taken_back", HOMECARE)
            await until(
                lambda: tracker.store.get(call.id).notify.get("walking") is False,
                "the walk to finish after the hand-back",
            )
            return call.id, held_desk, held_record, tracker.store.get(call.id), asked
        finally:
            await svc.desk.close()

    call_id, held_desk, held_record, after, asked = w.run(scenario())
    assert set(asked) == {HOMECARE}
    # While the owner held HomeCare: no key pressed, the walk left as it was.
    assert (held_desk["state"], held_desk["path"]) == ("ivr", [])
    assert held_record.notify["walking"] is True and held_record.notify["presses"] == 0
    # Handed back: the walk reached the right queue.
    assert after.state == "queued"
    assert w.desk_call(HOMECARE, call_id)["queue"] == "new_repairs"
