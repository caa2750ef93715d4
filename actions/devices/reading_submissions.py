"""A meter reading due to a company, sent (with its own idempotency key, so never twice) unless
the owner handles that company; a refusal or the sending is told to the owner. A company that
cannot be reached means a retry with backoff."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta, timezone

from actions.core.clock import utc_now
from actions.core.errors import ConfigError
from actions.devices.device_work import HELD_RETRY_S, backoff, queue_device_notice, world_now
from actions.handoff.owner_hold import owner_holds
from actions.providers.desk_errors import DeskError, DeskRejected
from actions.providers.desk_models import MeterReadingCreate
from actions.runtime import Services
from actions.store.devices import PENDING, REJECTED, SENT, Submission
from actions.store.notices import Notice

logger = logging.getLogger(__name__)


class SubmissionWork:
    """Sends one due meter reading."""

    def __init__(self, svc: Services) -> None:
        self.svc = svc

    async def submit(self, submission: Submission) -> None:
        svc = self.svc
        if await owner_holds(svc.handoffs, submission.provider) is not None:
            await asyncio.to_thread(
                svc.devices.move_submission,
                submission.id,
                PENDING,
                next_attempt_at=utc_now() + timedelta(seconds=HELD_RETRY_S),
            )
            return
        body = MeterReadingCreate(
            meter_id=submission.meter_id,
            value=submission.value,
            unit=submission.unit,
            read_at=submission.read_at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        )
        try:
            _, key = svc.profile.credentials(submission.provider)
            reading = await svc.desk.submit_meter_reading(
                key,
                body,
                submission.idempotency_key,
                provider=submission.provider,
                conversation_id=submission.conversation_id,
            )
        except DeskRejected as err:
            moved = await asyncio.to_thread(
                svc.devices.move_submission,
                submission.id,
                PENDING,
                status=REJECTED,
                last_error=err.message[:500],
            )
            if moved:
                await self._tell_reading(submission, "meter_reading_rejected", err.message)
            return
        except (DeskError, ConfigError) as err:
            logger.warning(
                "meter reading %s/%s not sent: %s", submission.meter_id, submission.period, err
            )
            await asyncio.to_thread(
                svc.devices.move_submission,
                submission.id,
                PENDING,
                attempts=submission.attempts + 1,
                next_attempt_at=backoff(submission.attempts),
                last_error=str(err)[:500],
            )
            return
        moved = await asyncio.to_thread(
            svc.devices.move_submission,
            submission.id,
            PENDING,
            status=SENT,
            reading_id=reading.id,
            sent_at=utc_now(),
        )
        if moved:
            await self._tell_reading(submission, "meter_reading_sent", reading.id)

    async def _tell_reading(self, submission: Submission, kind: str, detail: str) -> None:
        world = max(await world_now(self.svc, submission.provider), submission.read_at)
        notice = Notice(
            kind,
            {"submission_id": submission.id, "provider": submission.provider, "detail": detail},
            subject=submission.meter_id,
            dedupe_key=f"meter:{submission.meter_id}:{submission.period}:{kind}",
        )
        await queue_device_notice(self.svc, notice, submission.conversation_id, world)
