"""The owner's decisions on a call and Stand-in's own moves: take the call (a transfer to the
owner's phone), decline it or let it time out (a callback or a polite hang-up), hang up, ask
for a callback in a window outside the owner's quiet hours.

Each decision claims the call's handoff with a conditional update first, so the owner's answer
and the timeout act exactly once between them.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from actions.calls.call_events import CallEvents
from actions.calls.call_states import owner_step
from actions.core.clock import utc_now
from actions.owner.quiet_hours import quiet_window
from actions.providers.desk_errors import DeskError, DeskRejected
from actions.providers.desk_models import Call
from actions.store.calls import CallRecord
from actions.store.notices import Notice

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Decision:
    """The result of one owner decision or one of Stand-in's own moves on a call."""

    result: str  # e.g. transferred, callback_scheduled, hung_up, too_late, failed
    record: CallRecord | None
    detail: dict[str, Any]


class OwnerDecisions(CallEvents):
    """The owner's decisions on a call and Stand-in's own moves for them.

    The base of actions.calls.tracker.CallTracker (which adds placing a call)."""

    async def take(self, record: CallRecord) -> Decision:
        """The owner said yes to the agent: transfer the call to the owner's phone."""
        claimed = await asyncio.to_thread(
            self.store.update,
            record.call_id,
            expect={"handoff": "waiting"},
            handoff="taken",
            steps=[owner_step(record, "took")],
        )
        if not claimed:
            return Decision("too_late", self.store.get(record.call_id), {})
        await asyncio.to_thread(self._close_handoff, record, "answered", "taken")
        phone = self.profile.owner.phone
        try:
            call = await self.dialer.transfer(
                record.provider,
                record.call_id,
                phone,
                f"{record.call_id}:transfer",
                record.conversation_id,
            )
        except DeskRejected as err:
            current = await self.refresh(record)
            return Decision("transfer_refused", current, {"code": err.code})
        except DeskError:
            return Decision("transfer_unknown", self.store.get(record.call_id), {})
        await asyncio.to_thread(self.store.update, record.call_id, outcome="transferred")
        await asyncio.to_thread(self.apply, call, "action")
        return Decision("transferred", self.store.get(record.call_id), {"phone": phone})

    async def held(self, provider: str) -> bool:
        """Whether the owner handles `provider` themselves: then Stand-in sends it nothing."""
        return self.owner_holds is not None and await self.owner_holds(provider)

    async def decline(self, record: CallRecord, by: str) -> Decision:
        """The owner said no (`by`="owner") or did not answer (`by`="timeout"): a callback
        where the company offers one, otherwise a polite hang-up. A timeout on a company the
        owner has taken over sends nothing: the agent is left on the line for the owner."""
        if by == "timeout" and await self.held(record.provider):
            return await self._leave_with_owner(record)
        claimed = await asyncio.to_thread(
            self.store.update,
            record.call_id,
            expect={"handoff": "waiting"},
            handoff="declined" if by == "owner" else "timed_out",
            notify={**record.notify, "closing": by},
            steps=[owner_step(record, "declined" if by == "owner" else "no_answer")],
        )
        if not claimed:
            return Decision("too_late", self.store.get(record.call_id), {})
        if by == "owner":
            await asyncio.to_thread(self._close_handoff, record, "answered", "declined")
        else:
            await asyncio.to_thread(self._close_handoff, record, "lapsed", "callback_or_hang_up")
        decision = await self._callback_or_hang_up(record, f"handoff-{by}")
        if by == "timeout":
            await asyncio.to_thread(
                self.store.update,
                record.call_id,
                notices=[
                    Notice(
                        f"handoff_timeout_{decision.result}",
                        {
                            "provider": record.provider,
                            "seconds": int(self.answer_timeout_s),
                            **decision.detail,
                        },
                        subject=record.call_id,
                        urgent=True,
                        dedupe_key=f"{record.call_id}:handoff_timeout",
                    )
                ],
            )
            self.outbox.queued()
        return decision

    async def _leave_with_owner(self, record: CallRecord) -> Decision:
        """The owner did not answer, but handles this company themselves: no callback request,
        no hang-up. The owner is told, in the same transaction as the claim."""
        notice = Notice(
            "handoff_timeout_owner_holds",
            {"provider": record.provider, "seconds": int(self.answer_timeout_s)},
            subject=record.call_id,
            urgent=True,
            dedupe_key=f"{record.call_id}:handoff_timeout",
        )
        # No "closing" mark: Stand-in does not end this call, so its ending is told as usual.
        claimed = await asyncio.to_thread(
            self.store.update,
            record.call_id,
            expect={"handoff": "waiting"},
            handoff="timed_out",
            steps=[owner_step(record, "no_answer")],
            notices=[notice],
        )
        if not claimed:
            return Decision("too_late", self.store.get(record.call_id), {})
        await asyncio.to_thread(self._close_handoff, record, "lapsed", "left_with_owner")
        self.outbox.queued()
        return Decision("owner_holds", self.store.get(record.call_id), {})

    async def hang_up(self, record: CallRecord) -> Decision:
        """The owner asked to hang up or stop waiting."""
        await asyncio.to_thread(
            self.store.update,
            record.call_id,
            notify={**record.notify, "closing": "owner_hangup"},
            handoff="declined" if record.handoff == "waiting" else record.handoff,
            steps=[owner_step(record, "hang_up")],
        )
        try:
            call = await self.dialer.hang_up(
                record.provider,
                record.call_id,
                "customer_request",
                f"{record.call_id}:hangup:owner",
                record.conversation_id,
            )
        except DeskRejected:
            current = await self.refresh(record)
            return Decision("already_ended", current, {})
        except DeskError:
            return Decision("failed", self.store.get(record.call_id), {})
        await asyncio.to_thread(self.store.update, record.call_id, outcome="hung_up_by_owner")
        await asyncio.to_thread(self.apply, call, "action")
        return Decision("hung_up", self.store.get(record.call_id), {})

    async def request_callback(self, record: CallRecord, why: str) -> Decision:
        """Leave the queue for a callback to the owner's phone, outside quiet hours."""
        try:
            call = await self._callback(record, why)
        except DeskRejected as err:
            return Decision("callback_refused", await self.refresh(record), {"code": err.code})
        except DeskError:
            return Decision("failed", self.store.get(record.call_id), {})
        await asyncio.to_thread(self.apply, call, "action")
        due = call.callback.due_at if call.callback else None
        return Decision("callback_scheduled", self.store.get(record.call_id), {"due_at": due})

    async def _callback_or_hang_up(self, record: CallRecord, why: str) -> Decision:
        provider = self.providers.get(record.provider)
        if provider is not None and provider.callbacks_offered:
            decision = await self.request_callback(record, why)
            if decision.result == "callback_scheduled":
                await asyncio.to_thread(
                    self.store.update, record.call_id, outcome="callback_scheduled"
                )
                return decision
        try:
            call = await self.dialer.hang_up(
                record.provider,
                record.call_id,
                "owner_unavailable",
                f"{record.call_id}:hangup:{why}",
                record.conversation_id,
            )
        except DeskRejected:
            return Decision("already_ended", await self.refresh(record), {})
        except DeskError:
            return Decision("failed", self.store.get(record.call_id), {})
        await asyncio.to_thread(self.store.update, record.call_id, outcome="hung_up_politely")
        await asyncio.to_thread(self.apply, call, "action")
        return Decision("hung_up", self.store.get(record.call_id), {})

    async def _callback(self, record: CallRecord, why: str) -> Call:
        """Ask for a callback in a window that avoids the owner's quiet hours."""
        prefs = self._preferences()
        tz = self.profile.owner.timezone
        now = await self.dialer.now(record.provider)
        wait = record.estimated_wait_s or 0
        expected = now + timedelta(seconds=wait)
        earliest, quiet_again = quiet_window(prefs, tz, expected)
        windows = [(earliest if earliest > expected else None, quiet_again)]
        if quiet_again is not None:
            windows.append(quiet_window(prefs, tz, quiet_again))  # the next day's window
        last: DeskRejected | None = None
        for attempt, (not_before, not_after) in enumerate(windows):
            try:
                return await self.dialer.callback(
                    record.provider,
                    record.call_id,
                    self.profile.owner.phone,
                    not_before,
                    not_after,
                    f"{record.call_id}:callback:{why}:{attempt}",
                    record.conversation_id,
                )
            except DeskRejected as err:
                if err.status != 422 or "not_after" not in err.fields:
                    raise
                last = err
        assert last is not None
        raise last

    async def expire_handoffs(self, now: datetime | None = None) -> int:
        expired = await asyncio.to_thread(self.store.expired_handoffs, now or utc_now())
        for record in expired:
            try:
                await self.decline(record, "timeout")
            except Exception:
                logger.exception("handling the unanswered handoff of %s failed", record.call_id)
        return len(expired)
