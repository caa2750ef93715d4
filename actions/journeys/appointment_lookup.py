"""What the desks say about appointments: the owner's booked ones at every company that books
them, the free slots of one company, and the desk's clock."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from actions.core.errors import ConfigError
from actions.journeys.appointment_display import (
    appointment_entry,
)
from actions.owner.profile import Account
from actions.providers.desk_errors import DeskError
from actions.providers.offered_slots import offered_slot
from actions.runtime import Services

MAX_SHOWN = 5


async def _accounts_with_appointments(svc: Services) -> list[Account]:
    """The owner's accounts at companies that book appointments. Raises DeskError."""
    return [a for a in svc.profile.accounts if await svc.directory.services(a.provider)]


async def booked_appointments(svc: Services, conversation_id: str | None) -> list[dict[str, Any]]:
    """The owner's booked appointments at every provider that books them, soonest first.

    Raises DeskError when a provider cannot be asked (an incomplete list would mislead)."""
    found: list[dict[str, Any]] = []
    for account in await _accounts_with_appointments(svc):
        try:
            key = svc.profile.api_key(account)
        except ConfigError:
            continue
        for appt in await svc.desk.list_appointments(
            key, account.provider, conversation_id=conversation_id
        ):
            await asyncio.to_thread(svc.memory.upsert_appointment, appt.dict())
            if appt.status == "booked":
                found.append(appointment_entry(appt))
    return sorted(found, key=lambda e: e["start"])


async def fetch_slots(
    svc: Services,
    provider: str,
    service: str | None,
    conversation_id: str | None,
    place: str | None = None,
) -> list[dict[str, Any]]:
    """Up to five free slots, soonest first; only at `place` (a location id the owner named)
    when it has any. Raises DeskError or ConfigError."""
    account = svc.profile.account_for(provider)
    if account is None:
        raise ConfigError(f"no account for {provider}")
    slots = await svc.desk.list_slots(
        svc.profile.api_key(account), provider, service=service, conversation_id=conversation_id
    )
    slots.sort(key=lambda s: (s.start, s.location.id))
    there = [s for s in slots if s.location.id == place]
    slots = there or slots
    return [offered_slot(s) for s in slots[:MAX_SHOWN]]


async def desk_now(
    svc: Services, provider: str | None, conversation_id: str | None
) -> datetime | None:
    """The desk's clock (what it calls "today"); None when it cannot be read."""
    account = svc.profile.account_for(provider or "") or svc.profile.accounts[0]
    try:
        return await svc.desk.desk_now(
            svc.profile.api_key(account), account.provider, conversation_id=conversation_id
        )
    except (DeskError, ConfigError):
        return None
