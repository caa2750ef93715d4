"""The desk's directory of providers, the caller's account and meter readings, and its clock."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from actions.providers.desk_audit import DIRECTORY
from actions.providers.desk_errors import DeskUnavailable
from actions.providers.desk_models import MeterReading, MeterReadingCreate, Provider
from actions.providers.desk_transport import DeskTransport


class AccountRequests(DeskTransport):
    """`/v1/providers`, `/v1/account`, `/v1/meter-readings` and `/health`."""

    async def list_providers(
        self, api_key: str, conversation_id: str | None = None
    ) -> list[Provider]:
        body = await self._request(
            "GET", "/v1/providers", api_key, DIRECTORY, conversation_id=conversation_id
        )
        items = body.get("providers", body) if isinstance(body, dict) else body
        return [self._parse(Provider, item) for item in items]

    async def account(
        self, api_key: str, provider: str | None = None, conversation_id: str | None = None
    ) -> dict[str, Any]:
        """The key's account (owner, devices, meters with their last readings), as the desk says."""
        body = await self._request(
            "GET", "/v1/account", api_key, provider or "unknown", conversation_id=conversation_id
        )
        return body if isinstance(body, dict) else {}

    async def submit_meter_reading(
        self,
        api_key: str,
        reading: MeterReadingCreate,
        idempotency_key: str,
        provider: str,
        conversation_id: str | None = None,
    ) -> MeterReading:
        body = await self._request(
            "POST",
            "/v1/meter-readings",
            api_key,
            provider,
            json=reading.dict(),
            idempotency_key=idempotency_key,
            conversation_id=conversation_id,
        )
        return self._parse(MeterReading, body)

    async def desk_now(
        self, api_key: str, provider: str, conversation_id: str | None = None
    ) -> datetime:
        """The desk's own (simulated) clock, from `GET /health`."""
        body = await self._request(
            "GET", "/health", api_key, provider, conversation_id=conversation_id
        )
        now = body.get("now") if isinstance(body, dict) else None
        try:
            return datetime.fromisoformat(str(now).replace("Z", "+00:00"))
        except ValueError:
            raise DeskUnavailable(f"unexpected answer from the service desk: now={now!r}") from None
