"""Whether the owner holds a company ("I'll handle Nimbus"): its open `owner_request` handoff.

Asked before anything is sent to a company: by every sender (handoff.owner_control), by the
device worker, and by the call tracker before an unanswered handoff talks to the company.
"""

from __future__ import annotations

import asyncio

from actions.handoff.registry import Handoff, HandoffRegistry

POINT = "owner_request"


async def owner_holds(handoffs: HandoffRegistry, provider_id: str) -> Handoff | None:
    """The owner's hold on `provider_id`, if they are handling it themselves."""
    held = await asyncio.to_thread(handoffs.waiting, None, POINT, provider_id)
    return held[-1] if held else None
