"""Where the owner's answers in other journeys move a device's incident on: the part's cost
decided in the parts form, a slot the incident offered picked in the appointment form.

Kept apart from the forms and from the notices so that both may import it without a cycle.
"""

from __future__ import annotations

import asyncio

from actions.core.clock import utc_now
from actions.runtime import Services
from actions.store.devices import AWAITING_APPROVAL, AWAITING_SLOT, BOOKED, DECLINED


async def part_decided(svc: Services, provider: str, sku: str, order_id: str | None) -> None:
    """The owner answered an incident's part question: go on to the day of the visit."""
    for incident in await asyncio.to_thread(svc.devices.incidents, AWAITING_APPROVAL):
        part = incident.data.get("part") or {}
        if incident.provider != provider or part.get("sku") != sku:
            continue
        await asyncio.to_thread(
            svc.devices.move,
            incident.id,
            AWAITING_APPROVAL,
            stage="notify",
            part_state="ordered" if order_id else DECLINED,
            order_id=order_id,
            next_attempt_at=utc_now(),
        )
        svc.telemetry.on_work()
        return


async def ticket_for_slot(
    svc: Services, conversation_id: str, provider: str, slot_id: str
) -> str | None:
    """The ticket of the incident whose offered slots the owner picked from, if any."""
    for incident in await asyncio.to_thread(svc.devices.incidents, AWAITING_SLOT):
        if incident.provider != provider or incident.conversation_id != conversation_id:
            continue
        if any(s.get("slot_id") == slot_id for s in incident.data.get("offered") or []):
            return incident.ticket_id
    return None


async def appointment_booked(svc: Services, ticket_id: str | None, appointment_id: str) -> None:
    """The visit for an incident's ticket is booked: the incident is taken care of."""
    if not ticket_id:
        return
    for incident in await asyncio.to_thread(svc.devices.incidents, AWAITING_SLOT):
        if incident.ticket_id == ticket_id:
            await asyncio.to_thread(
                svc.devices.move,
                incident.id,
                AWAITING_SLOT,
                stage=BOOKED,
                appointment_id=appointment_id,
            )
