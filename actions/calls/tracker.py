"""Following phone calls from dialling to the end: the menu, the hold, the handoff, the outcome.

One tracker per action-server process. Every change of a call arrives as a desk snapshot
(the answer to Stand-in's own request, a webhook, or a poll) and goes through `apply`, which
records the step and decides what the owner hears. Nothing here waits for a hold: the hold is
rows in the store plus a poll schedule in memory, so a restart resumes every call.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from actions.calls.dialer import Dialer
from actions.calls.hold_policy import callback_worth_offering, minutes, queue_news, told
from actions.calls.menu_navigation import choose, node_at, ranked
from actions.core.clock import utc_now
from actions.handoff.registry import HandoffRegistry
from actions.owner.profile import OwnerProfile, Preferences
from actions.owner.quiet_hours import in_quiet_hours, quiet_window
from actions.providers.desk_errors import DeskError, DeskRejected
from actions.providers.desk_models import Call, Provider
from actions.store.calls import CallRecord, CallStore, Change, Step
from actions.store.notices import Notice, NoticeOutbox, StoredNotice

logger = logging.getLogger(__name__)

HANDOFF_POINT = "agent_connected"

MAX_PRESSES = 8
UNDELIVERED_GRACE_S = 180
# How the desk's end reasons read as outcomes, and which the owner must hear about.
OUTCOMES = {
    "customer_hangup": "hung_up",
    "completed": "completed",
    "provider_ended": "ended_by_provider",
    "agent_no_response": "agent_gave_up",
    "invalid_input": "menu_failed",
}
ENDED_NOTICES = {
    "provider_ended": "call_ended_by_provider",
    "agent_no_response": "call_agent_gave_up",
    "invalid_input": "call_menu_failed",
}


def _step_data(call: Call, source: str) -> dict[str, Any]:
    """What the call history shows for a state step (see actions.calls.call_actions)."""
    return {
        "source": source,
        "position": call.position,
        "wait_min": minutes(call.estimated_wait_s),
        "agent": call.agent.name if call.agent else None,
        "due_at": call.callback.due_at.isoformat() if call.callback else None,
        "outcome": OUTCOMES.get(call.ended_reason or "", call.ended_reason),
        "phone": (call.transfer or {}).get("phone_number"),
    }


def _owner_step(record: CallRecord, decision: str) -> Step:
    """An owner's decision, timed on the desk's clock (its last known time) like every other
    step, so the history reads in order even where the desk's clock is simulated."""
    at = Call.parse_obj(record.snapshot).updated_at if record.snapshot else utc_now()
    return Step(record.call_id, at, "owner", decision, {"decision": decision})


@dataclass(frozen=True)
class Decision:
    """The result of one owner decision or one of Stand-in's own moves on a call."""

    result: str  # e.g. transferred, callback_scheduled, hung_up, too_late, failed
    record: CallRecord | None
    detail: dict[str, Any]


class CallTracker:
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
        # (actions.handoff.owner_control, which sits above the calls, so it is handed in).
        self.owner_holds: Callable[[str], Awaitable[bool]] | None = None

    def know(self, providers: list[Provider]) -> None:
        self.providers.update({p.id: p for p in providers})

    def heard(self, call_id: str, active: bool = True) -> None:
        """Push the next poll out: the call was just heard of (or stop polling it)."""
        if active:
            self.next_poll[call_id] = time.monotonic() + self.poll_interval_s
        else:
            self.next_poll.pop(call_id, None)

    # --- applying snapshots -------------------------------------------------------------

    def apply(self, call: Call, source: str) -> tuple[CallRecord, Change] | None:
        """Apply a snapshot from `source` (action, webhook or poll); None if stale or unknown.

        Synchronous (store work): async callers run it in a thread."""
        applied = self.store.apply(call, lambda record, snap: self._decide(record, snap, source))
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

    def _decide(self, record: CallRecord, call: Call, source: str) -> Change:
        notify = dict(record.notify)
        change = Change(notify=notify)
        at = call.updated_at
        detail = call.history[-1].detail if call.history else None
        if call.state != record.state:
            change.steps.append(Step(call.id, at, call.state, detail, _step_data(call, source)))
        elif call.state == "queued" and call.position != record.position:
            change.steps.append(
                Step(
                    call.id,
                    at,
                    "position",
                    f"position {call.position}, about {minutes(call.estimated_wait_s)} min",
                    _step_data(call, source),
                )
            )
        if call.state == "queued" and not notify.get("walking"):
            change.notices += self._queue_notices(record, call, notify, change)
        elif call.state == "agent_connected" and record.state != "agent_connected":
            change.values["handoff"] = "waiting"
            # The owner's time starts when the question reaches them (notice_sent); until then
            # a grace period covers a Rasa that is restarting, then the safe default applies.
            change.values["handoff_deadline"] = (
                utc_now() + timedelta(seconds=self.answer_timeout_s + UNDELIVERED_GRACE_S)
            ).replace(tzinfo=None)
            change.notices.append(
                Notice(
                    "agent_connected",
                    {
                        "provider": call.provider,
                        "agent": call.agent.name if call.agent else None,
                        "via_callback": record.state == "callback_scheduled",
                        "timeout_s": int(self.answer_timeout_s),
                    },
                    subject=call.id,
                    urgent=True,
                    dedupe_key=f"{call.id}:agent_connected:{len(call.history)}",
                )
            )
        elif call.state == "ended" and record.state != "ended":
            reason = call.ended_reason or "unknown"
            change.values["outcome"] = record.outcome or OUTCOMES.get(reason, "ended")
            if record.handoff == "waiting":
                change.values["handoff"] = "missed"
            closing = notify.get("closing")  # Stand-in ended it and says so itself
            kind = ENDED_NOTICES.get(reason)
            if kind and not closing and not notify.get("walking"):
                change.notices.append(
                    Notice(
                        kind,
                        {"provider": call.provider, "reason": reason},
                        subject=call.id,
                        urgent=True,
                        dedupe_key=f"{call.id}:ended",
                    )
                )
        return change

    def _queue_notices(
        self, record: CallRecord, call: Call, notify: dict, change: Change, direct: bool = False
    ) -> list[Notice]:
        """Queue news and a callback offer. `direct`: said in the owner's own turn, which quiet
        hours never hold back (the owner is evidently awake)."""
        prefs = self._preferences()
        at = call.updated_at
        quiet = not direct and in_quiet_hours(prefs, self.profile.owner.timezone, at)
        notices: list[Notice] = []
        if not notify.get("queued_told"):
            kind: str | None = "call_queued"
        elif queue_news(notify.get("told") or {}, call.position, call.estimated_wait_s, at):
            kind = "call_position"
        else:
            kind = None
        params = {
            "provider": call.provider,
            "queue": call.queue,
            "position": call.position,
            "wait_min": minutes(call.estimated_wait_s),
        }
        if kind and quiet:
            change.steps.append(Step(call.id, at, "withheld", f"{kind}: quiet hours"))
        elif kind:
            notices.append(
                Notice(kind, params, subject=call.id, dedupe_key=f"{call.id}:{kind}:{call.version}")
            )
            notify["queued_told"] = True
            notify["told"] = told(call.position, call.estimated_wait_s, at)
        provider = self.providers.get(call.provider)
        if (
            not quiet
            and callback_worth_offering(
                prefs,
                bool(provider and provider.callbacks_offered),
                bool(notify.get("callback_offered")),
                call.estimated_wait_s,
            )
            and call.position
        ):
            notices.append(
                Notice(
                    "callback_offer",
                    {**params, "prefers": prefs.prefer_callbacks},
                    subject=call.id,
                    dedupe_key=f"{call.id}:callback_offer",
                )
            )
            notify["callback_offered"] = True
        return notices

    # --- placing a call and walking its menu --------------------------------------------

    async def place(
        self, conversation_id: str, channel: str, provider: Provider, reason: str, key: str
    ) -> tuple[CallRecord, list[Notice]]:
        """Dial, walk the menu to the right queue, and return what the owner hears now."""
        self.know([provider])
        call = await self.dialer.place(provider.id, reason, f"{key}:place", conversation_id)
        options = ranked(provider.menu, reason) if provider.menu else []
        account = self.profile.account_for(provider.id)
        record = await asyncio.to_thread(
            self.store.create,
            call,
            account_id=account.account_id if account else None,
            reason=reason,
            topic=options[0].topic if options else "operator",
            conversation_id=conversation_id,
            output_channel=channel,
            notify={"walking": True, "key": key, "presses": 0, "wrong_turns": 0, "tried": {}},
            steps=[
                Step(
                    call.id,
                    call.created_at or call.updated_at,
                    "dialled",
                    f"called {provider.name} ({provider.phone_number or 'support line'})",
                    {"reason": reason},
                )
            ],
        )
        self.heard(call.id)
        return await self.walk(record, provider)

    async def walk(self, record: CallRecord, provider: Provider) -> tuple[CallRecord, list[Notice]]:
        """Press keys until the call leaves the menu. Resumable: progress is in the record."""
        call = Call.parse_obj(record.snapshot)
        notify = dict(record.notify)
        tried: dict[str, list[str]] = notify.get("tried", {})
        while call.state == "ivr" and notify["presses"] < MAX_PRESSES:
            level = "".join(call.path)
            node = node_at(provider.menu, call.path) or call.menu
            choice = choose(
                node, record.reason or "", notify["wrong_turns"], set(tried.get(level, []))
            )
            key = f"{notify['key']}:dtmf:{notify['presses']}"
            call = await self.dialer.press(
                provider.id, call.id, choice.digit, key, record.conversation_id
            )
            notify["presses"] += 1
            tried.setdefault(level, []).append(choice.digit)
            notify["tried"] = tried
            steps = [
                Step(
                    call.id,
                    call.updated_at,
                    "key",
                    f"pressed {choice.digit} ({choice.label}, {choice.why.replace('_', ' ')})",
                    {"digit": choice.digit, "label": choice.label, "why": choice.why},
                )
            ]
            if call.replayed:
                notify["wrong_turns"] += 1
                steps.append(Step(call.id, call.updated_at, "wrong_turn", "the menu replayed"))
            await asyncio.to_thread(self.store.update, call.id, notify=notify, steps=steps)
            await asyncio.to_thread(self.apply, call, "action")
        if call.state == "ivr":
            # The menu never let us through: give up cleanly rather than hold a dead line.
            call = await self.dialer.hang_up(
                provider.id, call.id, "menu_unresolved", f"{notify['key']}:hangup", None
            )
            await asyncio.to_thread(self.store.update, call.id, outcome="menu_failed")
            await asyncio.to_thread(self.apply, call, "action")
        return await asyncio.to_thread(self.finish_walk, call.id)

    def finish_walk(self, call_id: str) -> tuple[CallRecord, list[Notice]]:
        """End the walk: what the queue looks like is for the owner to hear now, directly."""
        record = self.store.get(call_id)
        assert record is not None
        notify = {**record.notify, "walking": False}
        change = Change(notify=notify)
        notices: list[Notice] = []
        call = Call.parse_obj(record.snapshot)
        if record.state == "queued":
            notices = self._queue_notices(record, call, notify, change, direct=True)
        elif record.state == "ended":
            kind = ENDED_NOTICES.get(call.ended_reason or "")
            if record.outcome == "menu_failed":
                kind = "call_menu_failed"
            if kind:
                notices = [
                    Notice(
                        kind,
                        {"provider": call.provider, "reason": call.ended_reason},
                        subject=call_id,
                        urgent=True,
                        dedupe_key=f"{call_id}:ended",
                    )
                ]
        self.store.update(call_id, notify=notify, steps=change.steps)
        updated = self.store.get(call_id)
        assert updated is not None
        return updated, notices

    # --- the owner's decisions and Stand-in's own moves ---------------------------------

    async def take(self, record: CallRecord) -> Decision:
        """The owner said yes to the agent: transfer the call to the owner's phone."""
        claimed = await asyncio.to_thread(
            self.store.update,
            record.call_id,
            expect={"handoff": "waiting"},
            handoff="taken",
            steps=[_owner_step(record, "took")],
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
            steps=[_owner_step(record, "declined" if by == "owner" else "no_answer")],
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
            steps=[_owner_step(record, "no_answer")],
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
            steps=[_owner_step(record, "hang_up")],
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
            self.store.add_steps([_owner_step(record, decision)])

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

    async def expire_handoffs(self, now: datetime | None = None) -> int:
        expired = await asyncio.to_thread(self.store.expired_handoffs, now or utc_now())
        for record in expired:
            try:
                await self.decline(record, "timeout")
            except Exception:
                logger.exception("handling the unanswered handoff of %s failed", record.call_id)
        return len(expired)

    async def resume(self) -> list[CallRecord]:
        """After a start: poll every active call soon, and finish menu walks cut short."""
        records = await asyncio.to_thread(self.store.active)
        now = time.monotonic()
        for index, record in enumerate(records):
            # Spread the first polls over a second or two rather than all at once.
            self.next_poll[record.call_id] = now + min(index * 0.005, 2.0)
        return [r for r in records if r.notify.get("walking")]
