"""A service desk's parts catalogue and part orders."""

from __future__ import annotations

from actions.providers.desk_models import Part, PartOrder, PartOrderCreate
from actions.providers.desk_transport import DeskTransport


class PartRequests(DeskTransport):
    """The parts endpoints (`/v1/parts`, `/v1/parts/orders`)."""

    async def list_parts(
        self,
        api_key: str,
        provider: str,
        model: str | None = None,
        conversation_id: str | None = None,
    ) -> list[Part]:
        params = {k: v for k, v in (("provider", provider), ("model", model)) if v}
        body = await self._request(
            "GET", "/v1/parts", api_key, provider, params=params, conversation_id=conversation_id
        )
        items = body.get("parts", []) if isinstance(body, dict) else body
        return [self._parse(Part, item) for item in items]

    async def order_part(
        self,
        api_key: str,
        provider: str,
        order: PartOrderCreate,
        idempotency_key: str,
        conversation_id: str | None = None,
    ) -> PartOrder:
        body = await self._request(
            "POST",
            "/v1/parts/orders",
            api_key,
            provider,
            json=order.dict(exclude_none=True),
            idempotency_key=idempotency_key,
            conversation_id=conversation_id,
        )
        return self._parse(PartOrder, body)

    async def list_part_orders(
        self, api_key: str, provider: str, conversation_id: str | None = None
    ) -> list[PartOrder]:
        body = await self._request(
            "GET", "/v1/parts/orders", api_key, provider, conversation_id=conversation_id
        )
        items = body.get("orders", []) if isinstance(body, dict) else body
        return [self._parse(PartOrder, item) for item in items]
