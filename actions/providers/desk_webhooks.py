"""Stand-in's webhook subscriptions at a service desk."""

from __future__ import annotations

from actions.providers.desk_models import WebhookSubscription
from actions.providers.desk_transport import DeskTransport


class WebhookRequests(DeskTransport):
    """The subscription endpoints (`/v1/webhooks`)."""

    async def list_webhooks(self, api_key: str, provider: str) -> list[WebhookSubscription]:
        body = await self._request("GET", "/v1/webhooks", api_key, provider)
        items = body.get("webhooks", []) if isinstance(body, dict) else body
        return [self._parse(WebhookSubscription, item) for item in items]

    async def create_webhook(
        self,
        api_key: str,
        provider: str,
        url: str,
        events: list[str],
        secret: str,
        idempotency_key: str,
    ) -> WebhookSubscription:
        # The secret is part of the body the desk needs; the audit row must not keep it.
        body = await self._request(
            "POST",
            "/v1/webhooks",
            api_key,
            provider,
            json={"url": url, "events": events, "secret": secret},
            idempotency_key=idempotency_key,
            audit_body={"url": url, "events": events, "secret": "***"},
        )
        return self._parse(WebhookSubscription, body)

    async def delete_webhook(self, api_key: str, provider: str, webhook_id: str) -> None:
        await self._request("DELETE", f"/v1/webhooks/{webhook_id}", api_key, provider)
