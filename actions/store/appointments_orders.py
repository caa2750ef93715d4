"""Appointments and parts orders as the desks last reported them (from answers and webhooks)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select

from actions.core.clock import naive_utc
from actions.store.database import Database
from actions.store.schema import appointments, orders


class AppointmentsAndOrders(Database):
    """The `appointments` and `orders` tables; neither ever moves backwards in time."""

    def upsert_appointment(self, data: Mapping[str, Any]) -> bool:
        """Store an appointment as the desk sent it; never moves it backwards in time."""
        location = data.get("location")
        values = {
            "appointment_id": str(data["id"]),
            "provider": str(data["provider"]),
            "account_id": data.get("account_id"),
            "ticket_id": data.get("ticket_id"),
            "slot_id": data.get("slot_id"),
            "start_at": naive_utc(data.get("start")),
            "end_at": naive_utc(data.get("end")),
            "location": location.get("id") if isinstance(location, Mapping) else location,
            "service": data.get("service"),
            "status": str(data["status"]),
            "data": json.dumps(dict(data), default=str),
            "created_at": naive_utc(data.get("created_at")),
            "updated_at": naive_utc(data["updated_at"]),
        }
        return self._upsert_newer(appointments, ("provider", "appointment_id"), values)

    def upsert_order(self, data: Mapping[str, Any]) -> bool:
        """Store a parts order as the desk sent it; never moves it backwards in time."""
        values = {
            "order_id": str(data["id"]),
            "provider": str(data["provider"]),
            "account_id": data.get("account_id"),
            "appointment_id": data.get("appointment_id"),
            "sku": data.get("sku"),
            "quantity": data.get("quantity"),
            "status": str(data["status"]),
            "data": json.dumps(dict(data), default=str),
            "created_at": naive_utc(data.get("created_at")),
            "updated_at": naive_utc(data["updated_at"]),
        }
        return self._upsert_newer(orders, ("provider", "order_id"), values)

    def appointment(self, provider: str, appointment_id: str) -> dict[str, Any] | None:
        return self._row(appointments, provider, appointments.c.appointment_id, appointment_id)

    def order(self, provider: str, order_id: str) -> dict[str, Any] | None:
        return self._row(orders, provider, orders.c.order_id, order_id)

    def orders(self, provider: str | None = None) -> list[dict[str, Any]]:
        """Stored parts orders, oldest first."""
        query = select(orders).order_by(orders.c.created_at, orders.c.order_id)
        if provider is not None:
            query = query.where(orders.c.provider == provider)
        with self._engine.connect() as conn:
            return [dict(r) for r in conn.execute(query).mappings().all()]
