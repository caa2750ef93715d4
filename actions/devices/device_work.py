"""What the device worker's jobs share: backoff after a failure, the company's clock (by which
quiet hours are judged) and queuing a device notice, held back in the owner's quiet hours."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from actions.core.clock import utc_now
from actions.core.errors import ConfigError
from actions.devices.intake import add_device_notice
from actions.providers.desk_errors import DeskError
from actions.runtime import Services
from actions.store.notices import Notice
from actions.store.owner_preferences import current_preferences

BACKOFF_S, BACKOFF_CAP_S = 1.0, 300.0
HELD_RETRY_S = 60.0  # the owner handles that company: look again in a minute


def backoff(attempts: int) -> datetime:
    """When to try again after `attempts` failures: doubling from a second, up to five minutes."""
    return utc_now() + timedelta(seconds=min(BACKOFF_S * 2**attempts, BACKOFF_CAP_S))


async def world_now(svc: Services, provider: str | None = None) -> datetime:
    """The company's clock (the simulated desk runs its own), else ours."""
    account = svc.profile.account_for(provider or "") or svc.profile.accounts[0]
    try:
        key = svc.profile.api_key(account)
        return await svc.desk.desk_now(key, account.provider)
    except (DeskError, ConfigError):
        return utc_now()


async def queue_device_notice(
    svc: Services, notice: Notice, conversation_id: str, world: datetime
) -> None:
    """Queue a device notice, held back in quiet hours by the world's clock `world`."""
    prefs = await current_preferences(svc)

    def queue() -> None:
        with svc.memory.engine.begin() as conn:
            add_device_notice(
                svc.notices,
                conn,
                notice,
                conversation_id,
                svc.settings.notify_channel,
                world,
                prefs,
                svc.profile.owner.timezone,
            )
        svc.notices.queued()

    await asyncio.to_thread(queue)
