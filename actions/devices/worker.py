"""The action server's background work for devices: incidents taken to the company
(`incident_work`), meter readings sent on schedule (`reading_submissions`), and device notices
released when the owner's quiet hours end, by the company's clock.

One loop does it all, woken whenever intake or the owner's answer makes work ready (`wake`,
safe from any thread) and otherwise every half second; a failure is logged and the loop goes on.
"""

from __future__ import annotations

import asyncio
import logging

from actions.core.clock import utc_now
from actions.core.wakeup import WakeUp
from actions.devices.device_work import world_now
from actions.devices.incident_work import IncidentWork
from actions.devices.reading_submissions import SubmissionWork
from actions.runtime import Services

logger = logging.getLogger(__name__)

WORLD_CLOCK_EVERY_S = 5.0


class DeviceWorker:
    def __init__(self, svc: Services) -> None:
        self.svc = svc
        self.incidents = IncidentWork(svc)
        self.submissions = SubmissionWork(svc)
        self._bell = WakeUp()

    def wake(self) -> None:
        """Safe from any thread: an incident or a submission is ready."""
        self._bell.ring()

    async def run(self, idle_s: float = 0.5) -> None:
        loop = self._bell.attach()
        last_clock = 0.0
        while True:
            self._bell.clear()
            try:
                await self.step()
                now = loop.time()
                if now - last_clock >= WORLD_CLOCK_EVERY_S:
                    last_clock = now
                    await self.release_after_quiet_hours()
            except Exception:
                logger.exception("device work failed; trying again shortly")
            await self._bell.sleep(idle_s)

    async def step(self) -> None:
        now = utc_now()
        devices = self.svc.devices
        for incident in await asyncio.to_thread(devices.due_incidents, now):
            await self.incidents.advance(incident)
        for submission in await asyncio.to_thread(devices.due_submissions, now):
            await self.submissions.submit(submission)

    async def release_after_quiet_hours(self) -> None:
        if await asyncio.to_thread(self.svc.notices.has_deferred):
            await asyncio.to_thread(self.svc.notices.release_deferred, await world_now(self.svc))
