"""The call tracker against the real service desk: menu walks, holds, handoffs and endings.

Everything is real: the desk process (with its simulated clock), a SQLite store with its
migrations, the service-desk client and dialer, the owner profile (owner.yml, quiet hours
22:00-07:00 Europe/Lisbon) with the demo keys, and the preferences store. The desk starts at
2026-11-23T09:00Z, which is 09:00 in Lisbon (winter time, UTC+0).
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
import uuid
from collections.abc import Coroutine, Iterator
from datetime import datetime, timedelta, timezone
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import pytest

from actions import runtime
from actions.calls.dialer import ServiceDeskDialer
from actions.calls.hold_monitor import HoldMonitor
from actions.calls.tracker import UNDELIVERED_GRACE_S, CallTracker
from actions.core.clock import utc_now
from actions.core.errors import ConfigError
from actions.core.settings import load_settings
from actions.owner.profile import OwnerProfile, load_profile
from actions.providers.client import ServiceDeskClient
from actions.providers.desk_models import Provider
from actions.store.calls import CallRecord, CallStore
from actions.store.case_memory import CaseMemory
from actions.store.notices import Notice, NoticeOutbox, StoredNotice
from actions.store.preferences import PreferenceStore
from tests.actions.store_fixtures import sqlite_url
from tests.conftest import PROJECT_ROOT, DeskProcess, wait_until

T = TypeVar("T")

NIMBUS = "nimbus-telecom"
BRIGHTGRID = "brightgrid-energy"
VOLTRA = "voltra-motors"
HOMECARE = "homecare-appliances"
OWNER_PHONE = "+15550100"
CONV = "conv-calls"
CHANNEL = "callback"
DESK_START = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)
# The desk's clock also runs in real time (scale 1): a test takes a few seconds of it.
SLACK = timedelta(minutes=1)
# The next start of the owner's quiet hours after the desk's start: 22:00 in Lisbon.
QUIET_START = datetime(2026, 11, 23, 22, 0, tzinfo=ZoneInfo("Europe/Lisbon"))


def at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@dataclasses.dataclass
class World:
    desk: DeskProcess
    memory: CaseMemory
    client: ServiceDeskClient
    profile: OwnerProfile
    outbox: NoticeOutbox
    store: CallStore
    preferences: PreferenceStore
    providers: dict[str, Provider]

    def tracker(self, answer_timeout_s: float = 60.0, poll_interval_s: float = 30.0) -> CallTracker:
        """A tracker as the runtime builds one (a second one is a restarted action server)."""
        return CallTracker(
            dialer=ServiceDeskDialer(self.client, self.profile),
            store=self.store,
            outbox=self.outbox,
            profile=self.profile,
            preferences=lambda: self.preferences.load(
                self.profile.owner.phone, self.profile.preferences
            ),
            answer_timeout_s=answer_timeout_s,
            poll_interval_s=poll_interval_s,
        )

    def run(self, scenario: Coroutine[Any, Any, T]) -> T:
        """Run one async scenario in a fresh loop (the client's session ends with it)."""

        async def go() -> T:
            try:
                return await scenario
            finally:
                await self.client.close()

        return asyncio.run(go())

    # --- the desk's side of things ------------------------------------------------------

    def key(self, provider: str) -> str:
        return self.profile.credentials(provider)[1]

    def desk_call(self, provider: str, call_id: str) -> dict[str, Any]:
        status, _, body = self.desk.get(f"/v1/calls/{call_id}", key=self.key(provider))
        assert status == 200, body
        return body

    def sim(self, call_id: str, action: str) -> dict[str, Any]:
        status, _, body = self.desk.post(f"/_sim/calls/{call_id}/{action}")
        assert status == 200, body
        return body

    def mishear(self, provider: str, digits: int) -> None:
        status, _, body = self.desk.post(
            "/_sim/ivr", {"provider": provider, "misheard_digits": digits}
        )
        assert status == 200, body

    # --- Stand-in's side ----------------------------------------------------------------

    def record(self, call_id: str) -> CallRecord:
        record = self.store.get(call_id)
        assert record is not None
        return record

    def steps(self, call_id: str, kind: str | None = None) -> list:
        return [s for s in self.store.steps(call_id) if kind is None or s.kind == kind]

    def queued(self, call_id: str) -> list[StoredNotice]:
        """The notices in the outbox about the call, oldest first."""
        return self.outbox.all(subject=call_id)


@pytest.fixture
def world(standin_env: DeskProcess, tmp_path) -> Iterator[World]:
    settings = dataclasses.replace(load_settings(), desk_backoff_s=0.05, desk_attempts=2)
    memory = CaseMemory(sqlite_url(tmp_path))
    client = ServiceDeskClient(settings, audit=memory.record_request)
    profile = load_profile(PROJECT_ROOT / "owner.yml")
    assert profile.owner.phone == OWNER_PHONE and profile.owner.timezone == "Europe/Lisbon"

    async def directory() -> list[Provider]:
        try:
            return await client.list_providers(profile.credentials(NIMBUS)[1])
        finally:
            await client.close()

    providers = {p.id: p for p in asyncio.run(directory())}
    outbox = NoticeOutbox(memory.engine)
    yield World(
        desk=standin_env,
        memory=memory,
        client=client,
        profile=profile,
        outbox=outbox,
        store=CallStore(memory.engine, outbox),
        preferences=PreferenceStore(memory.engine),
        providers=providers,
    )
    memory.close()


async def place(
    w: World, tracker: CallTracker, provider: str, reason: str
) -> tuple[CallRecord, list[Notice]]:
    return await tracker.place(
        CONV, CHANNEL, w.providers[provider], reason, f"test-{uuid.uuid4().hex[:12]}"
    )


async def connected(w: World, tracker: CallTracker, provider=NIMBUS, reason="my bill"):
    """A call whose agent has just picked up, as the tracker saw it on its next poll."""
    record, _ = await place(w, tracker, provider, reason)
    w.sim(record.call_id, "connect")
    await tracker.poll(record.call_id)
    return w.record(record.call_id)


def kinds(notices: list) -> list[str]:
    return [n.kind for n in notices]


def digits(w: World, call_id: str) -> list[str]:
    return [s.data["digit"] for s in w.steps(call_id, "key")]


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


# --- snapshots, polls and what the owner hears during a hold ---------------------------------


def test_the_same_snapshot_twice_and_an_older_one_change_nothing(world):
    w = world

    async def scenario():
        tracker = w.tracker()
        record, _ = await place(w, tracker, NIMBUS, "my bill")
        dialer = tracker.dialer
        w.desk.advance(120)
        five = await dialer.status(NIMBUS, record.call_id)
        w.desk.advance(240)
        three = await dialer.status(NIMBUS, record.call_id)
        assert (five.position, three.position) == (5, 3)
        first = tracker.apply(three, "webhook")
        again = tracker.apply(three, "poll")
        older = tracker.apply(five, "webhook")
        return record, first, again, older

    record, first, again, older = w.run(scenario())
    assert first is not None and again is None and older is None
    current = w.record(record.call_id)
    assert current.position == 3 and current.estimated_wait_s == 360
    [news] = w.queued(record.call_id)
    assert (news.kind, news.params["position"], news.params["wait_min"]) == (
        "call_position",
        3,
        6,
    )
    assert len(w.steps(record.call_id, "position")) == 1


def test_polls_apply_the_queue_and_tell_only_real_news(world):
    w = world

    async def scenario():
        tracker = w.tracker()
        record, _ = await place(w, tracker, NIMBUS, "my bill")
        call_id = record.call_id
        seen = []
        for seconds in (120, 240, 120, 120):  # positions 5, 3, 2, 1
            w.desk.advance(seconds)
            await tracker.poll(call_id)
            current = w.record(call_id)
            seen.append((current.position, kinds(w.queued(call_id))))
        return record, seen

    record, seen = w.run(scenario())
    assert seen == [
        (5, []),  # a small move: recorded, not told
        (3, ["call_position"]),  # halved since the owner heard 6
        (2, ["call_position"]),  # 2 is not half of 3, and only 2 minutes passed
        (1, ["call_position", "call_position"]),  # halved again
    ]
    told, newest = w.queued(record.call_id)
    # The one nobody sent yet is worthless now: only the newest is pending.
    assert (told.status, told.params["position"]) == ("superseded", 3)
    assert (newest.status, newest.params["position"]) == ("pending", 1)
    assert [s.data["position"] for s in w.steps(record.call_id, "position")] == [5, 3, 2, 1]
    assert all(s.data["source"] == "poll" for s in w.steps(record.call_id, "position"))
    # Polls read and change nothing: they stay out of the audit log.
    polls = [
        e for e in w.memory.audit_entries() if e.method == "GET" and e.path.startswith("/v1/calls")
    ]
    assert polls == []


def test_an_unchanged_poll_pushes_the_next_one_out(world):
    w = world

    async def scenario():
        tracker = w.tracker(poll_interval_s=30)
        record, _ = await place(w, tracker, NIMBUS, "my bill")
        first = tracker.next_poll[record.call_id]
        await tracker.poll(record.call_id)
        return record, first, tracker.next_poll[record.call_id]

    record, first, second = w.run(scenario())
    assert second >= first
    assert w.queued(record.call_id) == []
    assert [s.kind for s in w.steps(record.call_id)] == ["dialled", "key", "queued"]


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


# --- a restart -------------------------------------------------------------------------------


def test_a_restarted_tracker_resumes_every_active_call(world):
    w = world

    async def before_restart():
        tracker = w.tracker()
        nimbus, _ = await place(w, tracker, NIMBUS, "my bill")
        brightgrid, _ = await place(w, tracker, BRIGHTGRID, "a question about my bill")
        homecare, _ = await place(w, tracker, HOMECARE, "my fridge is broken")
        await tracker.hang_up(homecare)
        # A walk cut short: dialled and recorded, then the process died before any key.
        call = await cut_walk(tracker, w.store, "cut:place")
        return nimbus, brightgrid, homecare, call.id

    nimbus, brightgrid, homecare, cut = w.run(before_restart())
    w.desk.advance(360)  # the Nimbus queue moves while Stand-in is down: 6 -> 3

    async def after_restart():
        tracker = w.tracker()  # a new process: nothing in memory
        assert tracker.next_poll == {}
        unfinished = await tracker.resume()
        scheduled = dict(tracker.next_poll)
        walked = [await tracker.walk(r, w.providers[r.provider]) for r in unfinished]
        for call_id in list(scheduled):
            await tracker.poll(call_id)
        return unfinished, scheduled, walked

    unfinished, scheduled, walked = w.run(after_restart())
    assert set(scheduled) == {nimbus.call_id, brightgrid.call_id, cut}
    assert homecare.call_id not in scheduled
    assert [r.call_id for r in unfinished] == [cut]
    [(record, notices)] = walked
    assert record.state == "queued" and record.notify["walking"] is False
    assert w.desk_call(HOMECARE, cut)["queue"] == "new_repairs"
    assert kinds(notices) == ["call_queued"]
    # The poll after the restart catches up with the queue and tells the owner.
    assert w.record(nimbus.call_id).position == 3
    assert kinds(w.queued(nimbus.call_id)) == ["call_position"]


async def cut_walk(tracker, store, key: str):
    """A HomeCare call dialled and recorded, then cut short (the process died) before any key."""
    call = await tracker.dialer.place(HOMECARE, "my washing machine leaks", key, CONV)
    store.create(
        call,
        account_id="HC-44120",
        reason="my washing machine leaks",
        topic="new_repair",
        conversation_id=CONV,
        output_channel=CHANNEL,
        notify={"walking": True, "key": "cut", "presses": 0, "wrong_turns": 0, "tried": {}},
        steps=[],
    )
    return call


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


# --- the dialer ------------------------------------------------------------------------------


def test_the_dialer_calls_from_the_owners_own_account(world):
    w = world

    async def scenario():
        dialer = ServiceDeskDialer(w.client, w.profile)
        call = await dialer.place(NIMBUS, "my bill", "dialer-1", CONV)
        again = await dialer.place(NIMBUS, "my bill", "dialer-1", CONV)  # a retry
        pressed = await dialer.press(NIMBUS, call.id, "1", "dialer-2", CONV)
        return call, again, pressed, await dialer.now(NIMBUS)

    call, again, pressed, now = w.run(scenario())
    assert again.id == call.id and call.state == "ivr" and call.menu is not None
    assert (pressed.state, pressed.queue, pressed.replayed) == ("queued", "billing", False)
    assert DESK_START <= now < DESK_START + SLACK
    # The call is the owner's: another account cannot see it.
    status, _, _ = w.desk.get(f"/v1/calls/{call.id}", key="sk-nimbus-sam")
    assert status == 404
    calls = [c for c in w.desk.state()["calls"] if c["id"] == call.id]
    assert [c["account_id"] for c in calls] == ["NT-908812"]


def test_without_a_key_nothing_is_dialled(world, monkeypatch):
    w = world
    monkeypatch.delenv("STANDIN_BRIGHTGRID_ENERGY_API_KEY")

    async def scenario():
        await place(w, w.tracker(), BRIGHTGRID, "a question about my bill")

    with pytest.raises(ConfigError, match="STANDIN_BRIGHTGRID_ENERGY_API_KEY"):
        w.run(scenario())
    assert w.desk.state()["calls"] == []
    assert w.store.latest() == []
