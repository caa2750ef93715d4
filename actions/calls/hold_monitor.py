"""The action server's background work: status polls when a call's webhooks go quiet, the
owner's answer timeouts (a call's agent, and every other handoff), and resuming everything
after a restart.

Webhooks are the main source; a call unheard of for `call_poll_s` is polled. The loop wakes
every `tick_s`, so a poll or a timeout is at most that late.
"""

from __future__ import annotations

import asyncio
import logging
import time

from actions.calls.tracker import CallTracker
from actions.handoff.provider_questions import QuestionWatcher
from actions.handoff.registry import HandoffRegistry
from actions.providers.directory import ProviderDirectory

logger = logging.getLogger(__name__)

POLL_CONCURRENCY = 20
QUESTION_EVERY_TICKS = 2  # companies' open questions: looked at every second
HELD_RETRY_S = 60.0  # a walk into a company the owner holds: look again in a minute


class HoldMonitor:
    def __init__(
        self,
        tracker: CallTracker,
        directory: ProviderDirectory,
        handoffs: HandoffRegistry | None = None,
        questions: QuestionWatcher | None = None,
        tick_s: float = 0.5,
        held_retry_s: float = HELD_RETRY_S,
    ) -> None:
        self.tracker = tracker
        self.held_retry_s = held_retry_s
        self.handoffs = handoffs
        self.questions = questions
        self._ticks = 0
        self.directory = directory
        self.tick_s = tick_s
        self._polls = asyncio.Semaphore(POLL_CONCURRENCY)
        self._running: set[str] = set()

    async def run(self) -> None:
        await self._start()
        while True:
            try:
                await self.tick()
            except Exception:
                logger.exception("hold monitor tick failed")
            await asyncio.sleep(self.tick_s)

    async def _start(self) -> None:
        # The directory (menus, who offers callbacks) is needed before any decision; the desk
        # may still be starting, so keep asking.
        delay = 0.5
        while True:
            try:
                self.tracker.know(await self.directory.providers())
                break
            except Exception as err:
                logger.warning("provider directory not readable yet (%s); retrying", err)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 30)
        unfinished = await self.tracker.resume()
        if self.tracker.next_poll:
            logger.info("resuming %d call(s) from the store", len(self.tracker.next_poll))
        for record in unfinished:
            asyncio.ensure_future(self._finish_walk(record.call_id))

    async def _finish_walk(self, call_id: str) -> None:
        record = await asyncio.to_thread(self.tracker.store.get, call_id)
        provider = self.tracker.providers.get(record.provider) if record else None
        if record is None or provider is None:
            return
        try:
            # No key is pressed at a company the owner has taken over: the walk waits until it
            # is handed back (the call may have ended meanwhile).
            while await self.tracker.held(provider.id):
                await asyncio.sleep(self.held_retry_s)
                record = await asyncio.to_thread(self.tracker.store.get, call_id)
                if record is None or not record.active or not record.notify.get("walking"):
                    return
            record, notices = await self.tracker.walk(record, provider)
        except Exception:
            logger.exception("resuming the menu walk of %s failed", call_id)
            return
        if notices:
            # Nobody is in a turn to hear it: it goes out as notices.
            await asyncio.to_thread(self.tracker.store.update, call_id, notices=notices)
            self.tracker.outbox.queued()

    async def tick(self) -> None:
        await self.tracker.expire_handoffs()
        if self.handoffs is not None:
            # The other points' safe defaults: the owner did not answer in time.
            await asyncio.to_thread(self.handoffs.lapse_due)
        self._ticks += 1
        if self.questions is not None and self._ticks % QUESTION_EVERY_TICKS == 0:
            await self.questions.tick()
        now = time.monotonic()
        due = [
            call_id
            for call_id, at in list(self.tracker.next_poll.items())
            if at <= now and call_id not in self._running
        ]
        for call_id in due:
            self._running.add(call_id)
            asyncio.ensure_future(self._poll(call_id))

    async def _poll(self, call_id: str) -> None:
        try:
            async with self._polls:
                await self.tracker.poll(call_id)
        except Exception:
            logger.exception("poll of %s failed", call_id)
            self.tracker.heard(call_id)
        finally:
            self._running.discard(call_id)
