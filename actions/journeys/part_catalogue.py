"""What a company sells for a device and what an order would cost: the parts that fit (from the
desk's `GET /v1/account` model and its catalogue), the quote, the money it spends, and the
owner's booked appointment at a service centre that a part can be linked to."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from actions.core.errors import ConfigError
from actions.handoff.consents import (
    PARTS_ORDER,
    Spend,
)
from actions.journeys.part_words import (
    owner_device,
)
from actions.owner.profile import Account
from actions.owner.wording import money
from actions.providers.desk_errors import DeskError
from actions.providers.desk_models import Part
from actions.providers.part_destinations import destination_of
from actions.runtime import Services

logger = logging.getLogger(__name__)


async def fitting_parts(
    svc: Services, device_id: str, conversation_id: str | None
) -> tuple[Account, str, list[Part]]:
    """The device's account, model and the parts that fit it. Raises DeskError or ConfigError."""
    found = owner_device(svc, device_id)
    if found is None:
        raise ConfigError(f"no device {device_id}")
    account = found[0]
    key = svc.profile.api_key(account)
    info = await svc.desk.account(key, account.provider, conversation_id=conversation_id)
    model = next(
        (d.get("model") for d in info.get("devices", []) if d.get("device_id") == device_id), None
    )
    if not model:
        raise ConfigError(f"the desk does not know the model of {device_id}")
    parts = await svc.desk.list_parts(key, account.provider, model, conversation_id)
    return account, str(model), [p for p in parts if not p.fits or model in p.fits]


def part_lines(parts: list[Part]) -> str:
    return "\n".join(
        f"{i}. {p.name} ({p.sku}): {money(p.price)} {p.currency}" for i, p in enumerate(parts, 1)
    )


async def booked_centre(
    svc: Services, account: Account, conversation_id: str | None, centre: str | None = None
) -> tuple[str, str] | None:
    """The service centre and id of the owner's soonest booked appointment there (at `centre`
    if given), if any. Raises DeskError or ConfigError."""
    centres = {c.id for c in await svc.directory.service_centres(account.provider)}
    appts = await svc.desk.list_appointments(
        svc.profile.api_key(account), account.provider, conversation_id=conversation_id
    )
    booked = []
    for appt in appts:
        await asyncio.to_thread(svc.memory.upsert_appointment, appt.dict())
        wanted = appt.location.id == centre if centre else appt.location.id in centres
        if appt.status == "booked" and wanted:
            booked.append(appt)
    if not booked:
        return None
    first = min(booked, key=lambda a: a.start)
    return first.location.id, first.id


async def build_quote(
    svc: Services,
    device_id: str,
    sku: str,
    centre: str | None,
    conversation_id: str | None,
) -> dict[str, Any] | None:
    """What would be ordered and what it costs, from the desk's catalogue now."""
    account, model, parts = await fitting_parts(svc, device_id, conversation_id)
    part = next((p for p in parts if p.sku == sku), None)
    if part is None:
        return None
    quantity = 1
    return {
        "provider": account.provider,
        "device": device_id,
        "model": model,
        "sku": part.sku,
        "name": part.name,
        "unit_price": part.price,
        "quantity": quantity,
        "total": round(part.price * quantity, 2),
        "currency": part.currency,
        "centre": centre,
        "destination": await destination_of(svc.directory, account.provider, centre),
    }


def part_spend(quote: dict[str, Any], total: float, currency: str) -> Spend:
    """The money an order spends, as the owner's consent names it (item, amount, where to)."""
    return Spend(
        subject=PARTS_ORDER,
        provider=quote["provider"],
        item=quote["sku"],
        description=f"{quote['quantity']} x {quote['name']} ({quote['sku']}), "
        f"delivered to {quote['destination']}",
        amount=total,
        currency=currency,
    )


async def appointment_at(
    svc: Services, account: Account, centre: str, conversation_id: str | None
) -> str | None:
    """The owner's booked appointment at the service centre `centre`, which the part is linked
    to, if any (a part that comes with a technician is linked to nothing)."""
    try:
        centres = await svc.directory.service_centres(account.provider)
        if centre not in {c.id for c in centres}:
            return None
        booked = await booked_centre(svc, account, conversation_id, centre)
    except (DeskError, ConfigError) as err:
        logger.warning("cannot list appointments: %s", err)
        return None
    return booked[1] if booked else None
