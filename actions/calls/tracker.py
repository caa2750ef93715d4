"""Following phone calls from dialling to the end: the menu, the hold, the handoff, the outcome.

One tracker per action-server process. This module dials and walks the menu to the right
queue; what follows is in the classes it builds on (see CallTracker).
"""

from __future__ import annotations

import asyncio

from actions.calls.call_states import ENDED_NOTICES
from actions.calls.menu_navigation import choose, node_at, ranked
from actions.calls.owner_decisions import OwnerDecisions
from actions.providers.desk_models import Call, Provider
from actions.store.calls import CallRecord, Change, Step
from actions.store.notices import Notice

MAX_PRESSES = 8


class CallTracker(OwnerDecisions):
    """Everything Stand-in does with phone calls. Built in layers, one job each:
    actions.calls.call_events applies what the desk says (with actions.calls.call_states
    deciding what it means), actions.calls.owner_decisions carries out the owner's decisions,
    and this class places calls and walks their menus."""

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
            notices = self._queue_notices(call, notify, change, direct=True)
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
