"""What the call tests share: a World of real parts (the desk process, a store, the client,
the owner profile), a tracker built as the runtime builds one, and calls placed on the desk.

Everything is real: the desk process (with its simulated clock), a SQLite store with its
migrations, the service-desk client and dialer, the owner profile (owner.yml, quiet hours
22:00-07:00 Europe/Lisbon) with the demo keys, and the preferences store. The desk starts at
2026-11-23T09:00Z, which is 09:00 in Lisbon (winter time, UTC+0).
"""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections.abc import Coroutine
from datetime import datetime, timedelta, timezone
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from actions.calls.dialer import ServiceDeskDialer
from actions.calls.tracker import CallTracker
from actions.owner.profile import OwnerProfile
from actions.providers.client import ServiceDeskClient
from actions.providers.desk_models import Provider
from actions.store.calls import CallRecord, CallStore
from actions.store.case_memory import CaseMemory
from actions.store.notices import Notice, NoticeOutbox, StoredNotice
from actions.store.preferences import PreferenceStore
from tests.conftest import DeskProcess

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
