"""An appointment slot a company offered, as kept between turns (JSON-safe, for the tracker)."""

from __future__ import annotations

from typing import Any

from actions.providers.desk_models import Slot


def offered_slot(slot: Slot) -> dict[str, Any]:
    """What is kept of a shown slot (JSON-safe, for the tracker)."""
    return {
        "slot_id": slot.slot_id,
        "start": slot.start.isoformat(),
        "end": slot.end.isoformat(),
        "location": slot.location.name or slot.location.id,
        "city": slot.location.city,
        "provider": slot.provider,
        "service": slot.service,
    }
