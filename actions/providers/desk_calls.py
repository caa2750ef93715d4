"""Phone calls to a provider's support line: place one, read it, act on it."""

from __future__ import annotations

from typing import Any

from actions.providers.desk_models import Call
from actions.providers.desk_transport import DeskTransport


class CallRequests(DeskTransport):
    """The call endpoints (`/v1/calls`)."""

    async def place_call(
        self,
        api_key: str,
        provider: str,
        reason: str,
        idempotency_key: str,
        conversation_id: str | None = None,
    ) -> Call:
        body = await self._request(
            "POST",
            "/v1/calls",
            api_key,
            provider,
            json={"provider": provider, "reason": reason},
            idempotency_key=idempotency_key,
            conversation_id=conversation_id,
        )
        return self._parse(Call, body)

    async def get_call(
        self,
        api_key: str,
        provider: str,
        call_id: str,
        conversation_id: str | None = None,
        record: bool = True,
    ) -> Call:
        body = await self._request(
            "GET",
            f"/v1/calls/{call_id}",
            api_key,
            provider,
            conversation_id=conversation_id,
            record=record,
        )
        return self._parse(Call, body)

    async def call_action(
        self,
        api_key: str,
        provider: str,
        call_id: str,
        action: str,
        body: dict[str, Any],
        idempotency_key: str,
        conversation_id: str | None = None,
    ) -> Call:
        """POST /v1/calls/{id}/<action>: dtmf, callback, transfer or hangup."""
        if action not in ("dtmf", "callback", "transfer", "hangup"):
            raise ValueError(f"unknown call action {action!r}")
        answer = await self._request(
            "POST",
            f"/v1/calls/{call_id}/{action}",
            api_key,
            provider,
            json=body,
            idempotency_key=idempotency_key,
            conversation_id=conversation_id,
        )
        return self._parse(Call, answer)
