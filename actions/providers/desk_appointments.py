"""Appointments at a service desk: free slots, book, list, reschedule, cancel."""

from __future__ import annotations

from actions.providers.desk_models import Appointment, AppointmentCreate, Slot
from actions.providers.desk_transport import DeskTransport


class AppointmentRequests(DeskTransport):
    """The appointment endpoints (`/v1/appointments`)."""

    async def list_slots(
        self,
        api_key: str,
        provider: str,
        service: str | None = None,
        from_: str | None = None,
        to: str | None = None,
        conversation_id: str | None = None,
        location: str | None = None,
    ) -> list[Slot]:
        wanted = (
            ("provider", provider),
            ("service", service),
            ("from", from_),
            ("to", to),
            ("location", location),
        )
        params = {k: v for k, v in wanted if v}
        body = await self._request(
            "GET",
            "/v1/appointments/slots",
            api_key,
            provider,
            params=params,
            conversation_id=conversation_id,
        )
        items = body.get("slots", []) if isinstance(body, dict) else body
        return [self._parse(Slot, item) for item in items]

    async def book_appointment(
        self,
        api_key: str,
        provider: str,
        appointment: AppointmentCreate,
        idempotency_key: str,
        conversation_id: str | None = None,
    ) -> Appointment:
        body = await self._request(
            "POST",
            "/v1/appointments",
            api_key,
            provider,
            json=appointment.dict(exclude_none=True),
            idempotency_key=idempotency_key,
            conversation_id=conversation_id,
        )
        return self._parse(Appointment, body)

    async def list_appointments(
        self, api_key: str, provider: str, conversation_id: str | None = None
    ) -> list[Appointment]:
        body = await self._request(
            "GET", "/v1/appointments", api_key, provider, conversation_id=conversation_id
        )
        items = body.get("appointments", []) if isinstance(body, dict) else body
        return [self._parse(Appointment, item) for item in items]

    async def reschedule_appointment(
        self,
        api_key: str,
        provider: str,
        appointment_id: str,
        slot_id: str,
        idempotency_key: str,
        conversation_id: str | None = None,
    ) -> Appointment:
        body = await self._request(
            "POST",
            f"/v1/appointments/{appointment_id}/reschedule",
            api_key,
            provider,
            json={"slot_id": slot_id},
            idempotency_key=idempotency_key,
            conversation_id=conversation_id,
        )
        return self._parse(Appointment, body)

    async def cancel_appointment(
        self,
        api_key: str,
        provider: str,
        appointment_id: str,
        idempotency_key: str,
        conversation_id: str | None = None,
    ) -> Appointment:
        body = await self._request(
            "POST",
            f"/v1/appointments/{appointment_id}/cancel",
            api_key,
            provider,
            json={},
            idempotency_key=idempotency_key,
            conversation_id=conversation_id,
        )
        return self._parse(Appointment, body)
