"""Following phone calls as they change: every desk snapshot applied, polls, a restart resumed.

Every change of a call arrives as a desk snapshot (the answer to Stand-in's own request, a
webhook, or a poll) and goes through `apply`, which records what actions.calls.call_states
decides in the store, in one transaction. Nothing here waits for a hold: the hold is rows in
the store plus a poll schedule in memory, so a restart resumes every call.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from actions.calls.call_states import decide, owner_step, queue_notices
from actions.calls.dialer import Dialer
from actions.core.clock import utc_now
from actions.handoff.registry import HandoffRegistry
from actions.owner.profile import OwnerProfile, Preferences
from actions.providers.desk_errors import DeskError
from actions.providers.desk_models import Call, Provider
from actions.store.calls import CallRecord, CallStore, Change
from actions.store.notices import Notice, NoticeOutbox, StoredNotice

logger = logging.getLogger(__name__)

HANDOFF_POINT = "agent_connected"


class CallEvents:
    """A call's life as it reaches Stand-in: snapshots applied, polls due, notices sent.

    The base of actions.calls.tracker.CallTracker, which adds the moves Stand-in makes."""

    def __init__(
        self,
        *,
        dialer: Dialer,
        store: CallStore,
        outbox: NoticeOutbox,
        profile: OwnerProfile,
        preferences: Callable[[], Preferences],
        answer_timeout_s: float,
        poll_interval_s: float,
    ) -> None:
        self.dialer = dialer
        self.store = store
        self.outbox = outbox
        self.profile = profile
        self._preferences = preferences
        self.answer_timeout_s = answer_timeout_s
        self.poll_interval_s = poll_interval_s
        self.providers: dict[str, Provider] = {}
        # call id -> monotonic time of the next status poll; rebuilt from the store on start.
        self.next_poll: dict[str, float] = {}
        # Set by the runtime: where "take the call?" is recorded with every other handoff.
        self.handoffs: HandoffRegistry | None = None
        # Set by the runtime: whether the owner has taken a company over
        # (actions.handoff.owner_hold bound to the runtime's handoff registry).
        self.owner_holds: Callable[[str], Awaitable[bool]] | None = None

    def know(self, providers: list[Provider]) -> None:
        self.providers.update({p.id: p for p in providers})

    def heard(self, call_id: str, active: bool = True) -> None:
        """Push the next poll out: the call was just heard of (or stop polling it)."""
        if active:
            self.next_poll[call_id] = time.monotonic() + self.poll_interval_s
        else:
            self.next_poll.pop(call_id, None)

    def apply(self, call: Call, source: str) -> tuple[CallRecord, Change] | None:
        """Apply a snapshot from `source` (action, webhook or poll); None if stale or unknown.

        Synchronous (store work): async callers run it in a thread."""
        applied = self.store.apply(
            call,
            lambda record, snap: decide(
                record,
                snap,
                source,
                answer_timeout_s=self.answer_timeout_s,
                queue_notices=self._queue_notices,
            ),
        )
        record = applied[0] if applied else self.store.get(call.id)
        if record is not None:
            self.heard(call.id, record.active)
        if applied and record is not None:
            self._mirror(record, applied[1].values.get("handoff"))
        if applied and applied[1].notices:
            self.outbox.queued()
        return applied

    def _mirror(self, record: CallRecord, handoff: str | None) -> None:
        """Keep the record of handoffs complete: "take the call?" asked, or gone unanswered
        because the call ended first. (The answer and the timeout are mirrored where they
        are decided.)"""
        if self.handoffs is None or not record.conversation_id or handoff is None:
            return
        try:
            if handoff == "waiting":
                self.handoffs.open(
                    HANDOFF_POINT,
                    record.conversation_id,
                    provider=record.provider,
                    subject=record.call_id,
                    output_channel=record.output_channel or "callback",
                )
            elif handoff == "missed":
                self.handoffs.withdraw(
                    record.conversation_id, HANDOFF_POINT, "call_ended", record.call_id
                )
        except Exception:
            logger.exception("recording the handoff of %s failed", record.call_id)

    def _close_handoff(self, record: CallRecord, status: str, outcome: str) -> None:
        if self.handoffs is None or not record.conversation_id:
            return
        try:
            close = self.handoffs.answer if status == "answered" else self.handoffs.lapse
            close(record.conversation_id, HANDOFF_POINT, outcome, record.call_id)
        except Exception:
            logger.exception("recording the handoff of %s failed", record.call_id)

    def _queue_notices(
        self, call: Call, notify: dict[str, Any], change: Change, direct: bool = False
    ) -> list[Notice]:
        """The queue's news for the owner, by their current preferences (see
        actions.calls.call_states.queue_notices)."""
        prefs = self._preferences()
        provider = self.providers.get(call.provider)
        return queue_notices(
            call,
            notify,
            change,
            prefs=prefs,
            timezone=self.profile.owner.timezone,
            callbacks_offered=bool(provider and provider.callbacks_offered),
            direct=direct,
        )

    def notice_sent(self, notice: StoredNotice) -> None:
        """The owner's answer time starts when "take the call?" reached them, not when the
        agent picked up: a Rasa that was down must not eat into it."""
        if notice.kind == "agent_connected" and notice.subject:
            self.store.update(
                notice.subject,
                expect={"handoff": "waiting"},
                handoff_deadline=utc_now() + timedelta(seconds=self.answer_timeout_s),
            )

    def note_owner(self, call_id: str, decision: str) -> None:
        record = self.store.get(call_id)
        if record is not None:
            self.store.add_steps([owner_step(record, decision)])

    async def refresh(self, record: CallRecord) -> CallRecord | None:
        try:
            call = await self.dialer.status(record.provider, record.call_id)
        except DeskError:
            return self.store.get(record.call_id)
        await asyncio.to_thread(self.apply, call, "poll")
        return self.store.get(record.call_id)

    # --- what the monitor runs ----------------------------------------------------------

    async def poll(self, call_id: str) -> None:
        record = await asyncio.to_thread(self.store.get, call_id)
        if record is None or not record.active:
            self.heard(call_id, active=False)
            return
        try:
            call = await self.dialer.status(record.provider, call_id)
        except DeskError as err:
            logger.info("poll of %s failed: %s; trying again later", call_id, err)
            self.heard(call_id)
            return
        await asyncio.to_thread(self.apply, call, "poll")

    async def resume(self) -> list[CallRecord]:
        """After a start: poll every active call soon, and finish menu walks cut short."""
        records = await asyncio.to_thread(self.store.active)
        now = time.monotonic()
        for index, record in enumerate(records):
            # Spread the first polls over a second or two rather than all at once.
            self.next_poll[record.call_id] = now + min(index * 0.005, 2.0)
        return [r for r in records if r.notify.get("walking")]
