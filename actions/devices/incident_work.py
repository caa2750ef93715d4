"""An incident of a device taken to the company, step by step.

An incident moves report -> slots -> part -> notify, one conditional update per step, so a
restart resumes where it stopped and a step is never done twice:
- report: a ticket, with an idempotency key of the incident's own;
- slots: free slots for the table's service at the nearest location (the service centre in the
  owner's home city, else one in the owner's time zone), kept for the owner to pick from;
- part: the table's part, sent where the company's directory entry says parts go (its parts
  delivery place), else to that location; ordered when the owner's standing limit covers it,
  else left for the owner's yes (`approve_cost`);
- notify: the owner is told what was done and asked only what is left.
A company that cannot be reached means a retry with backoff; one that refuses ends the
incident, and the owner is told what failed. Nothing is sent to a company the owner holds.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import Any

from actions.core.clock import utc_now
from actions.core.errors import ConfigError
from actions.devices.config import Problem
from actions.devices.device_work import HELD_RETRY_S, backoff, queue_device_notice, world_now
from actions.handoff.consents import PARTS_ORDER, Spend, authorise, needs_consent
from actions.handoff.owner_hold import owner_holds
from actions.providers.desk_errors import DeskError, DeskRejected
from actions.providers.desk_models import OnBehalfOf, PartOrderCreate, TicketCreate
from actions.providers.offered_slots import offered_slot
from actions.runtime import Services
from actions.store.devices import AWAITING_APPROVAL, AWAITING_SLOT, DONE, FAILED, Incident
from actions.store.notices import Notice

logger = logging.getLogger(__name__)

SHOWN_SLOTS = 5


def rank_location(location: dict[str, Any], home_city: str | None, tz: str) -> int:
    """0 for the owner's home city, 1 for the owner's time zone, 2 for anywhere else."""
    if home_city and (location.get("city") or "").casefold() == home_city.casefold():
        return 0
    return 1 if location.get("timezone") == tz else 2


class IncidentWork:
    """Moves one due incident on as far as it can go now."""

    def __init__(self, svc: Services) -> None:
        self.svc = svc

    async def advance(self, incident: Incident) -> None:
        problem = self.svc.telemetry_config.problem(incident.problem_id)
        if problem is None:
            await self._fail(incident, None, "the problem is no longer in telemetry.yml")
            return
        if await owner_holds(self.svc.handoffs, incident.provider) is not None:
            await asyncio.to_thread(
                self.svc.devices.move,
                incident.id,
                incident.stage,
                next_attempt_at=utc_now() + timedelta(seconds=HELD_RETRY_S),
            )
            return
        current: Incident | None = incident
        try:
            for stage, step in (
                ("report", self._report),
                ("slots", self._slots),
                ("part", self._part),
                ("notify", self._notify),
            ):
                if current is not None and current.stage == stage:
                    current = await step(current, problem)
        except DeskRejected as err:
            await self._fail(current or incident, problem, err.message)
        except (DeskError, ConfigError) as err:
            at = current or incident
            logger.warning("incident %s (%s): %s; retrying", at.id, at.stage, err)
            await asyncio.to_thread(
                self.svc.devices.move,
                at.id,
                at.stage,
                attempts=at.attempts + 1,
                next_attempt_at=backoff(at.attempts),
                last_error=str(err)[:500],
            )

    async def _report(self, incident: Incident, problem: Problem) -> Incident | None:
        account, key = self.svc.profile.credentials(problem.provider)
        signal = incident.data.get("signal") or {}
        found = f" Code {signal['code']}." if signal.get("code") else ""
        if signal.get("detail"):
            found += f" {signal['detail']}"
        body = TicketCreate(
            provider=problem.provider,
            category=problem.category,
            summary=problem.summary,
            description=f"{problem.description}{found} Reported automatically by the device.",
            severity=incident.severity,
            device_id=incident.device_id,
            on_behalf_of=OnBehalfOf(
                name=self.svc.profile.owner.name, account_id=account.account_id
            ),
        )
        ticket = await self.svc.desk.create_ticket(
            key, body, f"standin:incident:{incident.id}:ticket", incident.conversation_id
        )
        await asyncio.to_thread(
            self.svc.memory.upsert_case_from_ticket,
            ticket.dict(),
            incident.conversation_id,
            account.account_id,
        )
        return await asyncio.to_thread(
            self.svc.devices.move,
            incident.id,
            "report",
            stage="slots",
            ticket_id=ticket.id,
            attempts=0,
        )

    async def _slots(self, incident: Incident, problem: Problem) -> Incident | None:
        if not problem.visit:
            return await asyncio.to_thread(
                self.svc.devices.move, incident.id, "slots", stage="part"
            )
        _, key = self.svc.profile.credentials(problem.provider)
        slots = await self.svc.desk.list_slots(
            key, problem.provider, service=problem.visit, conversation_id=incident.conversation_id
        )
        owner = self.svc.profile.owner
        locations = {s.location.id: s.location.dict() for s in slots}
        nearest = min(
            locations.values(),
            key=lambda loc: (rank_location(loc, owner.home_city, owner.timezone), loc["id"]),
            default=None,
        )
        location_id = nearest["id"] if nearest else await self._fallback_location(problem.provider)
        shown = sorted((s for s in slots if s.location.id == location_id), key=lambda s: s.start)
        data = {**incident.data, "offered": [offered_slot(s) for s in shown[:SHOWN_SLOTS]]}
        return await asyncio.to_thread(
            self.svc.devices.move,
            incident.id,
            "slots",
            stage="part",
            location_id=location_id,
            data=data,
        )

    async def _fallback_location(self, provider: str) -> str | None:
        """No free slots: where the part goes, by the directory (its parts delivery place, else
        the service centre in the owner's home city). Raises DeskError."""
        delivery = await self.svc.directory.parts_delivery(provider)
        if delivery:
            return delivery
        city = (self.svc.profile.owner.home_city or "").casefold()
        centres = await self.svc.directory.service_centres(provider)
        return next((c.id for c in centres if (c.city or "").casefold() == city), None)

    async def _part(self, incident: Incident, problem: Problem) -> Incident | None:
        if not problem.part:
            return await self._to_notify(incident, "none")
        account, key = self.svc.profile.credentials(problem.provider)
        catalogue = await self.svc.desk.list_parts(
            key, problem.provider, conversation_id=incident.conversation_id
        )
        part = next((p for p in catalogue if p.sku == problem.part), None)
        centre = await self.svc.directory.parts_delivery(problem.provider) or incident.location_id
        if part is None or centre is None:
            return await self._to_notify(incident, "unavailable")
        quote = {
            "sku": part.sku,
            "name": part.name,
            "amount": round(part.price, 2),
            "currency": part.currency,
            "centre": centre,
        }
        data = {**incident.data, "part": quote}
        if await needs_consent(self.svc, part.price, part.currency):
            return await self._to_notify(incident, AWAITING_APPROVAL, data=data)
        idem = f"standin:incident:{incident.id}:part"
        spend = Spend(
            PARTS_ORDER,
            problem.provider,
            part.sku,
            f"{part.name} for {incident.device_id}, to {centre}",
            round(part.price, 2),
            part.currency,
        )
        if await authorise(self.svc, incident.conversation_id, spend, idem) is None:
            # The limit changed in between: the owner decides after all.
            return await self._to_notify(incident, AWAITING_APPROVAL, data=data)
        order = await self.svc.desk.order_part(
            key,
            problem.provider,
            PartOrderCreate(sku=part.sku, quantity=1, deliver_to_service_centre=centre),
            idem,
            conversation_id=incident.conversation_id,
        )
        await asyncio.to_thread(self.svc.memory.upsert_order, order.dict())
        data["part"] |= {"amount": round(order.total, 2), "within_limit": True}
        return await self._to_notify(incident, "ordered", data=data, order_id=order.id)

    async def _to_notify(
        self, incident: Incident, part_state: str, **values: Any
    ) -> Incident | None:
        """The part is decided (or left to the owner): on to telling the owner."""
        return await asyncio.to_thread(
            self.svc.devices.move,
            incident.id,
            "part",
            stage="notify",
            part_state=part_state,
            **values,
        )

    async def _notify(self, incident: Incident, problem: Problem) -> Incident | None:
        offered = incident.data.get("offered") or []
        if incident.part_state == AWAITING_APPROVAL:
            after = AWAITING_APPROVAL
        else:
            after = AWAITING_SLOT if offered else DONE
        phase = int(incident.data.get("told", 0))
        notice = Notice(
            "device_problem",
            {"incident_id": incident.id, "provider": incident.provider, "phase": phase},
            subject=f"incident:{incident.id}",
            urgent=incident.severity == "urgent",
            dedupe_key=f"incident:{incident.id}:told:{phase}",
        )
        await self._tell(incident, notice)
        return await asyncio.to_thread(
            self.svc.devices.move,
            incident.id,
            "notify",
            stage=after,
            data={**incident.data, "told": phase + 1},
        )

    async def _tell(self, incident: Incident, notice: Notice) -> None:
        world = max(await world_now(self.svc, incident.provider), incident.last_at)
        await queue_device_notice(self.svc, notice, incident.conversation_id, world)

    async def _fail(self, incident: Incident, problem: Problem | None, why: str) -> None:
        logger.error("incident %s failed at %s: %s", incident.id, incident.stage, why)
        moved = await asyncio.to_thread(
            self.svc.devices.move,
            incident.id,
            incident.stage,
            stage=FAILED,
            open_key=None,
            last_error=why[:500],
            data={**incident.data, "failed_at_stage": incident.stage, "why": why},
        )
        if moved is not None:
            notice = Notice(
                "device_problem_failed",
                {"incident_id": incident.id, "provider": incident.provider},
                subject=f"incident:{incident.id}",
                urgent=incident.severity == "urgent",
                dedupe_key=f"incident:{incident.id}:failed",
            )
            await self._tell(moved, notice)
